// File: sync/sync_message.h
//
// The IPVS connection synchronisation protocol, byte-compatible with the kernel's
// (net/netfilter/ipvs/ip_vs_sync.c): a master director multicasts the connections it
// forwards (224.0.0.81:8848 by default) so that a backup can take over established flows.
// This file is the pure codec: SyncConn is one connection as the protocol carries it,
// SyncMessageBuilder packs connections into version-1 messages of at most sync-maxlen bytes,
// DecodeSyncMessage reads version-1 and version-0 messages as the kernel's backup does.
//
// Version-1 layout (all multi-byte fields in network order):
//   header (8): u8 reserved=0, u8 syncid, u16 size (whole message), u8 nr_conns, s8 version=1,
//               u16 spare=0
//   entries, each starting 4-byte aligned:
//     u8 type (bit 0: IPv6), u8 protocol, u16 ver_size (high 4 bits version 0, low 12 bits
//     the entry's length with options, without padding), u32 flags, u16 state, u16 cport,
//     u16 vport, u16 dport, u32 fwmark, u32 timeout (s), then caddr, vaddr, daddr (4 or 16
//     bytes each): 36 bytes for IPv4, 72 for IPv6; then options (u8 type, u8 len, data):
//     1 sequence data (24 bytes), 2 persistence-engine data, 3 persistence-engine name; a type
//     with bit 6 set is optional (skipped when unknown), an unknown mandatory one voids the entry.
// Version-0 layout: header u8 nr_conns, u8 syncid, u16 size; IPv4 entries of 24 bytes
//   (u8 reserved, u8 protocol, u16 cport, vport, dport, u32 caddr, vaddr, daddr, u16 flags,
//   u16 state), each followed by 24 bytes of sequence data when flags has IN_SEQ/OUT_SEQ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/ip_addr.h"

namespace ipvsd::sync {

inline constexpr uint16_t kDefaultSyncPort = 8848;
inline constexpr uint32_t kDefaultSyncGroup = 0xe0000051;  // 224.0.0.81
inline constexpr size_t kHeaderV1 = 8;
inline constexpr size_t kHeaderNrConnsOffset = 4;  // u8 nr_conns of the version-1 header
inline constexpr size_t kEntryV4 = 36;
inline constexpr size_t kEntryV6 = 72;
inline constexpr uint32_t kConnFlagSeqMask = 0x0600;   // IP_VS_CONN_F_IN_SEQ | OUT_SEQ
inline constexpr uint32_t kConnFlagTemplate = 0x1000;  // IP_VS_CONN_F_TEMPLATE

// One direction's TCP sequence adjustment (struct ip_vs_seq), for FTP NAT.
struct SeqAdjust {
  uint32_t init_seq = 0;
  uint32_t delta = 0;
  uint32_t previous_delta = 0;
  friend bool operator==(const SeqAdjust&, const SeqAdjust&) = default;
};

struct SyncConn {
  net::Family af = net::Family::kInet;
  uint8_t protocol = 0;
  uint32_t flags = 0;    // IP_VS_CONN_F_* (the kernel sends cp->flags without HASHED)
  uint16_t state = 0;
  uint16_t cport = 0;    // host order
  uint16_t vport = 0;
  uint16_t dport = 0;
  uint32_t fwmark = 0;
  uint32_t timeout = 0;  // seconds
  net::RawAddr caddr;
  net::RawAddr vaddr;
  net::RawAddr daddr;
  std::optional<SeqAdjust> in_seq;   // sent together, when flags has IN_SEQ/OUT_SEQ
  std::optional<SeqAdjust> out_seq;
  std::string pe_data;   // persistence-engine data (e.g. a SIP Call-ID), at most 255 bytes
  std::string pe_name;   // persistence-engine name, at most 15 bytes

  friend bool operator==(const SyncConn&, const SyncConn&) = default;
};

struct SyncMessage {
  uint8_t syncid = 0;
  int version = 1;  // 0 or 1
  std::vector<SyncConn> conns;
  // Entries the decoder skipped (unknown mandatory option, bad entry version or type); the
  // kernel drops such an entry and goes on with the next.
  int skipped = 0;
};

// Packs connections into one version-1 message of at most `maxlen` bytes (--sync-maxlen,
// default 1472: a 1500-byte MTU less IPv4 and UDP headers). At most 255 connections.
class SyncMessageBuilder {
 public:
  SyncMessageBuilder(uint8_t syncid, size_t maxlen);
  // False, and nothing added, when the entry does not fit (start a new message then); an
  // empty message takes any entry whose persistence data is within the format's limits.
  bool Add(const SyncConn& c);
  size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The finished message; the builder is empty again afterwards.
  std::vector<uint8_t> Finish();

 private:
  uint8_t syncid_;
  size_t maxlen_;
  size_t count_ = 0;
  std::vector<uint8_t> buf_;
};

// The bytes one connection takes in a version-1 message, padding included.
size_t EncodedSize(const SyncConn& c);

// Reads a message as the kernel's backup does (ip_vs_process_message): shorter than 4 bytes,
// or a size field different from the datagram's length, is an error; version 1 when the
// header says so (reserved and spare 0), else version 0. Truncated or malformed entries end
// the message with an error; entries with unknown mandatory options are skipped and counted.
Result<SyncMessage> DecodeSyncMessage(std::span<const uint8_t> datagram);

}  // namespace ipvsd::sync
