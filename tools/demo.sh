#!/usr/bin/env bash
# make demo: ipvsd balancing real HTTP traffic between three web servers, each in its own
# network namespace, then everything removed again. Nothing leaves this machine: the addresses
# are 198.18.0.0/15 (reserved for such tests) inside namespaces this script creates.
# Usage: tools/demo.sh BINDIR [nat|dr|tun]   (make demo METHOD=dr)
source "$(dirname "$0")/../tests/e2e/netns_lib.sh"
readonly method=${2:-nat}
readonly requests=300
case $method in
  nat) flag=-m; how="NAT (masquerading): the director rewrites the VIP to the server's address and back" ;;
  dr) flag=-g; how="direct routing: the director only changes the Ethernet address; servers answer the client directly" ;;
  tun) flag=-i; how="IP tunnelling: the director wraps each packet in IPIP; servers (ipvs-agent unwraps) answer directly" ;;
  *) echo "demo: METHOD must be nat, dr or tun, not '$method'"; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "demo: network namespaces need root: run 'sudo make demo'"; exit 1; }
command -v curl >/dev/null || { echo "demo: curl is missing: run 'make deps'"; exit 1; }
e2e_init "demo-$method" "${1:?usage: demo.sh BINDIR [nat|dr|tun]}"

cat <<TEXT

ipvsd demo — forwarding method: $how

  client 198.18.0.2 ──> director (ipvsd) VIP $E2E_VIP:80 ──> rs1 198.18.1.11
                                                         ──> rs2 198.18.1.12
                                                         ──> rs3 198.18.1.13
  Each real server runs a tiny web server that answers with its own name.

1. Building the network (namespaces, virtual cables, two bridges)
TEXT
e2e_topology 3
e2e_director_vip
e2e_rs_setup "$method" 1 2 3
e2e_start_servers 80

echo
echo "2. Starting ipvsd on the director and configuring it with ipvsadm, as one would kernel IPVS"
e2e_start_ipvsd
e2e_ipvsadm -A -t "$E2E_VIP:80" -s wrr
e2e_ipvsadm -a -t "$E2E_VIP:80" -r "$(e2e_rs_ip 1):80" "$flag" -w 1
e2e_ipvsadm -a -t "$E2E_VIP:80" -r "$(e2e_rs_ip 2):80" "$flag" -w 2
e2e_ipvsadm -a -t "$E2E_VIP:80" -r "$(e2e_rs_ip 3):80" "$flag" -w 3
echo "   (wrr = weighted round robin: rs3 should get 3 times as many connections as rs1)"
echo
e2e_ipvsadm -Ln

echo
echo "3. The client fetches http://$E2E_VIP/ $requests times (one new TCP connection each)"
answers="$E2E_WORK/answers"
for ((k = 0; k < requests; k++)); do
  e2e_in client curl -s --max-time 2 "http://$E2E_VIP/" || echo "no-answer"
done >"$answers"

echo
echo "4. Who answered (counted by the client from the page bodies):"
sort "$answers" | uniq -c | awk '{printf "     %-10s %4d answers\n", $2, $1}'
echo
echo "5. What ipvsd counted (ipvsadm -Ln --stats): Conns = connections, InPkts/OutPkts = packets"
echo "   from clients / back to clients, InBytes/OutBytes the same in bytes."
e2e_ipvsadm -Ln --stats
[ "$method" = nat ] || echo "   (with $method the answers bypass the director: OutPkts and OutBytes stay 0, as with kernel IPVS)"
echo
echo "6. Tearing everything down (namespaces, processes)."
