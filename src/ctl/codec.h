// File: ctl/codec.h
//
// Pure, bounds-checked encoding and decoding of control messages (proto.h). Nothing here does
// I/O, so the server, the client, the unit tests and a fuzzer share one implementation.
//
//   std::vector<uint8_t> frame = EncodeRequest(MsgType::kAddService, spec);
//   Result<Header> h = DecodeHeader(std::span(frame).first(kHeaderSize), kMaxRequestPayload);
//   Result<ServiceSpec> s = DecodePayload<ServiceSpec>(std::span(frame).subspan(kHeaderSize));
//
// Errors (Error::code, the errcode a server puts in its reply):
//   EBADMSG          fewer than kHeaderSize bytes, a payload shorter than its fields need,
//                    or bytes left over after the last field
//   EPROTO           wrong magic
//   EPROTONOSUPPORT  wrong version
//   EMSGSIZE         length beyond the receiver's maximum
//   EBADRQC          unknown message type (IsKnownRequest)
//   EINVAL           a field out of its range (family, forwarding method, name too long, ...)
#pragma once

#include <cerrno>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "ctl/proto.h"

namespace ipvsd::ctl {

// Appends big-endian fields to a byte vector.
class Writer {
 public:
  void U8(uint8_t v) { buf_.push_back(v); }
  void U16(uint16_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void Bytes(std::span<const uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  // uint16 length + bytes; longer strings are cut at 65535 bytes.
  void Str(const std::string& s);
  std::vector<uint8_t>& buffer() { return buf_; }

 private:
  std::vector<uint8_t> buf_;
};

// Reads big-endian fields from a byte span. A read past the end sets the error (EBADMSG) and
// returns zero; later reads keep failing, so a decoder checks once at the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  uint8_t U8();
  uint16_t U16();
  uint32_t U32();
  uint64_t U64();
  void Bytes(std::span<uint8_t> out);
  std::string Str();
  // Marks the input invalid (EINVAL) with a reason, for field range checks.
  void Invalid(const char* what);
  bool ok() const { return error_.code == 0; }
  size_t remaining() const { return data_.size() - pos_; }
  const Error& error() const { return error_; }

 private:
  bool Take(size_t n);
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  Error error_;
};

// Field-by-field encoders/decoders of every payload type.
void Put(Writer& w, const Empty& v);
void Put(Writer& w, const ServiceKey& v);
void Put(Writer& w, const ServiceSpec& v);
void Put(Writer& w, const DestSpec& v);
void Put(Writer& w, const DestRequest& v);
void Put(Writer& w, const ZeroRequest& v);
void Put(Writer& w, const StatsBlock& v);
void Put(Writer& w, const DestEntry& v);
void Put(Writer& w, const ServiceEntry& v);
void Put(Writer& w, const ServiceList& v);
void Put(Writer& w, const InfoReply& v);
void Put(Writer& w, const TimeoutsMsg& v);
void Put(Writer& w, const DaemonConfig& v);
void Put(Writer& w, const DaemonStop& v);
void Put(Writer& w, const DaemonList& v);
void Put(Writer& w, const ConnRecord& v);
void Put(Writer& w, const ConnCursor& v);
void Put(Writer& w, const ConnList& v);
void Put(Writer& w, const DropCount& v);
void Put(Writer& w, const DataPlaneInfo& v);
void Put(Writer& w, const BatchStep& v);
void Put(Writer& w, const BatchRequest& v);
void Put(Writer& w, const BatchReply& v);
void Put(Writer& w, const HealthEntry& v);
void Put(Writer& w, const HealthReport& v);
void Put(Writer& w, const Handover& v);

void Get(Reader& r, Empty& v);
void Get(Reader& r, ServiceKey& v);
void Get(Reader& r, ServiceSpec& v);
void Get(Reader& r, DestSpec& v);
void Get(Reader& r, DestRequest& v);
void Get(Reader& r, ZeroRequest& v);
void Get(Reader& r, StatsBlock& v);
void Get(Reader& r, DestEntry& v);
void Get(Reader& r, ServiceEntry& v);
void Get(Reader& r, ServiceList& v);
void Get(Reader& r, InfoReply& v);
void Get(Reader& r, TimeoutsMsg& v);
void Get(Reader& r, DaemonConfig& v);
void Get(Reader& r, DaemonStop& v);
void Get(Reader& r, DaemonList& v);
void Get(Reader& r, ConnRecord& v);
void Get(Reader& r, ConnCursor& v);
void Get(Reader& r, ConnList& v);
void Get(Reader& r, DropCount& v);
void Get(Reader& r, DataPlaneInfo& v);
void Get(Reader& r, BatchStep& v);
void Get(Reader& r, BatchRequest& v);
void Get(Reader& r, BatchReply& v);
void Get(Reader& r, HealthEntry& v);
void Get(Reader& r, HealthReport& v);
void Get(Reader& r, Handover& v);

// The 16 header bytes for a payload of `length` bytes.
void PutHeader(Writer& w, uint16_t type, uint32_t length, uint32_t errcode);

// Checks magic, version and length (<= max_payload) of the first kHeaderSize bytes.
Result<Header> DecodeHeader(std::span<const uint8_t> bytes, uint32_t max_payload);

// True for the request types a server understands.
bool IsKnownRequest(uint16_t type);
// "AddDest", "GetServices", ...; "unknown" for 0 and any other type.
const char* MsgTypeName(uint16_t type);

// A whole frame: header + payload.
template <typename T>
std::vector<uint8_t> EncodeFrame(uint16_t type, uint32_t errcode, const T& payload) {
  Writer body;
  Put(body, payload);
  Writer w;
  PutHeader(w, type, static_cast<uint32_t>(body.buffer().size()), errcode);
  w.Bytes(body.buffer());
  return std::move(w.buffer());
}

template <typename T>
std::vector<uint8_t> EncodeRequest(MsgType type, const T& payload) {
  return EncodeFrame(static_cast<uint16_t>(type), 0, payload);
}

template <typename T>
std::vector<uint8_t> EncodeReply(MsgType type, const T& payload) {
  return EncodeFrame(static_cast<uint16_t>(static_cast<uint16_t>(type) | kReplyBit), 0, payload);
}

// A batch step carrying `payload` as the request `type` would.
template <typename T>
BatchStep MakeBatchStep(MsgType type, const T& payload) {
  Writer w;
  Put(w, payload);
  return BatchStep{static_cast<uint16_t>(type), std::move(w.buffer())};
}

// An error reply: errcode set, the payload a human-readable detail string.
std::vector<uint8_t> EncodeErrorReply(uint16_t request_type, const Error& error);

// Decodes a complete payload; every byte must be consumed.
template <typename T>
Result<T> DecodePayload(std::span<const uint8_t> payload) {
  Reader r(payload);
  T v{};
  Get(r, v);
  if (!r.ok()) return r.error();
  if (r.remaining() != 0) return MakeError(EBADMSG, "trailing bytes after the payload");
  return v;
}

// The detail string of an error reply's payload (empty if it does not decode).
std::string DecodeErrorDetail(std::span<const uint8_t> payload);

}  // namespace ipvsd::ctl
