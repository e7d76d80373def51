#include "io/af_xdp/xdp_test_run.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>

#include "io/af_xdp/ipvsd_xdp_object.h"
#include "io/af_xdp/xdp_maps.h"

namespace ipvsd::io {
namespace {

// The program may not grow a frame (it never adjusts head or tail), but the kernel refuses to
// run when data_out is shorter than what comes back: some room to spare costs nothing.
constexpr size_t kOutputSlack = 256;

std::string ErrnoText(int err) { return std::strerror(err < 0 ? -err : err); }

}  // namespace

Result<std::unique_ptr<XdpTestRun>> XdpTestRun::Load() {
  bpf_object* object = bpf_object__open_mem(kIpvsdXdpObject, sizeof(kIpvsdXdpObject), nullptr);
  if (int err = static_cast<int>(libbpf_get_error(object)); err) {
    return MakeError(-err, "XDP test run: opening the embedded XDP object: " + ErrnoText(err));
  }
  if (int err = bpf_object__load(object); err) {
    bpf_object__close(object);
    return MakeError(-err, "XDP test run: loading the XDP program: " + ErrnoText(err));
  }
  bpf_program* program = bpf_object__find_program_by_name(object, IPVSD_XDP_PROG_NAME);
  const int fd = program ? bpf_program__fd(program) : -1;
  if (fd < 0) {
    bpf_object__close(object);
    return MakeError(ENOENT, std::string("XDP test run: program ") + IPVSD_XDP_PROG_NAME + " missing after load");
  }
  return std::unique_ptr<XdpTestRun>(new XdpTestRun(object, fd));
}

XdpTestRun::~XdpTestRun() { bpf_object__close(object_); }

Result<int> XdpTestRun::MapFd(const std::string& name) const {
  const int fd = bpf_object__find_map_fd_by_name(object_, name.c_str());
  if (fd < 0) return MakeError(ENOENT, "XDP test run: no map " + name);
  return fd;
}

Result<XdpTestRun::Output> XdpTestRun::Run(const std::vector<uint8_t>& frame, uint32_t ingress_ifindex,
                                           uint32_t rx_queue) const {
  // The context the program sees: the whole frame (no metadata in front of it), received on
  // ingress_ifindex / rx_queue.
  xdp_md ctx{};
  ctx.data = 0;
  ctx.data_end = static_cast<uint32_t>(frame.size());
  ctx.ingress_ifindex = ingress_ifindex;
  ctx.rx_queue_index = rx_queue;
  Output out;
  out.frame.resize(frame.size() + kOutputSlack);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.frame.data(),
              .data_size_in = static_cast<uint32_t>(frame.size()),
              .data_size_out = static_cast<uint32_t>(out.frame.size()), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
              .repeat = 1);
  if (int err = bpf_prog_test_run_opts(prog_fd_, &opts); err) {
    return MakeError(-err, "XDP test run: running the program on a frame of " + std::to_string(frame.size()) +
                               " bytes from ifindex " + std::to_string(ingress_ifindex) + ": " + ErrnoText(err));
  }
  out.action = opts.retval;
  out.frame.resize(opts.data_size_out);
  return out;
}

}  // namespace ipvsd::io
