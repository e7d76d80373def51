#!/usr/bin/env bash
# Bad input on the wire never stops ipvsd and never disturbs an established flow: while a
# client holds a NAT connection open (20 exchanges over ~10 s), the client side sends
# malformed, truncated and random frames at the VIP (bad IPv4 header lengths, checksums and
# total lengths, short and lying TCP/UDP headers, fragments, ICMP errors with cut quotes,
# IPv6 with lying lengths, VLAN stacks, random ethertypes) and the server side sends the same
# kind of garbage as "replies"; hping3 adds its own if it is installed. Afterwards ipvsd must
# still run, the held connection must have completed every exchange, new connections must
# all be answered, and ipvsadm must still work.
# Usage: test_hostile_input.sh BINDIR [IO]   (IO: auto, afxdp or afpacket; default auto)
source "$(dirname "$0")/netns_lib.sh"
E2E_IO=${2:-${E2E_IO:-auto}}
e2e_init "hostile-$E2E_IO" "${1:?usage: test_hostile_input.sh BINDIR [IO]}"

readonly port=8080
readonly vip="$E2E_VIP:$port"

mac_of() { ip -n "$(e2e_ns "$1")" link show "$2" | awk '/link\/ether/ {print $2}'; }

e2e_topology 3
e2e_director_vip
e2e_rs_setup nat 1 2 3
e2e_start_servers "$port"
e2e_start_ipvsd
e2e_ipvsadm -A -t "$vip" -s rr
e2e_ipvsadm -A -u "$vip" -s rr
for i in 1 2 3; do
  e2e_ipvsadm -a -t "$vip" -r "$(e2e_rs_ip "$i"):$port" -m
  e2e_ipvsadm -a -u "$vip" -r "$(e2e_rs_ip "$i"):$port" -m
done

e2e_check "before: a connection through the VIP works" e2e_in client e2e_peer tcp-names "$E2E_VIP" "$port" 1
e2e_bg client 30 "$E2E_WORK/hold.log" e2e_peer hold "$E2E_VIP" "$port" 20 500
hold_pid=$E2E_LAST_PID

d0_mac=$(mac_of director d0)
d1_mac=$(mac_of director d1)
echo "== garbage from the client side to $d0_mac (d0), aimed at $vip"
e2e_check "20000 frames sent" e2e_in client e2e_peer garbage c0 "$d0_mac" "$E2E_CLIENT" "$E2E_VIP" "$port" 20000 1
echo "== garbage from the server side to $d1_mac (d1), posing as replies to the client"
e2e_check "20000 frames sent" e2e_in rs1 e2e_peer garbage r1s "$d1_mac" "$(e2e_rs_ip 1)" "$E2E_CLIENT" 40000 20000 2
if command -v hping3 >/dev/null 2>&1; then
  echo "== hping3: SYN+FIN, bad checksums, tiny fragments, random data (bounded counts)"
  e2e_in client hping3 -q -c 300 -i u200 -S -F -p "$port" "$E2E_VIP" >/dev/null 2>&1 || true
  e2e_in client hping3 -q -c 300 -i u200 -b -p "$port" "$E2E_VIP" >/dev/null 2>&1 || true
  e2e_in client hping3 -q -c 300 -i u200 -f -d 40 -p "$port" "$E2E_VIP" >/dev/null 2>&1 || true
  e2e_in client hping3 -q -c 300 -i u200 -2 -d 1 -p "$port" "$E2E_VIP" >/dev/null 2>&1 || true
else
  echo "   (hping3 is not installed: its extra rounds are left out)"
fi

e2e_check "ipvsd survived" e2e_ipvsd_alive
hold_rc=0
wait "$hold_pid" || hold_rc=$?
e2e_check "the established connection completed its 20 exchanges with one server" \
  e2e_expect_eq "hold" "$hold_rc:$(wc -l <"$E2E_WORK/hold.log"):$(sort -u "$E2E_WORK/hold.log" | wc -l)" "0:20:1"
e2e_check "after: 9 new TCP connections are all answered" e2e_in client e2e_peer tcp-names "$E2E_VIP" "$port" 9
e2e_check "after: UDP is answered" e2e_in client e2e_peer udp-names "$E2E_VIP" "$port" 3
e2e_check "after: ipvsadm -Ln still answers" e2e_in director ipvsadm -Ln
e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_finish
