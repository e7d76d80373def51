#!/usr/bin/env bash
# A crash loses no established flow (docs/operations.md, "Restarts and crashes"): 20 long-lived
# TCP streams go through a NAT service; ipvsd is killed with SIGKILL and started again with the
# same saved rules; the new ipvsd adopts the connections from the connection store the killed
# one left under /dev/shm, and every stream goes on with its data intact (e2e_peer streams
# checks the echo byte for byte) and none is reset, although the director owns the VIP (its
# kernel would reset a stray segment, and forward a NAT reply unrewritten: the killed ipvsd's
# XDP program holds them until the new one's replaces it in one step).
# Again with the kill landing during a burst of new connections. Then what the store does with
# damage: two entries torn by hand are counted and dropped, and a
# table file of another layout is set aside with its reason while ipvsd starts and serves.
# Usage: test_restart.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init restart "${1:?usage: test_restart.sh BINDIR}"

readonly port=8080
readonly names_port=80
readonly streams=20
readonly stream_seconds=15
rs_all=(1 2)

e2e_topology 2
e2e_director_vip
e2e_rs_setup nat "${rs_all[@]}"
for i in "${rs_all[@]}"; do e2e_bg "rs$i" 300 "$E2E_WORK/stream-server$i.log" e2e_peer stream-serve "$port"; done
e2e_start_servers "$names_port"
rules=$E2E_WORK/rules
for p in "$port" "$names_port"; do
  echo "-A -t $E2E_VIP:$p -s rr"
  for i in "${rs_all[@]}"; do echo "-a -t $E2E_VIP:$p -r $(e2e_rs_ip "$i"):$p -m -w 1"; done
done >"$rules"
store=$(e2e_conn_store director)

# kill_ipvsd: SIGKILL to ipvsd itself (not its timeout wrapper), as a crash.
kill_ipvsd() {
  kill -KILL "$(pgrep -P "$E2E_IPVSD_PID" -x ipvsd)"
  e2e_wait_gone "$E2E_IPVSD_PID" 50 || e2e_die "ipvsd did not die"
  wait "$E2E_IPVSD_PID" 2>/dev/null || true
  E2E_IPVSD_PID=
}
# restart: a new ipvsd with the saved rules, its log kept apart from the earlier ones.
restart() {
  mv "$E2E_WORK/ipvsd.log" "$E2E_WORK/ipvsd-$1.log"
  e2e_start_ipvsd --rules "$rules"
}
established() { e2e_in director ipvsadm -Lnc | grep -c "ESTABLISHED.*:$port " || true; }
holds_all() { [ "$(established)" = "$streams" ]; }

e2e_start_ipvsd --rules "$rules"
e2e_bg client $((stream_seconds + 60)) "$E2E_WORK/streams.log" e2e_peer streams "$E2E_VIP" "$port" "$streams" \
  "$stream_seconds"
streams_pid=$E2E_LAST_PID
e2e_check "$streams streams connected" e2e_wait_until 100 grep -qs "^streams: connected" "$E2E_WORK/streams.log"
e2e_check "ipvsd holds the $streams connections" e2e_wait_until 30 holds_all

kill_ipvsd
tables=("$store"/conns-*)
e2e_check "the killed ipvsd left a table per worker (${#tables[@]}) in $store" test -s "${tables[0]}"
sleep 1  # the streams keep sending into the held VIP meanwhile
restart crash
e2e_check "the new ipvsd adopted every connection" \
  grep -q "connection store $store: adopted $streams of $streams connections and templates from $((${#tables[@]} + 1)) file(s); none lost" \
  "$E2E_WORK/ipvsd.log"
e2e_check "and lists them ESTABLISHED" test "$(established)" = "$streams"
streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/streams.log"
e2e_expect_eq "every stream went on intact" \
  "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams.log" | cut -d' ' -f2-3)" "0:ok=$streams broken=0"
e2e_check "new connections are served" e2e_in client e2e_peer tcp-names "$E2E_VIP" "$names_port" 4

# The kill lands during a burst of new connections (200 a second) beside new streams: a
# connection half made (its SYN forwarded, the answer not yet) is adopted in the state the store
# has, and one whose SYN was held is made by the client's retransmission.
e2e_bg client $((stream_seconds + 60)) "$E2E_WORK/streams2.log" e2e_peer streams "$E2E_VIP" "$port" "$streams" \
  "$stream_seconds"
streams_pid=$E2E_LAST_PID
e2e_check "$streams new streams connected" e2e_wait_until 100 grep -qs "^streams: connected" "$E2E_WORK/streams2.log"
e2e_bg client 60 "$E2E_WORK/conn-burst.log" e2e_peer conn-load "$E2E_VIP" "$names_port" 6 200
burst_pid=$E2E_LAST_PID
sleep 2
kill_ipvsd
restart burst
burst_rc=0
wait "$burst_pid" || burst_rc=$?
streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/conn-burst.log" "$E2E_WORK/streams2.log"
e2e_check "no new connection of the burst failed" grep -q "^conn-load: tried=[0-9]* failed=0 " "$E2E_WORK/conn-burst.log"
e2e_expect_eq "every stream went on intact" \
  "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams2.log" | cut -d' ' -f2-3)" "0:ok=$streams broken=0"

# Torn entries: the first entry of each worker's table (an adopted stream, now in TIME_WAIT) gets
# another client port behind its seal's back.
kill_ipvsd
tables=("$store"/conns-*)
for f in "${tables[@]}"; do
  printf '\xff\xfe' | dd of="$f" bs=1 seek=$((4096 + 48)) conv=notrunc status=none
done
restart torn
e2e_check "${#tables[@]} torn entries are counted, not adopted" grep -q "adopted .* torn=${#tables[@]}$" "$E2E_WORK/ipvsd.log"
metrics=$(e2e_in director curl -s http://127.0.0.1:9180/metrics | grep '^ipvsd_conn_store_entries_at_start' || true)
e2e_log "metrics: $(tr '\n' ' ' <<<"$metrics")"
e2e_check "/metrics counts the torn entries" grep -q "result=\"torn\"} ${#tables[@]}\$" <<<"$metrics"

# A table of another layout (a downgrade, or a damaged file): set aside, named, and ipvsd serves.
kill_ipvsd
printf '\x63\x00\x00\x00' | dd of="$store/conns-0" bs=1 seek=8 conv=notrunc status=none
restart layout
e2e_check "a table of another layout is refused with its reason" \
  grep -q "connection store $store/conns-0: layout version 99 .*; its connections are not adopted" "$E2E_WORK/ipvsd.log"
e2e_check "and kept aside" test -s "$store/conns-0.unreadable"
e2e_check "and counted" grep -q "adopted .* unreadable_files=1$" "$E2E_WORK/ipvsd.log"
e2e_check "new connections are served after it" e2e_in client e2e_peer tcp-names "$E2E_VIP" "$names_port" 4

e2e_finish
