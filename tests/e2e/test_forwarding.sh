#!/usr/bin/env bash
# TCP and UDP through ipvsd with real clients and servers: NAT, DR and TUN (ipip and gue), IPv4
# and IPv6; rr spreading 9 connections 3/3/3 over three real servers; UDP affinity; weight 0
# (no new connections, the established one goes on); deleting a destination; persistence; ICMP
# fragmentation-needed for a DF packet too big for the tunnel; the director's own traffic
# untouched; ipvsadm -Ln --stats and -Lnc showing the real counters and connections.
# Usage: test_forwarding.sh BINDIR [IO]   (IO: auto, afxdp or afpacket; default auto)
source "$(dirname "$0")/netns_lib.sh"
E2E_IO=${2:-${E2E_IO:-auto}}
e2e_init "fwd-$E2E_IO" "${1:?usage: test_forwarding.sh BINDIR [IO]}"

readonly port=8080
readonly stream_port=8090
readonly vip="$E2E_VIP:$port"
readonly vip6="[$E2E_VIP6]:$port"
rs_all=(1 2 3)

# director_reaches_rs I: the director's own TCP connection to real server I (a health check,
# say) works although NAT replies from that server's port are redirected to ipvsd.
director_reaches_rs() {
  local got
  got=$(e2e_in director e2e_peer tcp-names "$(e2e_rs_ip "$1")" "$port" 3 | e2e_count_names || true)
  e2e_expect_eq "answers" "$got" "rs$1=3"
}

# One distinct answer and no failure among COUNT datagrams sent from one socket.
udp_affinity() { one_server 20 udp-names "$1" "$port" 20; }

# avoid NAME CMD...: every connection answered, none by NAME, and the answers by exactly two
# servers (the third is NAME).
avoid() {
  local name=$1 got
  shift
  got=$(e2e_names "$@" || true)
  echo "        answers: $got"
  [[ $got != *"$name="* && $got != *"-="* && $got =~ ^rs[0-9]=[0-9]+\ rs[0-9]=[0-9]+$ ]]
}

# one_server COUNT CMD...: all COUNT answers from one server.
one_server() {
  local count=$1 got
  shift
  got=$(e2e_names "$@" || true)
  echo "        answers: $got"
  [[ $got =~ ^rs[0-9]=$count$ ]]
}

# The connection listing shows the client's established connection to the held server.
lists_connection() {
  local listing
  listing=$(e2e_in director ipvsadm -Lnc)
  echo "$listing" | grep -Eq "^TCP +[0-9:]+ +ESTABLISHED +$E2E_CLIENT:[0-9]+ +$vip +$1:$port" && return 0
  echo "$listing" | sed 's/^/        /'
  return 1
}

# The service line of ipvsadm -Ln --stats: CONNS connections and non-zero packet/byte counts.
stats_show() {
  local stats
  stats=$(e2e_in director ipvsadm -Ln --stats)
  echo "$stats" | sed 's/^/        /'
  echo "$stats" | grep -Eq "^TCP +$vip +$1 +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9]*"
}

# A DF datagram of SIZE bytes comes back as "fragmentation needed": the client's kernel learns
# a path MTU below 1500.
learns_pmtu() {
  local out
  out=$(e2e_in client e2e_peer pmtu "$E2E_VIP" "$port" "$1" || true)
  echo "        $out"
  [[ $out =~ ^mtu\ 1[34][0-9][0-9]$ ]]
}

# checksum_offload on|off: the client's and the real servers' veths hand TCP and UDP over with
# their checksums half-computed (a fresh veth's default: how containers' traffic reaches a
# director); the data plane must complete them.
# The switch's ports towards the director keep them so (a port without checksum offload would
# finish them in the bridge).
checksum_offload() {
  local i
  ip netns exec "$(e2e_ns client)" ethtool -K c0 tx "$1" >/dev/null
  ip netns exec "$(e2e_ns switch)" ethtool -K p-d0 tx "$1" >/dev/null
  ip netns exec "$(e2e_ns switch)" ethtool -K p-d1 tx "$1" >/dev/null
  for i in "${rs_all[@]}"; do ip netns exec "$(e2e_ns "rs$i")" ethtool -K "r${i}s" tx "$1" >/dev/null; done
}

# streams_intact N SECONDS: N TCP streams to the stream service echo every byte back.
streams_intact() {
  local out
  out=$(e2e_in client e2e_peer streams "$E2E_VIP" "$stream_port" "$1" "$2" 2>&1 || true)
  echo "        ${out##*$'\n'}"
  [[ $out == *"streams: ok=$1 broken=0 "* ]]
}

e2e_topology 3
e2e_director_vip
e2e_start_servers "$port"
for i in "${rs_all[@]}"; do e2e_bg "rs$i" 600 "$E2E_WORK/stream-server$i.log" e2e_peer stream-serve "$stream_port"; done
# A service of the director itself, not an IPVS service: it must keep working.
e2e_bg director 600 "$E2E_WORK/director-serve.log" e2e_peer serve 2222 director
e2e_start_ipvsd

echo "== the director's own traffic"
e2e_check "TCP to a non-service port of the director" e2e_expect_names "director=1" tcp-names "$E2E_DIRECTOR_C" 2222 1
e2e_check "ping of the director (IPv4)" e2e_in client e2e_peer ping "$E2E_DIRECTOR_C" 3
e2e_check "ping of the director (IPv6)" e2e_in client e2e_peer ping "$E2E_DIRECTOR_C6" 3

echo "== NAT"
e2e_rs_setup nat "${rs_all[@]}"
e2e_add_rr_service -t "$vip" -m
e2e_add_rr_service -u "$vip" -m
e2e_add_rr_service -t "$vip6" -m
e2e_add_rr_service -u "$vip6" -m
e2e_check "TCP/IPv4: rr spreads 9 connections 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" tcp-names "$E2E_VIP" "$port" 9
e2e_check "UDP/IPv4: 9 sockets spread 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" udp-names "$E2E_VIP" "$port" 9 --socket-each
e2e_check "the director's own connection to a NAT real server" director_reaches_rs 2
e2e_check "UDP/IPv4: one socket stays on one server for 20 datagrams" udp_affinity "$E2E_VIP"
e2e_check "TCP/IPv6: rr spreads 9 connections 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" tcp-names "$E2E_VIP6" "$port" 9
e2e_check "UDP/IPv6: one socket stays on one server" udp_affinity "$E2E_VIP6"
e2e_add_rr_service -t "$E2E_VIP:$stream_port" -m
checksum_offload on
e2e_check "checksum offload on: UDP/IPv4, one socket stays on one server" udp_affinity "$E2E_VIP"
e2e_check "checksum offload on: 3 TCP streams echo every byte for 2 s" streams_intact 3 2
checksum_offload off

# A long connection (8 exchanges over 4 s) while its server's weight goes to 0.
e2e_bg client 20 "$E2E_WORK/hold.log" e2e_peer hold "$E2E_VIP" "$port" 8 500
hold_pid=$E2E_LAST_PID
sleep 1
held=$(head -n1 "$E2E_WORK/hold.log")
if [[ $held =~ ^rs([0-9])$ ]]; then
  held_ip=$(e2e_rs_ip "${BASH_REMATCH[1]}")
  e2e_check "-Lnc lists the established connection from the client" lists_connection "$held_ip"
  e2e_ipvsadm -e -t "$vip" -r "$held_ip:$port" -m -w 0
  e2e_check "weight 0: 6 new connections avoid $held" avoid "$held" tcp-names "$E2E_VIP" "$port" 6
  hold_rc=0
  wait "$hold_pid" || hold_rc=$?
  e2e_check "weight 0: the established connection finished its 8 exchanges with $held" \
    e2e_expect_eq "hold" "$hold_rc:$(sort -u "$E2E_WORK/hold.log" | tr '\n' ' ')" "0:$held "
  e2e_ipvsadm -d -t "$vip" -r "$held_ip:$port"
  e2e_check "deleted destination: 6 connections all answered by the other two" avoid "$held" tcp-names "$E2E_VIP" "$port" 6
else
  e2e_check "a held connection got an answer (got '$held')" false
fi

e2e_check "--stats counts the 9+1+6+6 TCP/IPv4 connections, with packets and bytes" stats_show 22

e2e_ipvsadm -C
e2e_ipvsadm -A -t "$vip" -s rr -p 60
for i in "${rs_all[@]}"; do e2e_ipvsadm -a -t "$vip" -r "$(e2e_rs_ip "$i"):$port" -m; done
e2e_check "persistence (-p 60): 6 connections, one server" one_server 6 tcp-names "$E2E_VIP" "$port" 6
e2e_ipvsadm -C

echo "== DR"
e2e_rs_setup dr "${rs_all[@]}"
e2e_add_rr_service -t "$vip" -g
e2e_add_rr_service -u "$vip" -g
e2e_add_rr_service -t "$vip6" -g
e2e_check "TCP/IPv4: rr spreads 9 connections 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" tcp-names "$E2E_VIP" "$port" 9
e2e_check "UDP/IPv4: 9 sockets spread 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" udp-names "$E2E_VIP" "$port" 9 --socket-each
e2e_check "UDP/IPv4: one socket stays on one server" udp_affinity "$E2E_VIP"
e2e_check "TCP/IPv6: rr spreads 9 connections 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" tcp-names "$E2E_VIP6" "$port" 9
e2e_ipvsadm -C

for tun in ipip gue; do
  echo "== TUN ($tun)"
  e2e_rs_setup tun "${rs_all[@]}"
  tun_args=(-i)
  [ "$tun" = gue ] && tun_args+=(--tun-type gue --tun-port "$E2E_GUE_PORT")
  e2e_add_rr_service -t "$vip" "${tun_args[@]}"
  e2e_add_rr_service -u "$vip" "${tun_args[@]}"
  e2e_add_rr_service -t "$vip6" "${tun_args[@]}"
  e2e_check "TCP/IPv4: rr spreads 9 connections 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" tcp-names "$E2E_VIP" "$port" 9
  e2e_check "UDP/IPv4: 9 sockets spread 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" udp-names "$E2E_VIP" "$port" 9 --socket-each
  e2e_check "UDP/IPv4: one socket stays on one server" udp_affinity "$E2E_VIP"
  e2e_check "TCP/IPv6 in IPv6: rr spreads 9 connections 3/3/3" e2e_expect_names "rs1=3 rs2=3 rs3=3" tcp-names "$E2E_VIP6" "$port" 9
  # 1472 bytes of UDP make a 1500-byte packet: with the tunnel's header it no longer fits the
  # 1500-byte link to the real server, so the director must answer "fragmentation needed".
  e2e_check "DF packet too big for the tunnel: the client learns a smaller path MTU" learns_pmtu 1472
  e2e_ipvsadm -C
  # The learned MTU would shrink the next run's packets: forget it.
  ip -n "$(e2e_ns client)" route flush cache 2>/dev/null || true
done

e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_finish
