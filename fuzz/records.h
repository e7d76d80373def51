// File: fuzz/records.h
//
// The input layout of the harnesses that need several messages per input (a burst of
// frames, a series of sync datagrams): records of
//
//   u8 tag   what the harness makes of the record (bits are the harness's own)
//   u16 len  big-endian byte count of the body
//   body     len bytes; a record cut short by the end of the input takes what is left
//
// A length prefix rather than a separator keeps any byte value possible inside a body, and
// libFuzzer's mutations (insert, erase, copy part) still produce well-formed series often.
// The seed generator (make_seeds.cc) writes the same layout with AppendRecord.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ipvsd::fuzz {

struct Record {
  uint8_t tag = 0;
  std::span<const uint8_t> body;
};

class RecordReader {
 public:
  RecordReader(const uint8_t* data, size_t size) : data_(data, size) {}

  // False when the input is used up.
  bool Next(Record* r) {
    if (data_.size() < 3) return false;
    r->tag = data_[0];
    size_t len = (size_t{data_[1]} << 8) | data_[2];
    data_ = data_.subspan(3);
    if (len > data_.size()) len = data_.size();
    r->body = data_.first(len);
    data_ = data_.subspan(len);
    return true;
  }

 private:
  std::span<const uint8_t> data_;
};

inline void AppendRecord(std::vector<uint8_t>* out, uint8_t tag, const std::vector<uint8_t>& body) {
  out->push_back(tag);
  out->push_back(static_cast<uint8_t>(body.size() >> 8));
  out->push_back(static_cast<uint8_t>(body.size()));
  out->insert(out->end(), body.begin(), body.end());
}

}  // namespace ipvsd::fuzz
