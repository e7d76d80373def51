#!/usr/bin/env bash
# Three ipvsd directors behind a BGP/ECMP router (docs/ha.md "ECMP group"): each announces the
# VIP over eBGP with BIRD; the router (BIRD, merge paths, L4 multipath hash) spreads the
# client's flows over them; every director runs the same mh service (DR to three real
# servers, client port in the hash) with the sloppy flag, so a director that gets a flow
# mid-stream forwards it to the real server the flow already has; and every director is sync
# master and backup at once (--sync-pull), so the others learn its connections and a restarted
# director pulls the table. 60 long-lived TCP streams
# (e2e_peer streams, every byte checked) run while
#   (a) the flows are spread over the three directors and ECMP uses all three routes,
#   (b) director 2 dies (its link goes down, ipvsd and bird get SIGKILL) and later comes
#       back with the same configuration: first without sync (the streams the router moves
#       to it are taken over by sloppy), then with its sync daemons (it pulls the table),
#   (c) director 3 is drained (its BIRD withdraws the VIP; once no packet reaches it any
#       more, ipvsd and bird are stopped);
# no stream may break. Prints how long the router took to drop and re-add a route and the
# longest stall of a stream.
# Usage: test_ecmp.sh BINDIR
#
#                      director1  d1u 198.18.11.2 --- rt1 198.18.11.1
#   client             director2  d2u 198.18.12.2 --- rt2 198.18.12.1   router (BIRD, AS 65000)
#   c0 198.18.0.2 ---  director3  d3u 198.18.13.2 --- rt3 198.18.13.1   rc 198.18.0.1 --- client
#                      (AS 65001, VIP 198.19.0.1 on lo)                 rs 198.18.1.1 ---+
#                      dIs 198.18.1.(1+I) ------------------------ br1 (switch) -------+
#                                                                    rsJ 198.18.1.1J, VIP on lo,
#                                                                    default via 198.18.1.1
source "$(dirname "$0")/netns_lib.sh"
E2E_IO=afxdp
e2e_init ecmp "${1:?usage: test_ecmp.sh BINDIR}"
command -v bird >/dev/null 2>&1 && command -v birdc >/dev/null 2>&1 || e2e_skip "missing tool: bird (bird2)"

readonly port=8080
readonly vip="$E2E_VIP:$port"
readonly streams=60
readonly stream_seconds=36
readonly router_s=198.18.1.1
readonly syncid=5
directors=(1 2 3)

uplink_net() { echo "198.18.$((10 + $1))"; }  # director I's link to the router: .1 router, .2 director
director_s() { echo "198.18.1.$((1 + $1))"; }  # director I on the server segment
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- topology -------------------------------------------------------------------------------

build_topology() {
  local i r
  e2e_log "topology: client, router, switch, 3 directors, 3 real servers (namespaces ipvsd-$E2E_NAME-$$-*)"
  for r in client router switch d1 d2 d3 rs1 rs2 rs3; do e2e_add_ns "$r"; done
  local rt sw
  rt=$(e2e_ns router)
  sw=$(e2e_ns switch)
  ip -n "$sw" link add br1 type bridge
  ip -n "$sw" link set br1 up

  e2e_link client c0 router rc
  ip -n "$(e2e_ns client)" addr add "$E2E_CLIENT/24" dev c0
  ip -n "$(e2e_ns client)" route add default via 198.18.0.1
  ip -n "$rt" addr add 198.18.0.1/24 dev rc
  e2e_link router rs switch p-rt
  ip -n "$sw" link set p-rt master br1
  ip -n "$rt" addr add "$router_s/24" dev rs
  # The real servers answer the client straight through the router (DR), with the VIP as
  # source, on a leg where the VIP is not routed: no reverse-path filter. L4 multipath hash,
  # and a next hop whose link is down is skipped at once, before BGP notices.
  e2e_sysctl router net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 \
    net.ipv4.conf.all.ignore_routes_with_linkdown=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.rs.rp_filter=0

  for i in "${directors[@]}"; do
    local d net
    d=$(e2e_ns "d$i")
    net=$(uplink_net "$i")
    e2e_link "d$i" "d${i}u" router "rt$i"
    ip -n "$rt" addr add "$net.1/24" dev "rt$i"
    ip -n "$d" addr add "$net.2/24" dev "d${i}u"
    ip -n "$d" route add default via "$net.1"
    e2e_link "d$i" "d${i}s" switch "p-d${i}s"
    ip -n "$sw" link set "p-d${i}s" master br1
    ip -n "$d" addr add "$(director_s "$i")/24" dev "d${i}s"
    ip -n "$d" addr add "$E2E_VIP/32" dev lo
  done

  for i in 1 2 3; do
    local s
    s=$(e2e_ns "rs$i")
    e2e_link "rs$i" "r${i}s" switch "p-r${i}s"
    ip -n "$sw" link set "p-r${i}s" master br1
    ip -n "$s" addr add "$(e2e_rs_ip "$i")/24" dev "r${i}s"
    ip -n "$s" route add default via "$router_s"
    e2e_sysctl "rs$i" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
      net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 "net.ipv4.conf.r${i}s.rp_filter=0"
    ip -n "$s" addr add "$E2E_VIP/32" dev lo
    e2e_bg "rs$i" 300 "$E2E_WORK/server$i.log" e2e_peer stream-serve "$port"
  done
  for i in 1 2 3; do
    for k in $(seq 1 50); do
      [ -n "$(ip netns exec "$(e2e_ns "rs$i")" ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
      sleep 0.1
    done
  done
}

# ---- BIRD -----------------------------------------------------------------------------------

# Short timers (hold 3 s is BIRD's minimum) so that a lost director is noticed quickly.
readonly bgp_timers="hold time 3; keepalive time 1; connect retry time 1; connect delay time 1; error wait time 1, 2;"

write_router_conf() {
  local i
  {
    echo "router id 198.18.0.1;"
    echo "log stderr all;"
    echo "protocol device {}"
    echo "protocol kernel { ipv4 { import none; export all; }; merge paths on; }"
    for i in "${directors[@]}"; do
      echo "protocol bgp director$i {"
      echo "  local $(uplink_net "$i").1 as 65000; neighbor $(uplink_net "$i").2 as 65001;"
      echo "  $bgp_timers"
      echo "  ipv4 { import where net = $E2E_VIP/32; export none; };"
      echo "}"
    done
  } >"$E2E_WORK/bird-router.conf"
}

write_director_conf() {
  local i=$1 net
  net=$(uplink_net "$i")
  cat >"$E2E_WORK/bird-d$i.conf" <<EOF
router id $net.2;
log stderr all;
protocol device {}
protocol static vip { ipv4; route $E2E_VIP/32 blackhole; }
protocol bgp uplink {
  local $net.2 as 65001; neighbor $net.1 as 65000;
  $bgp_timers
  ipv4 { import none; export where proto = "vip"; };
}
EOF
}

declare -A bird_pid=()  # the pid of timeout(1) around ROLE's bird

# start_bird ROLE: BIRD in the foreground in ROLE's namespace, control socket and pid file in
# the work directory.
start_bird() {
  local role=$1
  rm -f "$E2E_WORK/bird-$role.pid"
  e2e_bg "$role" 300 "$E2E_WORK/bird-$role.log" bird -f -c "$E2E_WORK/bird-$role.conf" \
    -s "$E2E_WORK/bird-$role.ctl" -P "$E2E_WORK/bird-$role.pid"
  bird_pid[$role]=$E2E_LAST_PID
}

birdc_in() {
  local role=$1
  shift
  e2e_in "$role" birdc -s "$E2E_WORK/bird-$role.ctl" "$@"
}

# The router's live next hops for the VIP, by device ("rt1 rt3"): a next hop the kernel
# ignores because its link is down does not count.
live_nexthops() {
  ip -n "$(e2e_ns router)" route show "$E2E_VIP/32" 2>/dev/null |
    awk '/ via / && !/linkdown|dead/ { for (k = 1; k < NF; ++k) if ($k == "dev") print $(k + 1) }' | sort | xargs
}
# Every next hop the router has for the VIP, live or not.
all_nexthops() {
  ip -n "$(e2e_ns router)" route show "$E2E_VIP/32" 2>/dev/null |
    awk '/ via / { for (k = 1; k < NF; ++k) if ($k == "dev") print $(k + 1) }' | sort | xargs
}

# wait_nexthops FUNC WANT LIMIT_MS: waits until FUNC prints WANT; prints the time it took in
# ms, or fails after LIMIT_MS.
wait_nexthops() {
  local func=$1 want=$2 limit=$3 start
  start=$(now_ms)
  while [ "$($func)" != "$want" ]; do
    if (($(now_ms) - start > limit)); then
      echo "timeout"
      return 1
    fi
    sleep 0.02
  done
  echo $(($(now_ms) - start))
}

# ---- ipvsd ----------------------------------------------------------------------------------

declare -A ipvsd_pid=()  # the pid of timeout(1) around director I's ipvsd

ipvsadm_in() {
  local i=$1
  shift
  IPVSD_SOCKET="$E2E_WORK/ipvsd-d$i.sock" e2e_in "d$i" ipvsadm "$@"
}

# start_ipvsd I: ipvsd on director I's two interfaces, one worker; waits for its socket.
start_ipvsd() {
  local i=$1
  e2e_run_ipvsd "d$i" "$E2E_WORK/ipvsd-d$i.sock" "$E2E_WORK/ipvsd-d$i.log" --iface "d${i}u" --iface "d${i}s" \
    --io afxdp --workers 1 --conn-max 4096 --sync-pull
  ipvsd_pid[$i]=$E2E_LAST_PID
}

# start_sync I: director I becomes sync master and backup on the server segment.
start_sync() {
  local role
  for role in master backup; do
    ipvsadm_in "$1" --start-daemon "$role" --mcast-interface "d${1}s" --syncid "$syncid"
  done
}

# knows_all I: director I lists a connection for every stream.
knows_all() { [ "$(conns_of "$1" | wc -l)" = "$streams" ]; }

# Director I's connections scheduled so far (the service's Conns: synced ones do not count).
scheduled_of() { ipvsadm_in "$1" -Ln --stats --exact | awk -v vip="$vip" '$1 == "TCP" && $2 == vip { print $3 }'; }

# The connections of director I as "cport rs state" lines.
conns_of() {
  ipvsadm_in "$1" -Lnc | awk -v vip="$vip" '$5 == vip { split($4, c, ":"); split($6, r, ":"); print c[2], r[1], $3 }'
}

# CPU time (clock ticks, user + system) used so far by director I's ipvsd.
cpu_ticks_of() { awk '{ print $14 + $15 }' "/proc/$(pgrep -P "${ipvsd_pid[$1]}" -x ipvsd)/stat"; }

# Director I's packets in on the service (ipvsadm -Ln --stats --exact).
inpkts_of() { ipvsadm_in "$1" -Ln --stats --exact | awk -v vip="$vip" '$1 == "TCP" && $2 == vip { print $4 }'; }

# snapshot I...: the connections of directors I..., kept for the final consistency check.
snapshot() {
  local i
  for i in "$@"; do conns_of "$i" | sed "s/^/d$i /" >>"$E2E_WORK/conns.all"; done
}

# ---- the run --------------------------------------------------------------------------------

build_topology
write_router_conf
for i in "${directors[@]}"; do write_director_conf "$i"; done

echo "== directors: ipvsd (afxdp), the mh service with --sloppy, DR to 3 real servers"
for i in "${directors[@]}"; do start_ipvsd "$i"; done
{
  echo "-A -t $vip -s mh -b mh-port --sloppy"
  for r in 1 2 3; do echo "-a -t $vip -r $(e2e_rs_ip "$r"):$port -g"; done
} >"$E2E_WORK/ipvsadm.rules"
echo "  director# ipvsadm -R < rules; ipvsadm -Sn:"
for i in "${directors[@]}"; do ipvsadm_in "$i" -R <"$E2E_WORK/ipvsadm.rules"; done
ipvsadm_in 1 -Sn | sed 's/^/    /'
table=$(ipvsadm_in 1 -Sn)
e2e_check "the three directors hold the same table" \
  e2e_expect_eq "tables of directors 2 and 3" "$(ipvsadm_in 2 -Sn)|$(ipvsadm_in 3 -Sn)" "$table|$table"
echo "  director# ipvsadm --start-daemon master|backup --mcast-interface dIs --syncid $syncid"
for i in "${directors[@]}"; do start_sync "$i"; done

echo "== BIRD: the router and the three directors (eBGP, hold time 3 s)"
start_bird router
for i in "${directors[@]}"; do start_bird "d$i"; done
t=$(wait_nexthops live_nexthops "rt1 rt2 rt3" 20000) || true
e2e_check "the router installs one ECMP route over the three directors ($t ms)" \
  e2e_expect_eq "next hops" "$(live_nexthops)" "rt1 rt2 rt3"
ip -n "$(e2e_ns router)" route show "$E2E_VIP/32" | sed 's/^/    router# /'

echo "== (a) $streams streams for $stream_seconds s through the router"
e2e_bg client $((stream_seconds + 40)) "$E2E_WORK/streams.log" \
  e2e_peer streams "$E2E_VIP" "$port" "$streams" "$stream_seconds"
streams_pid=$E2E_LAST_PID
cpu_start=$(cpu_ticks_of 1)
cpu_start_ms=$(now_ms)
for k in $(seq 1 100); do
  grep -q "^streams: connected" "$E2E_WORK/streams.log" && break
  sleep 0.1
done
sleep 2
snapshot 1 2 3
spread="d1=$(scheduled_of 1) d2=$(scheduled_of 2) d3=$(scheduled_of 3)"
servers=$(awk '{ print $2, $3 }' "$E2E_WORK/conns.all" | sort -u | awk '{ print $2 }' | e2e_count_names)
echo "        connections scheduled per director: $spread; streams per real server: $servers"
e2e_check "every director carries streams (ECMP uses the three routes)" \
  grep -Eq '^d1=[1-9][0-9]* d2=[1-9][0-9]* d3=[1-9][0-9]*$' <<<"$spread"
e2e_check "all $streams streams have a connection, spread over the three real servers" \
  e2e_expect_eq "streams/servers" "$(awk '{ print $2 }' "$E2E_WORK/conns.all" | sort -u | wc -l)/$(wc -w <<<"$servers")" \
  "$streams/3"
e2e_check "sync: every director knows all $streams streams" \
  e2e_wait_until 50 eval 'knows_all 1 && knows_all 2 && knows_all 3'

echo "== (b) director 2 dies: its link goes down, ipvsd and bird get SIGKILL"
start=$(now_ms)
ip -n "$(e2e_ns d2)" link set d2u down
kill -KILL "$(cat "$E2E_WORK/bird-d2.pid")" "$(pgrep -P "${ipvsd_pid[2]}" -x ipvsd)" 2>/dev/null || true
# Reap them here, so that bash does not report the killed jobs later.
wait "${bird_pid[d2]}" "${ipvsd_pid[2]}" 2>/dev/null || true
t_kernel=$(wait_nexthops live_nexthops "rt1 rt3" 5000) || true
wait_nexthops all_nexthops "rt1 rt3" 10000 >/dev/null && t_bgp=$(($(now_ms) - start)) || t_bgp=timeout
echo "        router: next hop ignored (link down) after $t_kernel ms, withdrawn by BGP after $t_bgp ms"
e2e_check "the router forwards over directors 1 and 3 only" e2e_expect_eq "next hops" "$(all_nexthops)" "rt1 rt3"
sleep 5
snapshot 1 3

echo "== (b) director 2 comes back: link up, ipvsd with the saved rules, bird"
ip -n "$(e2e_ns d2)" link set d2u up
start_ipvsd 2
ipvsadm_in 2 -R <"$E2E_WORK/ipvsadm.rules"
start=$(now_ms)
start_bird d2
t_back=$(wait_nexthops live_nexthops "rt1 rt2 rt3" 20000) || true
echo "        router: director 2 back in the ECMP route after $t_back ms"
e2e_check "the router forwards over the three directors again" e2e_expect_eq "next hops" "$(live_nexthops)" "rt1 rt2 rt3"
sleep 4
taken=$(conns_of 2 | grep -c ESTABLISHED || true)
echo "        director 2 took over $taken established streams it never saw start"
e2e_check "the new director 2 serves streams mid-flight (sloppy)" test "$taken" -gt 0
snapshot 1 2 3
echo "  director2# ipvsadm --start-daemon master|backup ... (ipvsd runs with --sync-pull)"
start_sync 2
e2e_check "director 2's backup pulls the others' tables: it knows all $streams streams" e2e_wait_until 50 knows_all 2

echo "== (c) director 3 is drained: BIRD withdraws the VIP, then it is stopped"
start=$(now_ms)
birdc_in d3 disable vip >/dev/null
t_drain=$(wait_nexthops all_nexthops "rt1 rt2" 10000) || true
echo "        router: director 3 withdrawn after $t_drain ms"
e2e_check "the router forwards over directors 1 and 2 only" e2e_expect_eq "next hops" "$(all_nexthops)" "rt1 rt2"
sleep 0.5
d3_quiet=$(inpkts_of 3)
sleep 3
d3_later=$(inpkts_of 3)
e2e_check "no packet reaches director 3 after the withdrawal" e2e_expect_eq "director 3 packets in" "$d3_later" "$d3_quiet"
snapshot 1 2 3
birdc_in d3 down >/dev/null || true
kill "${ipvsd_pid[3]}"
e2e_wait_gone "${ipvsd_pid[3]}" 50 || e2e_log "ipvsd on director 3 did not exit within 5 s of SIGTERM"
sleep 2
snapshot 1 2

echo "== the streams end (every byte checked)"
streams_rc=0
wait "$streams_pid" || streams_rc=$?
cpu_pct=$(( ($(cpu_ticks_of 1) - cpu_start) * 1000 * 100 / $(getconf CLK_TCK) / ($(now_ms) - cpu_start_ms) ))
sed 's/^/        /' "$E2E_WORK/streams.log"
result=$(grep "^streams: ok=" "$E2E_WORK/streams.log" || true)
e2e_check "no stream broken, every byte echoed intact" \
  e2e_expect_eq "streams" "$streams_rc ${result%% bytes=*}" "0 streams: ok=$streams broken=0"
# One real server per stream, whichever director forwarded it, whenever.
split=$(awk '{ print $2, $3 }' "$E2E_WORK/conns.all" | sort -u | awk '{ print $1 }' | uniq -d | wc -l)
e2e_check "every stream kept one real server across all directors (mh + sloppy)" e2e_expect_eq "streams on two servers" "$split" 0
e2e_check "directors 1 and 2 are still running" kill -0 "${ipvsd_pid[1]}" "${ipvsd_pid[2]}"

echo "== figures: route dropped by the kernel (link down) ${t_kernel} ms, by BGP ${t_bgp} ms;" \
  "re-added ${t_back} ms; drain withdrawal ${t_drain} ms; ${result#streams: };" \
  "ipvsd of director 1 used ${cpu_pct}% of a core meanwhile"
if [ "$E2E_FAILS" != 0 ]; then
  for f in "$E2E_WORK"/ipvsd-d*.log "$E2E_WORK"/bird-*.log; do
    echo "--- last lines of $(basename "$f")"
    tail -n 8 "$f"
  done
fi
e2e_finish
