// File: health/md5.h
//
// MD5 (RFC 1321, computed by OpenSSL's libcrypto), only because keepalived's HTTP_GET compares the page body against an MD5
// `digest` (genhash prints it). Not for anything security-related.
#pragma once

#include <string>
#include <string_view>

namespace ipvsd::health {

// Lower-case hex digest of DATA, as genhash and md5sum print it.
std::string Md5Hex(std::string_view data);

}  // namespace ipvsd::health
