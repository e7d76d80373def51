#!/usr/bin/env bash
# ipvs-agent --decap on a real server without tunnel modules, driven by hand-made tunnel
# packets (no ipvsd needed): the director namespace sends what a TUN director sends, a client's
# UDP datagram to the VIP inside IPIP, 6in4, 4in6, 6in6, GRE (with and without checksum) or
# GUE; the real server's kernel gets the inner packet through the agent's TUN device, its
# server answers with its name straight to the client, and the client receives it. Then random
# junk on every tunnel protocol must not stop the agent, which must still decapsulate, and
# SIGTERM must end it with status 0 and its TUN device removed.
# Usage: test_agent_decap.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init agent "${1:?usage: test_agent_decap.sh BINDIR}"

readonly port=8080
readonly client_port=5555

e2e_topology 1
e2e_rs_setup tun 1
e2e_start_servers "$port"
agent_pid=${E2E_AGENT_PIDS[1]}

# through TYPE OUTER_DST CLIENT VIP: one tunnelled datagram, and the answer at the client.
through() {
  local type=$1 outer=$2 client=$3 vip=$4 got
  e2e_bg client 5 "$E2E_WORK/recv.log" e2e_peer udp-recv "$client_port"
  local recv_pid=$E2E_LAST_PID
  sleep 0.2
  e2e_in director e2e_peer tunnel-udp "$type" "$outer" "$client" "$client_port" "$vip" "$port" "hello via $type"
  wait "$recv_pid" || true
  got=$(cat "$E2E_WORK/recv.log")
  e2e_expect_eq "answer" "$got" "rs1"
}

rs=$(e2e_rs_ip 1)
rs6=$(e2e_rs_ip6 1)
echo "== tunnelled client datagrams reach the real server, which answers the client directly"
for type in ipip gre gre-csum gue; do
  e2e_check "$type, IPv4 in IPv4" through "$type" "$rs" "$E2E_CLIENT" "$E2E_VIP"
  e2e_check "$type, IPv6 in IPv4" through "$type" "$rs" "$E2E_CLIENT6" "$E2E_VIP6"
  e2e_check "$type, IPv4 in IPv6" through "$type" "$rs6" "$E2E_CLIENT" "$E2E_VIP"
  e2e_check "$type, IPv6 in IPv6" through "$type" "$rs6" "$E2E_CLIENT6" "$E2E_VIP6"
done

echo "== junk"
e2e_check "4000 random tunnel packets over IPv4 sent" e2e_in director e2e_peer tunnel-junk "$rs" 4000 1
e2e_check "4000 random tunnel packets over IPv6 sent" e2e_in director e2e_peer tunnel-junk "$rs6" 4000 2
e2e_check "the agent is still running" kill -0 "$agent_pid"
e2e_check "and still decapsulates" through gue "$rs" "$E2E_CLIENT" "$E2E_VIP"

echo "== exit"
kill -USR1 "$agent_pid"
sleep 0.2
grep -h "received=" "$E2E_WORK/agent1.log" | sed 's/^/        /'
kill -TERM "$agent_pid"
e2e_check "SIGTERM: the agent exits" e2e_wait_gone "$agent_pid" 30
e2e_check "SIGTERM: its TUN device is gone" bash -c "! ip -n '$(e2e_ns rs1)' link show decap0 2>/dev/null"
e2e_finish
