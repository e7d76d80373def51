#!/usr/bin/env bash
# Eight ipvsadm processes add and delete services and destinations at once, some commands
# failing on purpose; afterwards `ipvsadm -Sn` must be exactly what the successful commands
# imply. Each worker owns its services; all of them also add and delete destinations of one
# shared service and race to create another shared service (exactly one may win).
# Usage: cli_concurrency.sh BINDIR
set -u
bindir=$(cd "${1:?usage: cli_concurrency.sh BINDIR}" && pwd)
work=$(mktemp -d /tmp/ipvsd-concurrency.XXXXXX)
sock="$work/ipvsd.sock"
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/../testing/control_plane_daemon.sh"
fail() { echo "FAIL: $*"; exit 1; }

start_control_plane "$bindir" "$sock" || fail "ipvsd did not start"
export IPVSD_SOCKET="$sock"
ipvsadm="$bindir/ipvsadm"
shared=198.18.100.1:80
race=198.18.100.2:80
$ipvsadm -A -t $shared -s rr || fail "setup"

workers=8
rounds=12
# Runs one command, logging "rc<TAB>args" so that the model below can replay the successes.
run() {
  "$ipvsadm" "$@" 2>/dev/null
  printf '%s\t%s\n' "$?" "$*" >>"$log"
}
worker() {
  local i=$1 j
  log="$work/log.$i"
  : >"$log"
  for j in $(seq 1 $rounds); do
    run -A -t 198.18.$i.$j:80 -s rr
    run -A -t 198.18.$i.$j:80 -s rr                                  # fails: exists
    run -a -t 198.18.$i.$j:80 -r 198.19.$i.$j:80 -m -w $j
    run -a -t $shared -r 198.19.$i.$j:8080 -m -w $i
    run -A -t $race -s rr                                           # one winner overall
    if [ $((j % 2)) -eq 0 ]; then run -D -t 198.18.$i.$j:80; fi
    if [ $((j % 3)) -eq 0 ]; then run -d -t $shared -r 198.19.$i.$j:8080; fi
    run -d -t 198.18.$i.$j:80 -r 198.19.255.255:80                  # fails: no such dest/service
    run -e -t 198.18.$i.$((j + 100)):80 -r 198.19.1.1:80 -m -w 1     # fails: service not defined
  done
}
for i in $(seq 1 $workers); do worker "$i" & done
wait_for_workers() {
  local p
  for p in $(jobs -p); do [ "$p" != "$daemon_pid" ] && wait "$p"; done
}
wait_for_workers

# Replay the successful commands into the expected -Sn lines. Keys owned by one worker are
# replayed in that worker's order; shared-service destinations are disjoint per worker.
declare -A svc dest
svc[$shared]="-A -t $shared -s rr"
race_wins=0
expected_failures_ok=1
for i in $(seq 1 $workers); do
  while IFS=$'\t' read -r rc cmd; do
    set -- $cmd
    if [ "$rc" != 0 ]; then
      case "$cmd" in
        "-A -t $race"*) ;;
        "-d -t "*"-r 198.19.255.255:80"* | "-e -t "*) ;;
        "-A -t "*) [ "$rc" = 255 ] || expected_failures_ok=0 ;;
        *) echo "unexpected failure ($rc): $cmd"; expected_failures_ok=0 ;;
      esac
      continue
    fi
    case "$1" in
      -A) svc[$3]="$cmd"; [ "$3" = "$race" ] && race_wins=$((race_wins + 1)) ;;
      -D) unset "svc[$3]"
          for k in "${!dest[@]}"; do [ "${k%%|*}" = "$3" ] && unset "dest[$k]"; done ;;
      -a) dest["$3|$5"]="$cmd" ;;
      -d) unset "dest[$3|$5]" ;;
      -e) echo "unexpected success: $cmd"; expected_failures_ok=0 ;;
    esac
  done <"$work/log.$i"
done
[ $race_wins -eq 1 ] || fail "$race was created $race_wins times"
[ $expected_failures_ok -eq 1 ] || fail "a command failed or succeeded unexpectedly"
for i in $(seq 1 $workers); do
  n=$(grep -c $'^255\t-A -t 198.18.'"$i"'\.' "$work/log.$i")
  [ "$n" -eq $rounds ] || fail "worker $i: $n duplicate adds failed, expected $rounds"
done

{ for v in "${svc[@]}"; do echo "$v"; done; for d in "${dest[@]}"; do echo "$d"; done; } | sort >"$work/expected"
$ipvsadm -Sn | sort >"$work/actual"
if ! cmp -s "$work/expected" "$work/actual"; then
  diff -u "$work/expected" "$work/actual" | head -40
  fail "final table differs from what the successful commands imply"
fi
echo "PASS: $(wc -l <"$work/actual") rules, exactly what $(cat "$work"/log.* | grep -c $'^0\t') successful commands imply"
