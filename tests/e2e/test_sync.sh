#!/usr/bin/env bash
# Connection sync between two directors (docs/sync.md). Director A (the usual "director"
# namespace, NAT to two real servers) runs a sync master with syncid 7; director B ("backup",
# 198.18.0.3 on the client LAN, the same service configured) runs a sync backup. Checks:
#   - connections held open through A show up in B's `ipvsadm -Lnc` with the same real server;
#   - a backup with another syncid ignores A's messages;
#   - with --sync-key-file, a director with another key ignores them;
#   - with --sync-pull, a restarted B gets A's table back without new traffic.
# E2E_QUEUES and E2E_WORKERS (netns_lib.sh) apply to both directors.
# Usage: test_sync.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init sync "${1:?usage: test_sync.sh BINDIR}"

readonly B_ADDR=198.18.0.3
readonly PORT=8080
readonly SYNC_WAIT_TENTHS=50  # synced connections must show up on B within 5 s
B_PID=

e2e_topology 2
e2e_rs_setup nat 1 2
e2e_start_servers "$PORT"
ip -n "$(e2e_ns switch)" link set br0 type bridge mcast_snooping 0

# Director B on the client LAN, where A's d0 is.
e2e_add_ns backup
e2e_link backup b0 switch p-b0
ip -n "$(e2e_ns switch)" link set p-b0 master br0
ip -n "$(e2e_ns backup)" addr add "$B_ADDR/24" dev b0

head -c 32 /dev/urandom >"$E2E_WORK/key1"
head -c 32 /dev/urandom >"$E2E_WORK/key2"

configure_service() {  # ROLE SOCKET
  e2e_in "$1" ipvsadm --socket "$2" -A -t "$E2E_VIP:$PORT" -s rr
  e2e_in "$1" ipvsadm --socket "$2" -a -t "$E2E_VIP:$PORT" -r "$(e2e_rs_ip 1):$PORT" -m
  e2e_in "$1" ipvsadm --socket "$2" -a -t "$E2E_VIP:$PORT" -r "$(e2e_rs_ip 2):$PORT" -m
}

# start_b ARGS...: (re)starts ipvsd in B with the service configured and a backup of syncid 7.
start_b() {
  local sock="$E2E_WORK/b.sock"
  stop_b
  e2e_run_ipvsd backup "$sock" "$E2E_WORK/b.log" --iface b0 --workers "$E2E_WORKERS" --conn-max 65536 "$@"
  B_PID=$E2E_LAST_PID
  configure_service backup "$sock"
  e2e_in backup ipvsadm --socket "$sock" --start-daemon backup --mcast-interface b0 --syncid "${B_SYNCID:-7}"
}
stop_b() {
  [ -n "$B_PID" ] || return 0
  kill "$B_PID" 2>/dev/null || true
  e2e_wait_gone "$B_PID" 50 || true
  B_PID=
}
b_ipvsadm() { e2e_in backup ipvsadm --socket "$E2E_WORK/b.sock" "$@"; }

# The TCP connections a director lists: "state client destination", sorted.
conns_of() {
  if [ "$1" = A ]; then e2e_in director ipvsadm -Lnc; else b_ipvsadm -Lnc; fi |
    awk '$1 == "TCP" { print $3, $4, $6 }' | sort
}

# wait_synced: true once B lists exactly A's connections (within SYNC_WAIT_TENTHS).
wait_synced() {
  local k a b
  for ((k = 0; k < SYNC_WAIT_TENTHS; k++)); do
    a=$(conns_of A)
    b=$(conns_of B)
    [ -n "$a" ] && [ "$a" = "$b" ] && return 0
    sleep 0.1
  done
  echo "        A: $(echo "$a" | tr '\n' ';')"
  echo "        B: $(echo "$b" | tr '\n' ';')"
  return 1
}

# hold N: N client connections through A, each alive ~48 s with an exchange every 4 s (few
# enough packets that only the third one of each is synced).
hold() {
  local i
  for ((i = 0; i < $1; i++)); do
    e2e_bg client 70 "$E2E_WORK/hold-$RANDOM.log" e2e_peer hold "$E2E_VIP" "$PORT" 12 4000
  done
}

b_log_counter() { grep -o "$1=[0-9]*" "$E2E_WORK/b.log" | tail -n1 | cut -d= -f2; }

e2e_start_ipvsd --sync-key-file "$E2E_WORK/key1" --sync-pull
configure_service director "$IPVSD_SOCKET"
e2e_ipvsadm --start-daemon master --mcast-interface d0 --syncid 7
start_b --sync-key-file "$E2E_WORK/key1"
e2e_check "B lists the backup daemon" e2e_expect_eq "daemon" \
  "$(b_ipvsadm -L --daemon)" \
  "backup sync daemon (mcast=b0, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)"

hold 4
e2e_check "B lists A's 4 connections with the same real servers" wait_synced
e2e_check "they are ESTABLISHED on both" e2e_expect_eq "states" \
  "$(conns_of B | awk '{print $1}' | sort -u)" "ESTABLISHED"

# A backup with another syncid ignores A's messages.
b_ipvsadm --stop-daemon backup
b_ipvsadm --start-daemon backup --mcast-interface b0 --syncid 8
before=$(conns_of B | wc -l)
hold 2
sleep 3
e2e_check "a backup of syncid 8 takes nothing from a master of syncid 7" e2e_expect_eq "B's connections" \
  "$(conns_of B | wc -l)" "$before"
b_ipvsadm --stop-daemon backup
e2e_check "and counts the messages it dropped" test "$(b_log_counter wrong_syncid)" -gt 0

# A director with another key ignores A's messages (B restarts empty).
start_b --sync-key-file "$E2E_WORK/key2" --sync-pull
hold 2
sleep 3
e2e_check "a backup with another key takes nothing" e2e_expect_eq "B's connections" "$(conns_of B | wc -l)" 0
stop_b
e2e_check "and counts the unauthenticated datagrams" test "$(b_log_counter unauthenticated)" -gt 0

# Pull: a restarted B gets A's whole table back without new connections. (The held
# connections have had their one sync long ago; their next would be at packet 53.)
sleep 1
start_b --sync-key-file "$E2E_WORK/key1" --sync-pull
e2e_check "a restarted backup with --sync-pull gets A's table back" wait_synced
e2e_check "A answered one pull request" e2e_expect_eq "pulls" \
  "$(grep -c 'pull request' "$E2E_WORK/ipvsd.log")" 1

e2e_check "ipvsd A still runs" e2e_ipvsd_alive
e2e_check "ipvsd B still runs" kill -0 "$B_PID"
stop_b
e2e_finish
