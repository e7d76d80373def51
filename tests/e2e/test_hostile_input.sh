#!/usr/bin/env bash
# Bad input on the wire never stops ipvsd and never disturbs an established flow: while a
# client holds a NAT connection open (20 exchanges over ~10 s), the client side sends
# malformed, truncated and random frames at the VIP (bad IPv4 header lengths, checksums and
# total lengths, short and lying TCP/UDP headers, fragments, ICMP errors with cut quotes,
# IPv6 with lying lengths, VLAN stacks, random ethertypes) and the server side sends the same
# kind of garbage as "replies"; hping3 adds its own if it is installed. Afterwards ipvsd must
# still run, the held connection must have completed every exchange, new connections must
# all be answered, and ipvsadm must still work. Then two kinds of SYN the kernel drops on
# receipt (ip_rcv_core, ip_route_input_slow), each otherwise well formed: one with a wrong IPv4
# header checksum from the client's own address, one from 127.0.0.1. Neither may make a
# connection, and `ipvsadm -L --json` must count each under its drop reason.
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

# With br_netfilter loaded, a bridge that calls iptables checks IPv4 header checksums itself
# (br_validate_ipv4) and drops bad ones before they reach d0 or d1: a plain switch does not.
if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
  e2e_sysctl switch net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
fi
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

# raw SYNs: python3 - IFACE DST_MAC SRC DST DPORT SPORT COUNT BAD_IP_CSUM sends COUNT TCP SYNs
# SRC:SPORT -> DST:DPORT out of IFACE to DST_MAC, every checksum right except, with
# BAD_IP_CSUM=1, the IPv4 header's (so that only that check can stop them).
read -r -d '' raw_syns_py <<'PY' || true
import socket, struct, sys
iface, dst_mac, src, dst, dport, sport, count, bad = sys.argv[1:9]
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
saddr, daddr = socket.inet_aton(src), socket.inet_aton(dst)
eth = bytes.fromhex(dst_mac.replace(':', '')) + bytes.fromhex('020000000097') + b'\x08\x00'
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))
for i in range(int(count)):
    tcp = struct.pack('!HHIIBBHHH', int(sport), int(dport), 1000 + i, 0, 5 << 4, 0x02, 8192, 0, 0)
    tcp = tcp[:16] + struct.pack('!H', csum(saddr + daddr + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, i, 0, 64, 6, 0, saddr, daddr)
    check = csum(ip) ^ (0x5a5a if bad == '1' else 0)
    sock.send(eth + ip[:10] + struct.pack('!H', check) + ip[12:] + tcp)
print('%s raw SYNs sent' % count)
PY
# drops REASON: frames every worker counted under REASON (`ipvsadm -L --json`).
drops() { e2e_in director ipvsadm -L --json | jq "[.data_plane.workers[].drops.$1 // 0] | add // 0"; }
# tcp_conns: connections the TCP service ever made (its `conns` counter).
tcp_conns() { e2e_in director ipvsadm -L --json | jq '[.services[] | select(.protocol == "tcp") | .stats.conns] | add'; }
# grown REASON BEFORE: REASON has counted at least raw_count more frames than BEFORE.
grown() { [ $(($(drops "$1") - $2)) -ge "$raw_count" ]; }
readonly raw_count=50
if command -v python3 >/dev/null 2>&1; then
  echo "== $raw_count SYNs with a bad IPv4 header checksum, $raw_count from 127.0.0.1, to $vip"
  bad_csum_before=$(drops bad_ip_checksum)
  martian_before=$(drops martian_source)
  conns_before=$(tcp_conns)
  e2e_check "bad-checksum SYNs sent" \
    e2e_in client python3 -c "$raw_syns_py" c0 "$d0_mac" "$E2E_CLIENT" "$E2E_VIP" "$port" 47001 "$raw_count" 1
  e2e_check "martian-source SYNs sent" \
    e2e_in client python3 -c "$raw_syns_py" c0 "$d0_mac" 127.0.0.1 "$E2E_VIP" "$port" 47002 "$raw_count" 0
  e2e_wait_until 50 grown bad_ip_checksum "$bad_csum_before" || true
  e2e_check "the bad-checksum SYNs are counted as bad_ip_checksum" \
    e2e_expect_eq "bad_ip_checksum" "$(($(drops bad_ip_checksum) - bad_csum_before))" "$raw_count"
  e2e_wait_until 50 grown martian_source "$martian_before" || true
  e2e_check "the 127.0.0.1 SYNs are counted as martian_source" \
    e2e_expect_eq "martian_source" "$(($(drops martian_source) - martian_before))" "$raw_count"
  e2e_check "neither kind made a connection" e2e_expect_eq "new TCP connections" "$(($(tcp_conns) - conns_before))" 0
else
  echo "   (python3 is not installed: the raw bad-checksum and martian SYNs are left out)"
fi
hold_rc=0
wait "$hold_pid" || hold_rc=$?
e2e_check "the established connection completed its 20 exchanges with one server" \
  e2e_expect_eq "hold" "$hold_rc:$(wc -l <"$E2E_WORK/hold.log"):$(sort -u "$E2E_WORK/hold.log" | wc -l)" "0:20:1"
e2e_check "after: 9 new TCP connections are all answered" e2e_in client e2e_peer tcp-names "$E2E_VIP" "$port" 9
e2e_check "after: UDP is answered" e2e_in client e2e_peer udp-names "$E2E_VIP" "$port" 3
e2e_check "after: ipvsadm -Ln still answers" e2e_in director ipvsadm -Ln
e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_finish
