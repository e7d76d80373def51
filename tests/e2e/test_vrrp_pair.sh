#!/usr/bin/env bash
# A keepalived VRRP pair of ipvsd directors with connection sync (docs/ha.md, "VRRP pair"):
# 20 long-lived TCP streams go through director A; A's links go down and its ipvsd is killed
# with SIGKILL; keepalived moves the VIP (and for NAT the real servers' gateway, in one sync
# group) to B, whose ipvsd learned the connections as sync backup; every stream must go on
# with its data intact (e2e_peer streams checks the echo byte for byte) and none may be reset.
#
#   client c0 198.18.0.2 --- br0 (client LAN) ---+--- A a0 198.18.0.3  (VRRP: VIP 198.18.0.100)
#                                                +--- B b0 198.18.0.4
#                                                +--- rsI rIc 198.18.0.1I (DR: direct replies)
#   rsI rIs 198.18.1.1I --- br1 (server LAN) ----+--- A a1 198.18.1.3  (VRRP, NAT: gateway 198.18.1.1)
#                                                +--- B b1 198.18.1.4  (sync multicast runs here)
#
# Usage: test_vrrp_pair.sh BINDIR dr|nat
source "$(dirname "$0")/netns_lib.sh"
readonly mode=${2:?usage: test_vrrp_pair.sh BINDIR dr|nat}
case $mode in dr | nat) ;; *) echo "mode must be dr or nat"; exit 2 ;; esac
e2e_init "vrrp-$mode" "$1"
command -v keepalived >/dev/null 2>&1 || e2e_skip "missing tool: keepalived"

readonly vip=198.18.0.100
readonly gateway=198.18.1.1
readonly port=8080
readonly streams=20
readonly stream_seconds=20
readonly syncid=9
rs_all=(1 2 3)
examples=$(cd "$(dirname "$0")/../../docs/examples" && pwd)
notify_script=$examples/ipvsd-notify.sh

# topology: the namespaces and links of the picture above, addresses, and the real servers'
# echo servers.
topology() {
  local i
  e2e_log "topology: client, switch, directors a and b, 3 real servers (namespaces ipvsd-$E2E_NAME-$$-*)"
  for role in client switch a b rs1 rs2 rs3; do e2e_add_ns "$role"; done
  e2e_switch
  local sw
  sw=$(e2e_ns switch)

  e2e_link client c0 switch p-c0
  ip -n "$sw" link set p-c0 master br0
  ip -n "$(e2e_ns client)" addr add "$E2E_CLIENT/24" dev c0

  local n=3 d
  for d in a b; do
    e2e_link "$d" "${d}0" switch "p-${d}0"
    e2e_link "$d" "${d}1" switch "p-${d}1"
    ip -n "$sw" link set "p-${d}0" master br0
    ip -n "$sw" link set "p-${d}1" master br1
    ip -n "$(e2e_ns "$d")" addr add "198.18.0.$n/24" dev "${d}0"
    ip -n "$(e2e_ns "$d")" addr add "198.18.1.$n/24" dev "${d}1"
    e2e_sysctl "$d" net.ipv4.ip_forward=1
    n=$((n + 1))
  done

  for i in "${rs_all[@]}"; do
    local r
    r=$(e2e_ns "rs$i")
    e2e_link "rs$i" "r${i}s" switch "p-r${i}s"
    ip -n "$sw" link set "p-r${i}s" master br1
    ip -n "$r" addr add "$(e2e_rs_ip "$i")/24" dev "r${i}s"
    if [ "$mode" = dr ]; then
      # The VIP on lo, never answering ARP for it; replies go straight back over the client LAN.
      e2e_link "rs$i" "r${i}c" switch "p-r${i}c"
      ip -n "$sw" link set "p-r${i}c" master br0
      ip -n "$r" addr add "$(e2e_rs_lan_ip "$i")/24" dev "r${i}c"
      e2e_sysctl "rs$i" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
      ip -n "$r" addr add "$vip/32" dev lo
    else
      # NAT: the only way back is the gateway address that VRRP moves between the directors.
      ip -n "$r" route add default via "$gateway"
    fi
    e2e_bg "rs$i" 300 "$E2E_WORK/server$i.log" e2e_peer stream-serve "$port"
  done
}

# start_ipvsd D: ipvsd in director D on its two links, with D's own control socket; configures
# the service the same way on both directors (keepalived's notify script sets the sync role).
declare -A ipvsd_pid=()
start_ipvsd() {
  local d=$1
  e2e_run_ipvsd "$d" "$E2E_WORK/ipvsd-$d.sock" "$E2E_WORK/ipvsd-$d.log" --iface "${d}0" --iface "${d}1" \
    --io afxdp --workers 1 --conn-max 65536
  # ipvsd's own pid, for the kill -9 of the failover.
  ipvsd_pid[$d]=$(pgrep -P "$E2E_LAST_PID" -x ipvsd || true)
  [ -n "${ipvsd_pid[$d]}" ] || { cat "$E2E_WORK/ipvsd-$d.log"; e2e_die "ipvsd did not start in $d"; }
  local method=-g
  [ "$mode" = nat ] && method=-m
  on "$d" ipvsadm -A -t "$vip:$port" -s rr
  for i in "${rs_all[@]}"; do on "$d" ipvsadm -a -t "$vip:$port" -r "$(e2e_rs_ip "$i"):$port" "$method"; done
}

# on D CMD...: CMD in director D's namespace, talking to D's ipvsd.
on() {
  local d=$1
  shift
  IPVSD_SOCKET="$E2E_WORK/ipvsd-$d.sock" e2e_in "$d" "$@"
}

# start_keepalived D PRIORITY: keepalived (VRRP only) in D with docs/examples/keepalived.conf:
# one sync group holds the VIP on the client LAN and the real servers' gateway on the server
# LAN (NAT uses it), so both move together; its notify script makes ipvsd sync master on
# MASTER and sync backup otherwise.
start_keepalived() {
  local d=$1 prio=$2
  local notify="$E2E_WORK/notify-$d.sh" conf="$E2E_WORK/keepalived-$d.conf"
  cat >"$notify" <<EOF
#!/bin/sh
export IPVSADM=$E2E_BIN/ipvsadm IPVSD_SOCKET=$E2E_WORK/ipvsd-$d.sock SYNC_IFACE=${d}1 SYNC_ID=$syncid
exec $notify_script "\$@"
EOF
  chmod 700 "$notify"
  # The shipped example, with this director's interfaces, priority and notify script.
  sed -e "s/\beth0\b/${d}0/g" -e "s/\beth1\b/${d}1/g" -e "s/priority 150/priority $prio/" \
    -e "s/router_id ipvsd-a/router_id ipvsd-$d/" -e "s|/etc/keepalived/ipvsd-notify.sh|$notify|" \
    "$examples/keepalived.conf" >"$conf"
  e2e_bg "$d" 300 "$E2E_WORK/keepalived-$d.log" keepalived --vrrp --dont-fork --log-console --no-syslog \
    --use-file "$conf" --pid "$E2E_WORK/keepalived-$d.pid" --vrrp_pid "$E2E_WORK/vrrp-$d.pid"
}

# owns_vip D: D has the VIP and the real servers' gateway on its links.
owns_vip() {
  ip -n "$(e2e_ns "$1")" -4 addr show dev "${1}0" | grep -q " $vip/" &&
    ip -n "$(e2e_ns "$1")" -4 addr show dev "${1}1" | grep -q " $gateway/"
}

# sync_role D ROLE: `ipvsadm -L --daemon` in D shows ROLE's sync daemon.
sync_role() { on "$1" ipvsadm -L --daemon 2>/dev/null | grep -q "^$2 sync daemon"; }

# conns_on D: connections to the service in D's connection table.
conns_on() { on "$1" ipvsadm -Lnc | grep -c " $vip:$port " || true; }

holds_all() { [ "$(conns_on "$1")" = "$streams" ]; }

# synced_to_b: B lists every stream's connection, each with the real server A gave it.
synced_to_b() {
  local a_list b_list
  a_list=$(on a ipvsadm -Lnc | awk '$3 == "ESTABLISHED" {print $4, $6}' | sort)
  b_list=$(on b ipvsadm -Lnc | awk '$3 == "ESTABLISHED" {print $4, $6}' | sort)
  [ "$(wc -l <<<"$a_list")" = "$streams" ] && [ "$a_list" = "$b_list" ]
}

ms_now() { date +%s%3N; }

# stack_resets D: the TCP resets D's kernel stack sent (OutRsts of /proc/net/snmp).
stack_resets() {
  ip netns exec "$(e2e_ns "$1")" awk '$1 == "Tcp:" { if (!c) { for (i = 2; i <= NF; i++) if ($i == "OutRsts") c = i } else print $c }' /proc/net/snmp
}

# diagnose: on a failure, what the directors saw: B's drops, resets and sync installs, its
# table, and both ipvsd and keepalived logs.
diagnose() {
  echo "--- B's counters (non-zero)"
  ip netns exec "$(e2e_ns b)" curl -s --max-time 5 http://127.0.0.1:9180/metrics 2>/dev/null |
    grep -E '^ipvsd_(worker|sync|drop)' | grep -v ' 0$' | sed 's/^/        /' || true
  echo "--- B's connections"
  on b ipvsadm -Lnc 2>/dev/null | sed 's/^/        /' || true
  echo "--- TCP resets sent by the directors' own stacks: A $(stack_resets a), B $(stack_resets b)"
  local f
  for f in ipvsd-a ipvsd-b keepalived-a keepalived-b; do
    echo "--- $f.log"
    tail -n 30 "$E2E_WORK/$f.log" 2>/dev/null | sed 's/^/        /' || true
  done
}

topology
start_ipvsd a
start_ipvsd b
start_keepalived a 150
start_keepalived b 100
e2e_check "keepalived makes A master: A owns the VIP" e2e_wait_until 100 owns_vip a
e2e_check "A's notify script started its sync master" e2e_wait_until 50 sync_role a master
e2e_check "B's notify script started its sync backup" e2e_wait_until 50 sync_role b backup

e2e_bg client $((stream_seconds + 60)) "$E2E_WORK/streams.log" e2e_peer streams "$vip" "$port" "$streams" "$stream_seconds"
streams_pid=$E2E_LAST_PID
e2e_check "$streams streams connected through A" e2e_wait_until 100 grep -qs "^streams: connected" "$E2E_WORK/streams.log"
e2e_check "A holds the $streams connections" e2e_wait_until 30 holds_all a
e2e_check "B learned every connection with A's real server (sync)" e2e_wait_until 50 synced_to_b
echo "        B: $(on b ipvsadm -Lnc | grep -c ESTABLISHED) synced connections"
sleep 2

# A dies as a whole: it leaves both LANs at once (one ip batch), then its ipvsd gets SIGKILL.
# Not ipvsd first: that is an ipvsd crash on a live director, not a director failure. A
# keeps the VIP (keepalived on A lives on) while its killed ipvsd's XDP program holds the
# streams' segments for a restart (docs/operations.md), so the streams would wait for an ipvsd
# on A instead of moving to B. (Before that program held them, A's own stack reset them all.)
# test_ecmp.sh takes its director down the same way, link first.
echo "== A fails: its links go down, ipvsd gets SIGKILL"
ip -n "$(e2e_ns a)" -batch - <<<$'link set a0 down\nlink set a1 down'
failed_at=$(ms_now)
kill -KILL "${ipvsd_pid[a]}"
e2e_check "keepalived moves the VIP to B" e2e_wait_until 100 owns_vip b
echo "        B owned the VIP $(($(ms_now) - failed_at)) ms after A failed"
e2e_check "B's notify script made it sync master" e2e_wait_until 50 sync_role b master

streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/streams.log"
e2e_check "every stream went on with its data intact, none reset" \
  e2e_expect_eq "streams" "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams.log" | cut -d' ' -f2-3)" \
  "0:ok=$streams broken=0"
e2e_check "B forwarded the streams (connections in its table)" [ "$(conns_on b)" -ge 1 ]
e2e_check "ipvsd on B is still running" kill -0 "${ipvsd_pid[b]}"
[ "$E2E_FAILS" = 0 ] || diagnose
e2e_finish
