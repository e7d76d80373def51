// The portable build's other data planes (daemon/data_plane_backends.h): none. Its options turn
// --io auto into pcap and refuse afxdp and afpacket (daemon/options.h), so only an Options made
// in code reaches this.
#include <cerrno>

#include "daemon/data_plane_backends.h"

namespace ipvsd::daemon {

Result<KernelDataPlane> OpenKernelDataPlane(const Options&, const std::vector<std::string>&,
                                            std::vector<io::AfXdpHandover>& handed) {
  for (io::AfXdpHandover& h : handed) h.Close();
  return MakeError(ENOTSUP, "the portable build has --io pcap only (no AF_XDP or AF_PACKET)");
}

}  // namespace ipvsd::daemon
