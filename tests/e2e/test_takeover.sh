#!/usr/bin/env bash
# An upgrade that drops no connection (docs/operations.md "Upgrades"): 20 long-lived TCP
# streams go through a NAT service configured at run time with ipvsadm (timeouts and a sync
# daemon too); `ipvsd --takeover` starts beside the running ipvsd, takes its configuration over
# the control socket, asks it to hand over, goes on with its AF_XDP sockets, and adopts its
# connection store. Every stream goes
# on intact, the listings are the same before and after, and both versions are recorded. Then
# the refusals: a connection store this binary cannot read, a new process that cannot start,
# and no ipvsd to take over from; each time the running ipvsd keeps serving. The director owns
# the VIP, as test_restart.sh explains.
# Usage: test_takeover.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init takeover "${1:?usage: test_takeover.sh BINDIR}"

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
store=$(e2e_conn_store director)

e2e_start_ipvsd
for p in "$port" "$names_port"; do
  e2e_ipvsadm -A -t "$E2E_VIP:$p" -s wrr
  for i in "${rs_all[@]}"; do e2e_ipvsadm -a -t "$E2E_VIP:$p" -r "$(e2e_rs_ip "$i"):$p" -m -w "$((i + 1))"; done
done
e2e_ipvsadm --set 1000 130 310
e2e_ipvsadm --start-daemon master --mcast-interface d1 --syncid 7
old_pid=$(pgrep -P "$E2E_IPVSD_PID" -x ipvsd)
old_wrapper=$E2E_IPVSD_PID

# takeover LOG [ARGS...]: ipvsd --takeover on the running one's socket and store, with the
# arguments e2e_start_ipvsd gave it (ARGS override them); its timeout(1) wrapper's pid in
# E2E_LAST_PID.
takeover() {
  local log=$1
  shift
  e2e_bg director 900 "$log" ipvsd --socket "$IPVSD_SOCKET" --rules none --conn-store "$store" --iface d0 --iface d1 \
    --io "$E2E_IO" --workers "$E2E_WORKERS" --conn-max 65536 --takeover "$@"
}
established() { e2e_in director ipvsadm -Lnc | grep -c "ESTABLISHED.*:$port " || true; }
holds_all() { [ "$(established)" = "$streams" ]; }
serves() { e2e_in client e2e_peer tcp-names "$E2E_VIP" "$names_port" 4 >/dev/null; }

e2e_bg client $((stream_seconds + 60)) "$E2E_WORK/streams.log" e2e_peer streams "$E2E_VIP" "$port" "$streams" \
  "$stream_seconds"
streams_pid=$E2E_LAST_PID
e2e_check "$streams streams connected" e2e_wait_until 100 grep -qs "^streams: connected" "$E2E_WORK/streams.log"
e2e_check "ipvsd holds the $streams connections" e2e_wait_until 30 holds_all
before=$(e2e_in director ipvsadm -Ln)
saved_before=$(e2e_in director ipvsadm -Sn)
# Conns of the streams' service, as ipvsadm -Ln --stats counts them.
service_conns() { e2e_in director ipvsadm -Ln --stats | awk -v s="$E2E_VIP:$port" '$1 == "TCP" && $2 == s {print $3}'; }
conns_before=$(service_conns)
timeouts_before=$(e2e_in director ipvsadm -L --timeout)
daemons_before=$(e2e_in director ipvsadm -L --daemon)

takeover "$E2E_WORK/ipvsd-new.log"
new_wrapper=$E2E_LAST_PID
e2e_check "the new ipvsd took over" e2e_wait_until 100 grep -qs "takeover: ipvsd .* handed over 2 services and 1 sync daemon(s)" \
  "$E2E_WORK/ipvsd-new.log"
E2E_IPVSD_PID=$new_wrapper
sed 's/^/        new ipvsd: /' "$E2E_WORK/ipvsd-new.log"
old_rc=0
wait "$old_wrapper" || old_rc=$?
e2e_expect_eq "the old ipvsd (pid $old_pid) exited with status 0" "$old_rc" 0
e2e_check "its log says whom it handed over to" grep -q "takeover: ipvsd .* (pid [0-9]*) takes over from this ipvsd" \
  "$E2E_WORK/ipvsd.log"
e2e_check "the new ipvsd answers" e2e_wait_until 50 e2e_in director ipvsadm -Ln
if grep -q "data plane: AF_XDP" "$E2E_WORK/ipvsd.log"; then
  e2e_check "the old ipvsd passed its AF_XDP sockets" grep -q "takeover: passed the AF_XDP sockets of [0-9]* worker(s) to pid" \
    "$E2E_WORK/ipvsd.log"
  e2e_check "the new one went on with them" grep -q "takeover: AF_XDP: went on with the sockets of the previous ipvsd" \
    "$E2E_WORK/ipvsd-new.log"
fi
e2e_check "it adopted every connection" \
  grep -q "connection store $store: adopted $streams of $streams connections and templates .*; none lost" \
  "$E2E_WORK/ipvsd-new.log"
e2e_expect_eq "the same services, real servers and weights" "$(e2e_in director ipvsadm -Ln)" "$before"
e2e_expect_eq "the same timeouts" "$(e2e_in director ipvsadm -L --timeout)" "$timeouts_before"
e2e_expect_eq "the same sync daemon" "$(e2e_in director ipvsadm -L --daemon)" "$daemons_before"
e2e_expect_eq "the counters carried over (Conns of the service)" "$(service_conns)" "$conns_before"
e2e_check "and lists the connections ESTABLISHED" holds_all
metrics=$(e2e_in director curl -s http://127.0.0.1:9180/metrics | grep '^ipvsd_takeover_info' || true)
e2e_log "metrics: $metrics"
e2e_check "/metrics names the version and pid it took over from" \
  grep -q "previous_version=\"[0-9.]*\".*previous_pid=\"$old_pid\"} 1" <<<"$metrics"
streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/streams.log"
e2e_expect_eq "every stream went on intact" \
  "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams.log" | cut -d' ' -f2-3)" "0:ok=$streams broken=0"
e2e_check "new connections are served" serves

# systemctl reload ipvsd: SIGUSR2 makes the running ipvsd start the takeover itself.
e2e_bg client $((stream_seconds + 60)) "$E2E_WORK/streams2.log" e2e_peer streams "$E2E_VIP" "$port" "$streams" \
  "$stream_seconds"
streams_pid=$E2E_LAST_PID
e2e_check "$streams new streams connected" e2e_wait_until 100 grep -qs "^streams: connected" "$E2E_WORK/streams2.log"
e2e_check "ipvsd holds them" e2e_wait_until 30 holds_all
second=$(pgrep -P "$E2E_IPVSD_PID" -x ipvsd)
kill -USR2 "$second"
e2e_check "SIGUSR2 starts ipvsd --takeover" e2e_wait_until 50 grep -qs "upgrade: SIGUSR2: started .*ipvsd --takeover (pid" \
  "$E2E_WORK/ipvsd-new.log"
e2e_check "which takes over" e2e_wait_until 100 grep -qs "takeover: ipvsd .* (pid $second) handed over 2 services" \
  "$E2E_WORK/ipvsd-new.log"
e2e_check "the signalled ipvsd exits" e2e_wait_gone "$second" 100
third=$(grep -o "upgrade: SIGUSR2: started .* (pid [0-9]*)" "$E2E_WORK/ipvsd-new.log" | grep -o "[0-9]*)$" | tr -d ')')
e2e_check "the new one (pid $third) answers" e2e_wait_until 50 e2e_in director ipvsadm -Ln
e2e_expect_eq "with the same services, real servers and weights" "$(e2e_in director ipvsadm -Sn)" "$saved_before"
streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/streams2.log"
e2e_expect_eq "every stream went on intact" \
  "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams2.log" | cut -d' ' -f2-3)" "0:ok=$streams broken=0"

# The refusals. The running ipvsd must go on serving after each.
running=$third
refused() {
  local what=$1 want=$2
  shift 2
  local rc=0 out
  out=$(e2e_in director ipvsd --socket "$IPVSD_SOCKET" --rules none --conn-store "$store" --io "$E2E_IO" \
    --workers "$E2E_WORKERS" --conn-max 65536 --takeover "$@" 2>&1) || rc=$?
  e2e_log "$what: exit $rc: $out"
  e2e_check "$what: refused" test "$rc" = 1
  e2e_check "$what: says why" grep -q -- "$want" <<<"$out"
  e2e_check "$what: the running ipvsd lives on" kill -0 "$running"
  e2e_check "$what: and answers" e2e_in director ipvsadm -Ln
  e2e_check "$what: and forwarding" serves
}
dd if="$store/conns-0" of="$E2E_WORK/layout-version" bs=1 skip=8 count=4 status=none
printf '\x63\x00\x00\x00' | dd of="$store/conns-0" bs=1 seek=8 conv=notrunc status=none
refused "a store of another layout" "connection store $store/conns-0: layout version 99 .*; the running ipvsd keeps serving" \
  --iface d0 --iface d1
kill -USR2 "$running"
e2e_check "SIGUSR2 then: the running ipvsd says the new one failed" e2e_wait_until 100 grep -qs \
  "upgrade: the new ipvsd (pid [0-9]*) exited with status 1 before taking over; still serving" "$E2E_WORK/ipvsd-new.log"
e2e_check "SIGUSR2 then: and serves on" serves
dd if="$E2E_WORK/layout-version" of="$store/conns-0" bs=1 seek=8 conv=notrunc status=none
refused "an interface that does not exist" "nosuch0.*; the running ipvsd keeps serving" --iface d0 --iface nosuch0
refused "no ipvsd on the socket" "no ipvsd answers on $E2E_WORK/nothing.sock" --iface d0 --socket "$E2E_WORK/nothing.sock"

e2e_finish
