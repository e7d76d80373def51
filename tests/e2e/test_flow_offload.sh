#!/usr/bin/env bash
# Flow offload (docs/architecture.md "Flow offload"): the XDP program forwards the packets of
# established NAT, DR and TUN flows itself, and everything a user sees stays as without it.
# Through real clients and servers: exact packet counters in ipvsadm --stats --exact for UDP (IPv4 and
# IPv6, NAT and DR) with most packets forwarded below user space; a 32 MB TCP transfer echoed
# byte for byte; a closed connection leaves ESTABLISHED; a flow that idles past its timeout
# expires, one that does not stays; a deleted real server gets no more packets; a real server
# whose MAC address changes keeps its flow; persistence keeps its template; TUN (ipip, gue and
# gre with checksums) counted exactly, and a TCP transfer through it echoed byte for byte.
# Usage: test_flow_offload.sh BINDIR   (E2E_QUEUES / E2E_WORKERS / E2E_OFFLOADS as usual)
source "$(dirname "$0")/netns_lib.sh"
e2e_init flow-offload "${1:?usage: test_flow_offload.sh BINDIR}"

readonly port=8080
readonly stream_port=8090
readonly vip="$E2E_VIP:$port"
readonly vip6="[$E2E_VIP6]:$port"
readonly metrics=127.0.0.1:9180
rs_all=(1 2 3)

# metric NAME: the sum of NAME's samples on ipvsd's /metrics.
metric() {
  e2e_in director curl -sS --fail "http://$metrics/metrics" |
    awk -v n="$1" 'index($0, n"{") == 1 { s += $NF } END { print s + 0 }'
}

# counts PROTO ADDR: "conns inpkts outpkts" of one service in ipvsadm -Ln --stats --exact.
counts() {
  e2e_in director ipvsadm -Ln --stats --exact | awk -v p="$1" -v a="$2" '$1 == p && $2 == a { print $3, $4, $5 }'
}

# exact_udp ADDR HOST N REPLIES: N datagrams from one socket, all answered; once the counters
# are read in (a second), the service shows 1 connection, N packets in and REPLIES out.
exact_udp() {
  local addr=$1 host=$2 n=$3 replies=$4 got
  e2e_in client e2e_peer udp-names "$host" "$port" "$n" >/dev/null || return 1
  sleep 1.5
  got=$(counts UDP "$addr")
  echo "        UDP $addr: conns inpkts outpkts = $got"
  [ "$got" = "1 $n $replies" ]
}

# offloaded_at_least N CMD...: CMD succeeds and the XDP program forwarded at least N packets
# meanwhile.
offloaded_at_least() {
  local want=$1 before after
  shift
  before=$(metric ipvsd_worker_offloaded_packets_total)
  "$@" || return 1
  sleep 1.5
  after=$(metric ipvsd_worker_offloaded_packets_total)
  echo "        forwarded by the XDP program: $((after - before)) packets"
  [ $((after - before)) -ge "$want" ]
}

bulk() {
  local out
  out=$(E2E_CMD_TIMEOUT=60 e2e_in client e2e_peer bulk "$E2E_VIP" "$stream_port" "$1" 2>&1 || true)
  echo "        $out"
  [[ $out == "bulk: bytes=$(($1 << 20)) "* ]]
}

# no_established: no TCP connection of the listing is ESTABLISHED any more.
no_established() {
  local listing
  listing=$(e2e_in director ipvsadm -Lnc)
  echo "$listing" | awk 'NR > 2' | sed 's/^/        /'
  ! echo "$listing" | grep -q "^TCP .* ESTABLISHED "
}

# short_udp_conns: UDP connections that expire within 5 s (those of the timeout test; the
# earlier ones keep their 300 s).
short_udp_conns() { e2e_in director ipvsadm -Lnc | awk '$1 == "UDP" && $2 ~ /^00:0[0-5]$/' | wc -l; }

# udp_flows N SECONDS: N flows (a datagram each every 100 ms), none moved, every datagram but
# at most 2 per flow answered, no gap over a second.
udp_flows() {
  local out
  out=$(E2E_CMD_TIMEOUT=$(($2 + 10)) e2e_in client e2e_peer udp-flows "$E2E_VIP" "$port" "$1" "$2" 2>&1 || true)
  echo "        ${out##*$'\n'}"
  [[ $out =~ udp-flows:\ flows=$1\ moved=0\ sent=([0-9]+)\ answered=([0-9]+)\ max_gap_ms=([0-9]+) ]] || return 1
  [ $((BASH_REMATCH[1] - BASH_REMATCH[2])) -le $((2 * $1)) ] && [ "${BASH_REMATCH[3]}" -lt 1000 ]
}

e2e_topology 3
e2e_director_vip
e2e_start_servers "$port"
for i in "${rs_all[@]}"; do e2e_bg "rs$i" 600 "$E2E_WORK/stream-server$i.log" e2e_peer stream-serve "$stream_port"; done
E2E_IO=afxdp e2e_start_ipvsd --metrics "$metrics"
e2e_check "both director interfaces take the XDP program's frames" \
  bash -c "! grep -q 'takes no XDP frames' '$E2E_WORK/ipvsd.log'"

echo "== NAT"
e2e_rs_setup nat "${rs_all[@]}"
e2e_add_rr_service -u "$vip" -m
e2e_add_rr_service -u "$vip6" -m
e2e_add_rr_service -t "$E2E_VIP:$stream_port" -m
e2e_check "UDP/IPv4: 400 datagrams and answers, counted exactly, 390 of them in XDP" \
  offloaded_at_least 780 exact_udp "$vip" "$E2E_VIP" 400 400
e2e_check "UDP/IPv6: 400 datagrams and answers, counted exactly, 390 of them in XDP" \
  offloaded_at_least 780 exact_udp "$vip6" "$E2E_VIP6" 400 400
e2e_check "TCP: 32 MB echoed byte for byte, most packets in XDP" offloaded_at_least 10000 bulk 32
e2e_check "TCP: the closed connection is no longer ESTABLISHED" no_established

e2e_ipvsadm --set 900 120 4
e2e_check "UDP: 3 flows that never pause for 6 s stay on their servers (timeout 4 s)" udp_flows 3 6
e2e_check "UDP: their connections are still listed just after" e2e_expect_eq "UDP connections" "$(short_udp_conns)" 3
sleep 6
e2e_check "UDP: 6 s idle, past their 4 s timeout, they are gone" e2e_expect_eq "UDP connections" "$(short_udp_conns)" 0
e2e_ipvsadm --set 900 120 300

# A real server's MAC address changes under three flows: the director learns the new one and
# its offloaded flows follow at once.
e2e_bg client 20 "$E2E_WORK/flows.log" e2e_peer udp-flows "$E2E_VIP" "$port" 3 6
flows_pid=$E2E_LAST_PID
sleep 2
for i in "${rs_all[@]}"; do
  mac="02:00:00:00:$(printf %02x "$i"):77"
  ip -n "$(e2e_ns "rs$i")" link set "r${i}s" address "$mac"
  ip -n "$(e2e_ns director)" neigh replace "$(e2e_rs_ip "$i")" lladdr "$mac" dev d1 nud reachable
  # The IPv6 entries too, as the server's unsolicited neighbour advertisement would: left with
  # the old MAC, the IPv6 checks below would wait for the kernel's probes to find the new one.
  ip -n "$(e2e_ns director)" neigh replace "$(e2e_rs_ip6 "$i")" lladdr "$mac" dev d1 nud reachable
done
wait "$flows_pid" || true
flows_out=$(tail -n1 "$E2E_WORK/flows.log")
e2e_log "after the MAC change: $flows_out"
e2e_check "next hop changed: the flows kept their servers, at most a datagram each missing" \
  awk '{ split($0, f, /[ =]/); for (i = 1; i < length(f); i++) v[f[i]] = f[i + 1]
         exit !(v["moved"] == 0 && v["sent"] - v["answered"] <= 3 && v["max_gap_ms"] < 500) }' <<<"$flows_out"

# A real server deleted under a long TCP connection: its packets are no longer forwarded
# (expire_nodest_conn off: dropped), as without offload.
e2e_ipvsadm -A -t "$vip" -s rr
e2e_ipvsadm -a -t "$vip" -r "$(e2e_rs_ip 1):$port" -m
e2e_bg client 20 "$E2E_WORK/hold.log" e2e_peer hold "$E2E_VIP" "$port" 10 400
hold_pid=$E2E_LAST_PID
sleep 1.5
e2e_ipvsadm -d -t "$vip" -r "$(e2e_rs_ip 1):$port"
hold_rc=0
wait "$hold_pid" || hold_rc=$?
answers=$(grep -c '^rs1$' "$E2E_WORK/hold.log" || true)
e2e_check "deleted real server: the connection broke off ($answers of 10 answers)" \
  bash -c "[ $hold_rc -ne 0 ] && [ $answers -ge 2 ] && [ $answers -le 6 ]"
e2e_ipvsadm -C

e2e_ipvsadm -A -u "$vip" -s rr -p 60
for i in "${rs_all[@]}"; do e2e_ipvsadm -a -u "$vip" -r "$(e2e_rs_ip "$i"):$port" -m; done
persistent() {
  local got
  got=$(e2e_in client e2e_peer udp-names "$E2E_VIP" "$port" 6 --socket-each | e2e_count_names)
  echo "        answers: $got"
  [[ $got =~ ^rs[0-9]=6$ ]] && e2e_in director ipvsadm -Lnc | grep -q "^UDP .* $E2E_CLIENT:0 "
}
e2e_check "persistence (-p 60): 6 sockets on one server, the template listed" persistent
e2e_ipvsadm -C

echo "== DR"
e2e_rs_setup dr "${rs_all[@]}"
e2e_add_rr_service -u "$vip" -g
e2e_check "UDP/IPv4: 300 datagrams counted exactly (replies go straight back), 290 in XDP" \
  offloaded_at_least 290 exact_udp "$vip" "$E2E_VIP" 300 0
e2e_ipvsadm -C

# TUN: the program puts the outer headers in front itself; the real servers' ipvs-agent
# unwraps them. The checksums asked for here are checked there: GUE's by the real server's UDP
# stack, GRE's by the agent.
# The switch port facing the director runs GRO (see e2e_director_peers_take_xdp), which merges
# the IPIP and GRE packets of one TCP stream into tunnel aggregates; sent on with a fresh veth's
# offloads, their inner TCP checksums arrive unfinished (CHECKSUM_PARTIAL). The kernel's ipip and
# gre drivers keep that state; ipvs-agent, reading raw sockets, cannot see it. So the switch
# ports facing the real servers finish checksums and cut aggregates themselves, as with offloads
# off.
for i in "${rs_all[@]}"; do
  ip netns exec "$(e2e_ns switch)" ethtool -K "p-r${i}s" tx off tx-gre-segmentation off \
    tx-gre-csum-segmentation off tx-ipxip4-segmentation off tx-ipxip6-segmentation off >/dev/null 2>&1 || true
done
for tun in ipip gue gre; do
  echo "== TUN ($tun)"
  e2e_rs_setup tun "${rs_all[@]}"
  tun_args=(-i)
  [ "$tun" = gue ] && tun_args+=(--tun-type gue --tun-port "$E2E_GUE_PORT" --tun-csum)
  [ "$tun" = gre ] && tun_args+=(--tun-type gre --tun-csum)
  e2e_add_rr_service -u "$vip" "${tun_args[@]}"
  e2e_add_rr_service -u "$vip6" "${tun_args[@]}"
  e2e_add_rr_service -t "$E2E_VIP:$stream_port" "${tun_args[@]}"
  e2e_check "UDP/IPv4 over $tun: 300 datagrams counted exactly, 290 in XDP" \
    offloaded_at_least 290 exact_udp "$vip" "$E2E_VIP" 300 0
  e2e_check "UDP/IPv6 over $tun: 300 datagrams counted exactly, 290 in XDP" \
    offloaded_at_least 290 exact_udp "$vip6" "$E2E_VIP6" 300 0
  e2e_check "TCP over $tun: 8 MB echoed byte for byte, most client packets in XDP" offloaded_at_least 2000 bulk 8
  e2e_ipvsadm -C
  # The path MTU the client learned through the tunnel would shrink the next run's packets.
  ip -n "$(e2e_ns client)" route flush cache 2>/dev/null || true
done

e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_in director curl -sS "http://$metrics/metrics" | grep -E '^ipvsd_worker_(flows_|offloaded)' | sed 's/^/  /'
e2e_finish
