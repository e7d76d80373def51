#include "io/af_xdp/xdp_features.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

namespace ipvsd::io {
namespace {

// include/uapi/linux/netdev.h (kernel 6.3+).
constexpr uint8_t kNetdevCmdDevGet = 1;
constexpr uint16_t kNetdevAttrIfindex = 1;
constexpr uint16_t kNetdevAttrXdpFeatures = 3;
constexpr uint64_t kNetdevXdpActNdoXmit = 1u << 2;

struct Reply {
  uint16_t family_id = 0;
  std::optional<uint64_t> xdp_features;
};

int OnAttr(const nlattr* attr, void* data) {
  auto* r = static_cast<Reply*>(data);
  if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(attr, MNL_TYPE_U16) == 0) {
    r->family_id = mnl_attr_get_u16(attr);
  }
  return MNL_CB_OK;
}

int OnDevAttr(const nlattr* attr, void* data) {
  auto* r = static_cast<Reply*>(data);
  if (mnl_attr_get_type(attr) == kNetdevAttrXdpFeatures && mnl_attr_validate(attr, MNL_TYPE_U64) == 0) {
    r->xdp_features = mnl_attr_get_u64(attr);
  }
  return MNL_CB_OK;
}

int OnFamily(const nlmsghdr* nlh, void* data) {
  mnl_attr_parse(nlh, sizeof(genlmsghdr), OnAttr, data);
  return MNL_CB_OK;
}

int OnDev(const nlmsghdr* nlh, void* data) {
  mnl_attr_parse(nlh, sizeof(genlmsghdr), OnDevAttr, data);
  return MNL_CB_OK;
}

// One request, its answer through `cb`; false on any error.
bool Ask(mnl_socket* nl, uint16_t type, uint8_t cmd, uint16_t attr, const void* value, size_t len,
         mnl_cb_t cb, Reply* reply) {
  alignas(nlmsghdr) char buf[8192];  // libmnl's advice: at least 8 KB, or the page size
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  const auto seq = static_cast<uint32_t>(time(nullptr));
  nlh->nlmsg_seq = seq;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = cmd;
  genl->version = 1;
  mnl_attr_put(nlh, attr, len, value);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return false;
  const unsigned port = mnl_socket_get_portid(nl);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    if (n <= 0) return false;
    int r = mnl_cb_run(buf, static_cast<size_t>(n), seq, port, cb, reply);
    if (r == MNL_CB_STOP) return true;
    if (r < 0) return false;
  }
}

}  // namespace

std::optional<bool> AcceptsXdpFrames(uint32_t ifindex) {
  mnl_socket* nl = mnl_socket_open(NETLINK_GENERIC);
  if (!nl) return std::nullopt;
  Reply reply;
  std::optional<bool> result;
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0 &&
      Ask(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, "netdev", sizeof("netdev"), OnFamily,
          &reply) &&
      reply.family_id != 0 &&
      Ask(nl, reply.family_id, kNetdevCmdDevGet, kNetdevAttrIfindex, &ifindex, sizeof(ifindex), OnDev, &reply) &&
      reply.xdp_features) {
    result = (*reply.xdp_features & kNetdevXdpActNdoXmit) != 0;
  }
  mnl_socket_close(nl);
  return result;
}

}  // namespace ipvsd::io
