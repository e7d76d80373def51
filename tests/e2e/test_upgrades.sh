#!/usr/bin/env bash
# Ten upgrades in a row under load (docs/operations.md "Upgrades"): 20 long-lived TCP streams,
# 10 UDP flows and a steady stream of new TCP connections go through services of one forwarding
# method (nat or dr, the second argument) to a VIP the director owns, while SIGUSR2 (what
# `systemctl reload ipvsd` sends) makes each running ipvsd start its successor with --takeover,
# ten times. No stream may break or lose a byte, no UDP flow may move to another real server and
# no new connection may fail; the longest stall of a stream, the longest gap of a UDP flow and
# the new connections that needed a retransmitted SYN are reported. Through AF_XDP every ipvsd
# passes its sockets to the next one (nothing dropped meanwhile); through AF_PACKET
# (E2E_IO=afpacket) the packets are held and the clients retransmit.
# Usage: test_upgrades.sh BINDIR nat|dr
source "$(dirname "$0")/netns_lib.sh"
method=${2:?usage: test_upgrades.sh BINDIR nat|dr}
case $method in
  nat) flag=-m ;;
  dr) flag=-g ;;
  *) echo "test_upgrades.sh: method nat or dr, not '$method'" >&2; exit 2 ;;
esac
e2e_init "upgrades-$method" "${1:?usage: test_upgrades.sh BINDIR nat|dr}"

readonly stream_port=8080
readonly names_port=80
readonly streams=20
readonly flows=10
readonly upgrades=10
readonly upgrade_every_s=2
# The loads run across every upgrade, with a few seconds before the first and after the last.
readonly load_seconds=$((upgrades * upgrade_every_s + 6))
rs_all=(1 2)

e2e_topology 2
e2e_director_vip
e2e_rs_setup "$method" "${rs_all[@]}"
for i in "${rs_all[@]}"; do e2e_bg "rs$i" 300 "$E2E_WORK/stream-server$i.log" e2e_peer stream-serve "$stream_port"; done
e2e_start_servers "$names_port"

e2e_start_ipvsd
e2e_ipvsadm -A -t "$E2E_VIP:$stream_port" -s rr
e2e_ipvsadm -A -t "$E2E_VIP:$names_port" -s rr
e2e_ipvsadm -A -u "$E2E_VIP:$names_port" -s rr
for i in "${rs_all[@]}"; do
  e2e_ipvsadm -a -t "$E2E_VIP:$stream_port" -r "$(e2e_rs_ip "$i"):$stream_port" "$flag"
  e2e_ipvsadm -a -t "$E2E_VIP:$names_port" -r "$(e2e_rs_ip "$i"):$names_port" "$flag"
  e2e_ipvsadm -a -u "$E2E_VIP:$names_port" -r "$(e2e_rs_ip "$i"):$names_port" "$flag"
done
saved_before=$(e2e_in director ipvsadm -Sn)
xdp=0
grep -q "data plane: AF_XDP" "$E2E_WORK/ipvsd.log" && xdp=1

e2e_bg client $((load_seconds + 60)) "$E2E_WORK/streams.log" e2e_peer streams "$E2E_VIP" "$stream_port" "$streams" \
  "$load_seconds"
streams_pid=$E2E_LAST_PID
e2e_bg client $((load_seconds + 60)) "$E2E_WORK/udp-flows.log" e2e_peer udp-flows "$E2E_VIP" "$names_port" "$flows" \
  "$load_seconds"
flows_pid=$E2E_LAST_PID
e2e_bg client $((load_seconds + 60)) "$E2E_WORK/conn-load.log" e2e_peer conn-load "$E2E_VIP" "$names_port" \
  "$load_seconds" 20
conns_pid=$E2E_LAST_PID
e2e_check "$streams streams connected" e2e_wait_until 100 grep -qs "^streams: connected" "$E2E_WORK/streams.log"
sleep 2

running=$(pgrep -P "$E2E_IPVSD_PID" -x ipvsd)
took_over=0
for ((k = 1; k <= upgrades; k++)); do
  kill -USR2 "$running"
  if ! e2e_wait_until 100 grep -qs "takeover: ipvsd .* (pid $running) handed over" "$E2E_WORK/ipvsd.log"; then
    e2e_log "upgrade $k: no takeover from pid $running"
    break
  fi
  e2e_wait_gone "$running" 100 || break
  running=$(grep -o "upgrade: SIGUSR2: started .* (pid [0-9]*)" "$E2E_WORK/ipvsd.log" | tail -n 1 | grep -o "[0-9]*)$" |
    tr -d ')')
  took_over=$k
  sleep "$upgrade_every_s"
done
e2e_expect_eq "$upgrades upgrades in a row" "$took_over" "$upgrades"
e2e_check "the last ipvsd (pid $running) answers" e2e_wait_until 50 e2e_in director ipvsadm -Ln
e2e_expect_eq "with the same services and real servers" "$(e2e_in director ipvsadm -Sn)" "$saved_before"
if [ "$xdp" = 1 ]; then
  e2e_expect_eq "each ipvsd passed its AF_XDP sockets to the next" \
    "$(grep -c "takeover: AF_XDP: went on with the sockets of the previous ipvsd" "$E2E_WORK/ipvsd.log")" "$upgrades"
fi

for pid in "$streams_pid" "$flows_pid" "$conns_pid"; do wait "$pid" || true; done
sed 's/^/        /' "$E2E_WORK/streams.log" "$E2E_WORK/udp-flows.log" "$E2E_WORK/conn-load.log"
e2e_check "every stream went on intact" grep -q "^streams: ok=$streams broken=0 " "$E2E_WORK/streams.log"
e2e_check "no UDP flow moved to another real server" grep -q "^udp-flows: flows=$flows moved=0 " \
  "$E2E_WORK/udp-flows.log"
e2e_check "no new connection failed" grep -q "^conn-load: tried=[0-9]* failed=0 " "$E2E_WORK/conn-load.log"
e2e_log "figures over $upgrades upgrades: $(grep -o 'max_stall_ms=[0-9]*' "$E2E_WORK/streams.log") (streams)," \
  "$(grep -o 'max_gap_ms=[0-9]*' "$E2E_WORK/udp-flows.log") (UDP flows, a datagram every 100 ms)," \
  "$(grep -o 'slow=[0-9]* max_ms=[0-9]*' "$E2E_WORK/conn-load.log") (new connections)"
e2e_finish
