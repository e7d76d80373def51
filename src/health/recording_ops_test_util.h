// File: health/recording_ops_test_util.h
//
// IpvsOps for tests of what the pools do to the table: Recorder records each change as a line
// ("AddDest 10.0.0.1 w1"); NoOps accepts every change and keeps nothing.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "health/pool.h"

namespace ipvsd::health {

class Recorder final : public IpvsOps {
 public:
  std::vector<std::string> ops;
  Status AddService(const ctl::ServiceSpec& s) override { return Rec("AddService " + std::to_string(s.key.port)); }
  Status EditService(const ctl::ServiceSpec& s) override {
    return Rec("EditService " + std::to_string(s.key.port) + " " + s.sched_name);
  }
  Status DelService(const ctl::ServiceKey& k) override { return Rec("DelService " + std::to_string(k.port)); }
  Status AddDest(const ctl::ServiceKey&, const ctl::DestSpec& d) override { return Rec("AddDest " + Name(d)); }
  Status EditDest(const ctl::ServiceKey&, const ctl::DestSpec& d) override { return Rec("EditDest " + Name(d)); }
  Status DelDest(const ctl::ServiceKey&, const ctl::DestSpec& d) override {
    return Rec("DelDest " + d.addr.ToString());
  }
  std::vector<std::string> Take() { return std::exchange(ops, {}); }

 private:
  static std::string Name(const ctl::DestSpec& d) { return d.addr.ToString() + " w" + std::to_string(d.weight); }
  Status Rec(std::string s) {
    ops.push_back(std::move(s));
    return Ok();
  }
};

class NoOps final : public IpvsOps {
 public:
  Status AddService(const ctl::ServiceSpec&) override { return Ok(); }
  Status EditService(const ctl::ServiceSpec&) override { return Ok(); }
  Status DelService(const ctl::ServiceKey&) override { return Ok(); }
  Status AddDest(const ctl::ServiceKey&, const ctl::DestSpec&) override { return Ok(); }
  Status EditDest(const ctl::ServiceKey&, const ctl::DestSpec&) override { return Ok(); }
  Status DelDest(const ctl::ServiceKey&, const ctl::DestSpec&) override { return Ok(); }
};

}  // namespace ipvsd::health
