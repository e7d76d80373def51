#!/usr/bin/env bash
# Dynamic feedback end to end (docs/dynamic-feedback.md): three DR real servers, each a
# "container" with its own cgroup (v1 cpu + cpuacct + memory, a quota of half a CPU) measured
# by its own ipvs-agent --listen --cgroup; ipvs-healthd polls them every second and sets the
# weights with the LVS formula. A bounded CPU burner in rs1's cgroup makes rs1 busy: its weight
# drops and its share of new connections (wrr) shifts to rs2 and rs3; when the burner ends,
# the weight and the share come back. A second service whose "agents" never answer (a port
# where e2e_peer waits for a line) keeps its weights and healthd keeps running.
# The cgroups are created under /sys/fs/cgroup and removed on every exit path.
# E2E_CGROUP picks the hierarchy: v1, v2, or auto (default): v2 on a cgroup-v2-only system
# (Debian 12's default), else v1. Under v2 each server's cgroup gets cpu.max = half a CPU; a
# hybrid system (v1 controllers, v2 at /sys/fs/cgroup/unified) cannot enable the cpu
# controller in v2, so there the v2 run is skipped.
# Usage: test_health_feedback.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init feedback "${1:?usage: test_health_feedback.sh BINDIR}"
[ -x "$E2E_BIN/ipvs-healthd" ] || e2e_die "$E2E_BIN/ipvs-healthd is not built"

readonly cg_name="ipvsd-feedback-$$"
readonly cg_root=/sys/fs/cgroup
cg_mode=${E2E_CGROUP:-auto}
if [ "$cg_mode" = auto ]; then
  if [ -f "$cg_root/cgroup.controllers" ]; then cg_mode=v2; else cg_mode=v1; fi
fi
case $cg_mode in
  v1)
    for ctrl in cpu cpuacct memory; do
      [ -w "$cg_root/$ctrl" ] || e2e_skip "needs the cgroup v1 $ctrl controller at $cg_root/$ctrl"
    done
    ;;
  v2)
    if [ -f "$cg_root/cgroup.controllers" ]; then cg_v2=$cg_root; else cg_v2=$cg_root/unified; fi
    [ -w "$cg_v2/cgroup.procs" ] || e2e_skip "needs a writable cgroup v2 hierarchy at $cg_root or $cg_root/unified"
    # The servers' CPU quotas need the cpu controller in the v2 hierarchy.
    grep -qw cpu "$cg_v2/cgroup.subtree_control" || { echo +cpu >"$cg_v2/cgroup.subtree_control"; } 2>/dev/null || true
    grep -qw cpu "$cg_v2/cgroup.subtree_control" ||
      e2e_skip "the cpu controller cannot be enabled in cgroup v2 at $cg_v2 (bound to v1 on this hybrid system)"
    e2e_log "cgroup v2 at $cg_v2"
    ;;
  *) e2e_die "E2E_CGROUP must be v1, v2 or auto" ;;
esac
readonly burn_seconds=25
BURNER=
CGROUPS=()

# Our own exit path first (the burner, then the now empty cgroups), then the library's.
fb_exit() {
  local rc=$? dir k
  set +e
  if [ -n "$BURNER" ]; then
    kill "$BURNER" 2>/dev/null || true
    e2e_wait_gone "$BURNER" 30 || kill -KILL "$BURNER" 2>/dev/null || true
  fi
  for dir in "${CGROUPS[@]}"; do
    for k in $(seq 1 30); do
      rmdir "$dir" 2>/dev/null && break
      [ -d "$dir" ] || break
      sleep 0.1
    done
    if [ -d "$dir" ]; then echo "[feedback] could not remove cgroup $dir"; fi
  done
  (exit "$rc")
  e2e_cleanup
}
trap fb_exit EXIT

# cg_make I: rs I's cgroup (v1: in cpu, cpuacct and memory), CPU quota half a CPU.
cg_make() {
  local ctrl dir
  if [ "$cg_mode" = v2 ]; then
    dir="$cg_v2/$cg_name-rs$1"
    mkdir "$dir"
    CGROUPS+=("$dir")
    echo "50000 100000" >"$dir/cpu.max"
    return
  fi
  for ctrl in cpu cpuacct memory; do
    dir="$cg_root/$ctrl/$cg_name-rs$1"
    mkdir "$dir"
    CGROUPS+=("$dir")
  done
  echo 100000 >"$cg_root/cpu/$cg_name-rs$1/cpu.cfs_period_us"
  echo 50000 >"$cg_root/cpu/$cg_name-rs$1/cpu.cfs_quota_us"
}

# burn: a CPU burner in rs1's cgroup for at most burn_seconds; BURNER is its pid.
burn() {
  local join
  if [ "$cg_mode" = v2 ]; then
    join="echo \$\$ >$cg_v2/$cg_name-rs1/cgroup.procs"
  else
    join="echo \$\$ >$cg_root/cpu/$cg_name-rs1/tasks; echo \$\$ >$cg_root/cpuacct/$cg_name-rs1/tasks"
  fi
  timeout --kill-after=2 "$burn_seconds" sh -c "$join; while :; do :; done" >"$E2E_WORK/burner.log" 2>&1 &
  BURNER=$!
  E2E_PIDS+=("$BURNER")
}

readonly rs1=$(e2e_rs_ip 1) rs2=$(e2e_rs_ip 2) rs3=$(e2e_rs_ip 3)

# The weights of VIP:PORT's destinations, "rs1=W rs2=W rs3=W".
weights() {
  e2e_in director ipvsadm -Ln -t "$E2E_VIP:$1" 2>/dev/null |
    awk '$1 == "->" && $2 ~ /^198/ {split($2, a, ":"); split(a[1], b, "."); printf "rs%d=%s\n", b[4] - 10, $4}' |
    sort | tr '\n' ' ' | sed 's/ $//'
}
weight_of() { weights "$1" | tr ' ' '\n' | awk -F= -v n="rs$2" '$1 == n {print $2}'; }

# wait_weight PORT I OP VALUE TENTHS: until rs I's weight OP VALUE (awk comparison).
wait_weight() {
  local k w
  for ((k = 0; k < $5; k++)); do
    w=$(weight_of "$1" "$2")
    if [ -n "$w" ] && awk -v w="$w" -v v="$4" "BEGIN{exit !(w $3 v)}"; then
      echo "        weights after $((k / 10)).$((k % 10)) s: $(weights "$1")"
      return 0
    fi
    sleep 0.1
  done
  echo "        weights: $(weights "$1") (rs$2 never got $3 $4)"
  return 1
}

# share N: N new connections; prints the per-server counts.
share() { e2e_in client e2e_peer tcp-names "$E2E_VIP" 8080 "$1" | e2e_count_names; }
count_of() { tr ' ' '\n' <<<"$1" | awk -F= -v n="$2" '$1 == n {print $2}'; }

e2e_topology 3
e2e_director_vip
e2e_rs_setup dr 1 2 3
e2e_start_servers 8080
# ip netns exec gives its command a fresh /sys without the cgroup mounts; nsenter --net
# changes only the network namespace, so the agent sees both its server's sockets and cgroups.
for i in 1 2 3; do
  cg_make "$i"
  PATH="$E2E_BIN:$PATH" timeout --kill-after=2 600 nsenter --net="/run/netns/$(e2e_ns "rs$i")" \
    ipvs-agent --listen "$(e2e_rs_ip "$i"):9901" --cgroup "/$cg_name-rs$i" --interval 0.5 \
    >"$E2E_WORK/agent$i.log" 2>&1 &
  E2E_PIDS+=("$!")
done
for i in 1 2 3; do
  for k in $(seq 1 50); do
    [ -n "$(ip netns exec "$(e2e_ns "rs$i")" ss -Hltn "sport = :9901" 2>/dev/null)" ] && break
    sleep 0.1
  done
done
e2e_check "agent answers one line of JSON" \
  bash -c "e2e_out=\$(PATH='$E2E_BIN':\$PATH ip netns exec '$(e2e_ns director)' timeout 5 bash -c 'exec 3<>/dev/tcp/$rs1/9901; cat <&3'); echo \"        rs1 agent: \$e2e_out\"; [[ \$e2e_out == '{\"cpu\":'* ]]"
e2e_start_ipvsd

conf=$E2E_WORK/keepalived.conf
rs_block() {
  cat <<CONF
    real_server $1 $2 {
        weight 10
        TCP_CHECK {
            connect_port 8080
            connect_timeout 1
        }
    }
CONF
}
{
  echo "virtual_server $E2E_VIP 8080 {"
  printf '    delay_loop 2\n    lb_algo wrr\n    lb_kind DR\n'
  printf '    dynamic_feedback {\n        agent_port 9901\n        interval 1\n        timeout 0.5\n        scale 2\n    }\n'
  for ip in "$rs1" "$rs2" "$rs3"; do rs_block "$ip" 8080; done
  echo "}"
  echo "virtual_server $E2E_VIP 8081 {"
  printf '    delay_loop 2\n    lb_algo wrr\n    lb_kind DR\n'
  printf '    dynamic_feedback {\n        agent_port 8080\n        interval 1\n        timeout 0.3\n    }\n'
  for ip in "$rs1" "$rs2"; do rs_block "$ip" 8081; done
  echo "}"
} >"$conf"

e2e_bg director 600 "$E2E_WORK/healthd.log" ipvs-healthd --config "$conf" --socket "$IPVSD_SOCKET" --log-level debug
healthd=$E2E_LAST_PID
sleep 0.5
healthd_pid=$(pgrep -P "$healthd" -x ipvs-healthd || true)
[ -n "$healthd_pid" ] || { cat "$E2E_WORK/healthd.log"; e2e_die "ipvs-healthd did not start"; }

# Idle servers climb from the configured 10 to the ceiling 2 x 10.
for i in 1 2 3; do e2e_check "idle rs$i climbs to weight 20" wait_weight 8080 "$i" "==" 20 150; done
e2e_ipvsadm -Ln -t "$E2E_VIP:8080"
before=$(share 60)
echo "        idle: 60 connections: $before"
e2e_check "idle: rs1 has a third of the connections" e2e_expect_eq "rs1" "$(count_of "$before" rs1)" 20

e2e_log "burner in rs1's cgroup for at most $burn_seconds s"
# Started outside the namespaces (it needs no network, but the cgroup mounts).
burn
e2e_check "busy rs1's weight drops to 4 or less" wait_weight 8080 1 "<=" 4 200
e2e_check "the idle servers stay at 20" e2e_expect_eq "rs2 rs3" "$(weight_of 8080 2) $(weight_of 8080 3)" "20 20"
grep "agent of $rs1:8080" "$E2E_WORK/healthd.log" | tail -n 1 | sed 's/^/        /'
e2e_ipvsadm -Ln -t "$E2E_VIP:8080"
busy=$(share 60)
echo "        rs1 busy (weights $(weights 8080)): 60 connections: $busy"
busy_rs1=$(count_of "$busy" rs1)
e2e_check "busy: rs1's share falls below a tenth" test "${busy_rs1:-0}" -le 6

kill "$BURNER" 2>/dev/null || true
e2e_wait_gone "$BURNER" 30 || true
BURNER=
e2e_log "burner stopped"
e2e_check "rs1's weight comes back to 20" wait_weight 8080 1 "==" 20 200
after=$(share 60)
echo "        load gone: 60 connections: $after"
e2e_check "load gone: rs1 has a third again" e2e_expect_eq "rs1" "$(count_of "$after" rs1)" 20

# Agents that never answer: the weights of :8081 stay as configured, healthd goes on.
e2e_check "hanging agents: :8081 keeps weights 10" e2e_expect_eq "weights" "$(weights 8081)" "rs1=10 rs2=10"
e2e_check "hanging agents are logged as timeouts" grep -q "agent of $rs1:8081: reply timed out" "$E2E_WORK/healthd.log"
e2e_check "healthd alive" kill -0 "$healthd_pid"
kill "$healthd_pid"
rc=0
wait "$healthd" || rc=$?
e2e_check "SIGTERM: healthd exits 0" e2e_expect_eq "exit code" "$rc" 0
if [ "$E2E_FAILS" != 0 ]; then
  echo "--- the healthd log"
  grep -v "^ipvsd\[debug\]" "$E2E_WORK/healthd.log" | tail -n 30
  grep "agent of $rs1:8080" "$E2E_WORK/healthd.log" | tail -n 20
fi
e2e_finish
