// File: io/af_xdp/xdp_test_run.h
//
// XdpTestRun loads ipvsd's XDP program (the object embedded in the binary, as XdpProgram loads
// it) without attaching it anywhere, and runs it on single frames through the kernel's
// BPF_PROG_TEST_RUN: a test fills the maps (by name, with the layouts of xdp_maps.h), hands
// over a frame and gets back the program's verdict and the frame as the program left it.
// Needs the rights to load BPF programs (root); loading fails with EPERM where they are
// missing, which a test takes as a reason to skip.
//
//   Result<std::unique_ptr<XdpTestRun>> run = XdpTestRun::Load();
//   if (!run && run.error().code == EPERM) GTEST_SKIP() << run.error().message;
//   int flows = *(*run)->MapFd("ipvsd_flows");
//   Result<XdpTestRun::Output> out = (*run)->Run(frame, /*ingress_ifindex=*/1);
//   EXPECT_EQ(out->action, XDP_TX);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

struct bpf_object;

namespace ipvsd::io {

class XdpTestRun {
 public:
  struct Output {
    uint32_t action = 0;          // XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT, ...
    std::vector<uint8_t> frame;   // the frame after the program
  };

  // Opens and loads the embedded object: its maps are created empty.
  static Result<std::unique_ptr<XdpTestRun>> Load();

  XdpTestRun(const XdpTestRun&) = delete;
  XdpTestRun& operator=(const XdpTestRun&) = delete;
  ~XdpTestRun();

  // The fd of the program's map `name` (owned by this object).
  Result<int> MapFd(const std::string& name) const;

  // Runs the program once on `frame` as received on `ingress_ifindex`, rx queue `rx_queue`.
  // The interface must exist in the caller's network namespace and have that queue (the
  // loopback interface, ifindex 1, has queue 0).
  Result<Output> Run(const std::vector<uint8_t>& frame, uint32_t ingress_ifindex, uint32_t rx_queue = 0) const;

 private:
  XdpTestRun(bpf_object* object, int prog_fd) : object_(object), prog_fd_(prog_fd) {}

  bpf_object* object_;
  int prog_fd_;
};

}  // namespace ipvsd::io
