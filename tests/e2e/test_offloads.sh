#!/usr/bin/env bash
# The veth offloads on, as users run them (checksum offload, TSO, GSO): the client and the real
# servers hand TCP over in 64 KB aggregates with half-computed checksums. Without --gso,
# AF_PACKET drops them and says so in its log; with --gso it forwards them whole, with their
# offload state, through NAT (both ways) and DR; AF_XDP, whose XDP program makes the kernel cut
# aggregates before it, completes the checksums.
# A bulk transfer is echoed and every byte checked; ipvsadm's byte and packet counters show
# that the aggregates went through as such (a packet of IPVS is one skb, as in the kernel).
# Usage: test_offloads.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init offloads "${1:?usage: test_offloads.sh BINDIR}"

readonly port=8090
readonly vip="$E2E_VIP:$port"
rs_all=(1 2 3)

# bulk MBYTES: one TCP connection echoes MBYTES MB byte for byte.
bulk() {
  local out
  out=$(E2E_CMD_TIMEOUT=60 e2e_in client e2e_peer bulk "$E2E_VIP" "$port" "$1" 2>&1 || true)
  echo "        $out"
  [[ $out == "bulk: bytes=$(($1 << 20)) "* ]]
}

# bytes_per_packet_above N: the service's incoming bytes per packet (ipvsadm -Ln --stats
# --exact) exceed N.
bytes_per_packet_above() {
  local line
  line=$(e2e_in director ipvsadm -Ln --stats --exact | awk -v s="$vip" '$1 == "TCP" && $2 == s')
  echo "        $line"
  awk -v n="$1" '{ exit !($4 > 0 && $6 / $4 > n) }' <<<"$line"
}

service() {
  local i
  e2e_ipvsadm -C
  e2e_ipvsadm -A -t "$vip" -s rr
  for i in "${rs_all[@]}"; do e2e_ipvsadm -a -t "$vip" -r "$(e2e_rs_ip "$i"):$port" "$1"; done
}

e2e_topology 3
for i in "${rs_all[@]}"; do e2e_bg "rs$i" 300 "$E2E_WORK/stream-server$i.log" e2e_peer stream-serve "$port"; done
e2e_set_offloads on
# The switch ports towards the real servers and the client cannot offload: the kernel finishes
# ipvsd's partial checksums and cuts its aggregates there, in software, and the receivers check
# the result (a receiver behind a veth would trust a partial checksum unseen).
no_switch_offloads() { ip netns exec "$(e2e_ns switch)" ethtool -K "$1" tx off tso off gso off >/dev/null; }
no_switch_offloads p-c0
for i in "${rs_all[@]}"; do no_switch_offloads "p-r${i}s"; done

echo "== AF_PACKET without --gso"
E2E_IO=afpacket e2e_start_ipvsd
e2e_rs_setup nat "${rs_all[@]}"
service -m
E2E_CMD_TIMEOUT=3 e2e_in client e2e_peer bulk "$E2E_VIP" "$port" 4 >/dev/null 2>&1 || true
e2e_check "the aggregates are dropped, and ipvsd's log says why and what to do" \
  grep -q "larger than a ring slot.*run ipvsd with --gso" "$E2E_WORK/ipvsd.log"
e2e_stop_ipvsd

echo "== AF_PACKET --gso"
E2E_IO=afpacket e2e_start_ipvsd --gso
service -m
e2e_check "NAT: 64 MB echoed byte for byte" bulk 64
e2e_check "NAT: the aggregates went through whole (over 3000 bytes per packet)" bytes_per_packet_above 3000
e2e_rs_setup dr "${rs_all[@]}"
service -g
e2e_check "DR: 64 MB echoed byte for byte" bulk 64
e2e_check "DR: the aggregates went through whole (over 3000 bytes per packet)" bytes_per_packet_above 3000
e2e_stop_ipvsd

echo "== AF_XDP"
E2E_IO=afxdp e2e_start_ipvsd
e2e_rs_setup nat "${rs_all[@]}"
service -m
e2e_check "NAT: 16 MB echoed byte for byte (checksums completed)" bulk 16
e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_finish
