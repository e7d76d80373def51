// File: io/portable/static_route.h
//
// StaticRoute is one route of PortableRouter's static table, as ipvsd's command line gives it:
// `--route PREFIX via NEXTHOP dev IF` (PREFIX is ADDR/LEN, ADDR alone for a host route, or
// "default" of NEXTHOP's family). A separate header so that the daemon's options need not
// include the router.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "net/ip_addr.h"

namespace ipvsd::io {

struct StaticRoute {
  net::IpAddr prefix;
  int prefix_len = 0;
  net::IpAddr via;
  std::string dev;

  static Result<StaticRoute> Parse(std::string_view prefix, std::string_view via, std::string_view dev);
  // "PREFIX/LEN via NEXTHOP dev IF", as Parse reads it back.
  std::string ToString() const;
};

}  // namespace ipvsd::io
