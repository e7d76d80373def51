#!/usr/bin/env bash
# The portable data plane end to end (docs/portability.md): ipvsd --io pcap, i.e. libpcap for
# the frames and io::PortableRouter for the next hops (interfaces from getifaddrs, the connected
# prefixes, ARP and Neighbor Discovery of its own through the pcap handles; no netlink), forwards
# DR, TUN (ipip and gue, decapsulated by ipvs-agent on the real servers) and NAT, TCP and UDP,
# IPv4 and IPv6, with rr spreading 9 connections 3/3/3 and UDP affinity; ipvsd's own counters
# show that it resolved the real servers and the client itself.
#
# A packet capture cannot take frames away from the kernel (on any system), and ipvsd's
# portable build has no firewall code: keeping the director's kernel from answering or
# forwarding service packets is this script's set-up, as it would be an administrator's.
# The director has no VIP (the client routes through it), forwarding off, and an nftables
# table of the test's own drops, in prerouting, the kernel's copies of service packets (to the
# VIP) and NAT replies (real servers -> client); a BSD host does the same with pf.
# Usage: test_portable.sh BINDIR [HELPER_BINDIR]
#   ipvsd and ipvsadm come from BINDIR; the client's and real servers' programs (e2e_peer,
#   ipvs-agent) from HELPER_BINDIR (default BINDIR). They are not the director: the portable
#   build's test runs the Linux build's there, since the portable build has neither e2e_peer
#   (it captures with AF_PACKET) nor the agent's decapsulation (a Linux tun device).
source "$(dirname "$0")/netns_lib.sh"
E2E_IO=pcap
# libpcap has no fanout: ipvsd --io pcap serves every interface with one worker.
E2E_WORKERS=1
director_bin=$(cd "${1:?usage: test_portable.sh BINDIR [HELPER_BINDIR]}" && pwd)
e2e_init portable "${2:-$1}"
[ -x "$director_bin/ipvsd" ] && [ -x "$director_bin/ipvsadm" ] || e2e_die "$director_bin: ipvsd and ipvsadm are not built"
# One directory with the director's programs and the helpers, for e2e_in and e2e_bg.
mkdir "$E2E_WORK/bin"
ln -s "$director_bin/ipvsd" "$director_bin/ipvsadm" "$E2E_BIN/e2e_peer" "$E2E_BIN/ipvs-agent" "$E2E_WORK/bin/"
E2E_BIN=$E2E_WORK/bin
command -v nft >/dev/null 2>&1 || e2e_skip "missing tool: nft"
command -v curl >/dev/null 2>&1 || e2e_skip "missing tool: curl"

readonly port=8080
readonly vip="$E2E_VIP:$port"
readonly vip6="[$E2E_VIP6]:$port"
rs_all=(1 2 3)

# udp_affinity VIP: 20 datagrams from one socket, all answered by one server.
udp_affinity() {
  local got
  got=$(e2e_names udp-names "$1" "$port" 20 || true)
  echo "        answers: $got"
  [[ $got =~ ^rs[0-9]=20$ ]]
}

# The same four checks for every forwarding method.
forward_checks() {
  e2e_check "TCP/IPv4: rr spreads 9 connections 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" tcp-names "$E2E_VIP" "$port" 9
  e2e_check "UDP/IPv4: 9 sockets spread 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" udp-names "$E2E_VIP" "$port" 9 --socket-each
  e2e_check "TCP/IPv6: rr spreads 9 connections 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" tcp-names "$E2E_VIP6" "$port" 9
  e2e_check "UDP/IPv6: one socket stays on one server for 20 datagrams" udp_affinity "$E2E_VIP6"
}

# The value of one of ipvsd's packet I/O counters (its /metrics, in the director).
io_counter() {
  e2e_in director curl -s "http://127.0.0.1:$metrics_port/metrics" |
    awk -v e="event=\"$1\"" 'index($0, "ipvsd_packet_io_events_total{") == 1 && index($0, e) { print $2 }'
}
counter_positive() {
  local v
  v=$(io_counter "$1")
  echo "        $1: ${v:-none}"
  [[ ${v:-0} =~ ^[1-9][0-9]*$ ]]
}

e2e_topology 3
d=$(e2e_ns director)
# The kernel keeps out: no forwarding, and its copies of ipvsd's packets dropped.
e2e_sysctl director net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
ip netns exec "$d" nft -f - <<EOF
table inet e2e_portable {
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    ip daddr $E2E_VIP drop
    ip6 daddr $E2E_VIP6 drop
    iifname "d1" ip daddr $E2E_CLIENT drop
    iifname "d1" ip6 daddr $E2E_CLIENT6 drop
  }
}
EOF
e2e_start_servers "$port"
e2e_bg director 600 "$E2E_WORK/director-serve.log" e2e_peer serve 2222 director
readonly metrics_port=9180
e2e_start_ipvsd --metrics "127.0.0.1:$metrics_port"
e2e_check "ipvsd runs the pcap data plane" grep -q 'data plane: pcap on d0,d1, 1 worker' "$E2E_WORK/ipvsd.log"

echo "== the director's own traffic"
e2e_check "TCP to a non-service port of the director" e2e_expect_names "director=1" tcp-names "$E2E_DIRECTOR_C" 2222 1
e2e_check "ping of the director (IPv6)" e2e_in client e2e_peer ping "$E2E_DIRECTOR_C6" 3

echo "== DR"
e2e_rs_setup dr "${rs_all[@]}"
e2e_add_rr_service -t "$vip" -g
e2e_add_rr_service -u "$vip" -g
e2e_add_rr_service -t "$vip6" -g
e2e_add_rr_service -u "$vip6" -g
forward_checks
e2e_ipvsadm -C

for tun in ipip gue; do
  echo "== TUN ($tun)"
  e2e_rs_setup tun "${rs_all[@]}"
  tun_args=(-i)
  [ "$tun" = gue ] && tun_args+=(--tun-type gue --tun-port "$E2E_GUE_PORT")
  e2e_add_rr_service -t "$vip" "${tun_args[@]}"
  e2e_add_rr_service -u "$vip" "${tun_args[@]}"
  e2e_add_rr_service -t "$vip6" "${tun_args[@]}"
  e2e_add_rr_service -u "$vip6" "${tun_args[@]}"
  forward_checks
  e2e_ipvsadm -C
done

echo "== NAT"
e2e_rs_setup nat "${rs_all[@]}"
e2e_add_rr_service -t "$vip" -m
e2e_add_rr_service -u "$vip" -m
e2e_add_rr_service -t "$vip6" -m
e2e_add_rr_service -u "$vip6" -m
forward_checks
e2e_ipvsadm -C

echo "== ipvsd's own neighbour resolution"
e2e_check "ARP requests and Neighbor Solicitations sent" counter_positive neighbour_solicitations
e2e_check "answered by ARP replies and Neighbor Advertisements" counter_positive neighbour_answers
e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_finish
