#!/usr/bin/env bash
# The kernel's IPVS selftest (tools/testing/selftests/net/netfilter/ipvs.sh; spec §8)
# re-enacted with ipvsd and ipvsadm: for DR, NAT and TUN in turn, a fresh topology with one
# real server, the same ipvsadm commands, and one short TCP connection carrying 32 random bytes
# from the client to VIP:8080, which must arrive unchanged (cmp) at the real server.
# Differences from ipvs.sh, all forced by this machine: addresses are 198.18.0.0/15 (VIP
# 198.19.0.1) instead of 10/8, 172.16/12 and 207.175.44.110; the real server's tunl0 is
# ipvs-agent --decap (no ipip module); the client and server are e2e_peer recv/send in place of
# socat -u (same behaviour, see e2e_peer.cc); timeouts are 10 s/5 s instead of 5 s/2 s.
# Usage: test_ipvs_selftest.sh BINDIR [IO]   (IO: auto, afxdp or afpacket; default auto)
source "$(dirname "$0")/netns_lib.sh"
E2E_IO=${2:-${E2E_IO:-auto}}
e2e_init selftest "${1:?usage: test_ipvs_selftest.sh BINDIR [IO]}"

readonly port=8080
infile="$E2E_WORK/infile"
outfile="$E2E_WORK/outfile"

# ipvsd in place of the kernel module, then ipvs.sh's checktool "ipvsadm -v".
start_director() {
  e2e_start_ipvsd
  e2e_in director ipvsadm -v >/dev/null || e2e_die "ipvsadm -v failed"
}

setup() {
  e2e_topology 1
  e2e_director_vip
  sleep 1  # as ipvs.sh: let the links settle
  dd if=/dev/urandom of="$infile" bs=32 count=1 status=none
  rm -f "$outfile"
}

# server_listen, client_connect and verify_data of ipvs.sh.
test_service() {
  e2e_bg rs1 10 "$E2E_WORK/recv.log" e2e_peer recv "$port" "$outfile"
  local server_pid=$E2E_LAST_PID
  sleep 0.2
  e2e_in client timeout 5 e2e_peer send "$E2E_VIP" "$port" <"$infile" || true
  wait "$server_pid" || true
  cmp "$infile" "$outfile"
}

test_dr() {
  e2e_sysctl director net.ipv4.ip_forward=1
  start_director
  e2e_ipvsadm -A -t "$E2E_VIP:$port" -s rr
  e2e_ipvsadm -a -t "$E2E_VIP:$port" -r "$(e2e_rs_ip 1):$port"
  e2e_rs_setup dr 1
  test_service
}

test_nat() {
  e2e_sysctl director net.ipv4.ip_forward=1
  start_director
  e2e_ipvsadm -A -t "$E2E_VIP:$port" -s rr
  e2e_ipvsadm -a -m -t "$E2E_VIP:$port" -r "$(e2e_rs_ip 1):$port"
  e2e_rs_setup nat 1
  test_service
}

test_tun() {
  e2e_sysctl director net.ipv4.ip_forward=0 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0
  start_director
  e2e_ipvsadm -A -t "$E2E_VIP:$port" -s rr
  e2e_ipvsadm -a -i -t "$E2E_VIP:$port" -r "$(e2e_rs_ip 1):$port"
  e2e_rs_setup tun 1
  test_service
}

for mode in DR NAT TUN; do
  echo "Testing $mode mode..."
  setup
  e2e_check "$mode: 32 bytes over TCP to the VIP arrive unchanged at the real server" "test_${mode,,}"
  e2e_teardown
done
e2e_finish
