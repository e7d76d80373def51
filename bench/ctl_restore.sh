#!/usr/bin/env bash
# `ipvsadm -R` end to end at kube-proxy scale: for each N given (default 1000 3000 10000), a
# fresh ipvsd in a namespace of its own with only lo (a control plane, as in the issue that
# measured the old 174 s), the restore of N services x 10 real servers timed, then one
# `ipvsadm -a` afterwards (median of 11, process start included). Prints one table row per N.
# Usage: bench/ctl_restore.sh BINDIR [N...]   (root: it creates and removes the namespace)
set -euo pipefail
bin=$(cd "${1:?usage: ctl_restore.sh BINDIR [N...]}" && pwd)
shift
sizes=("${@:-1000 3000 10000}")
[ "$(id -u)" = 0 ] || { echo "ctl_restore.sh: needs root (network namespaces)" >&2; exit 4; }
ns=ipvsd-ctl-bench-$$
work=$(mktemp -d /tmp/ipvsd-ctl-bench.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
export IPVSD_SOCKET=$work/ipvsd.sock
in_ns() { ip netns exec "$ns" timeout 600 "$@"; }
ms_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'; }

echo "| services (real servers) | ipvsadm -R | one ipvsadm -a afterwards (median of 11) |"
echo "|---|---|---|"
for n in ${sizes[*]}; do
  awk -v n="$n" 'BEGIN {
    for (s = 0; s < n; s++) {
      vip = sprintf("198.19.%d.%d", 100 + int(s / 256), s % 256)
      printf "-A -t %s:80 -s wlc\n", vip
      for (i = 0; i < 10; i++) printf "-a -t %s:80 -r 198.18.%d.%d:8080 -m -w 1\n", vip, 10 + i, s % 250 + 1
    }
  }' >"$work/rules"
  in_ns "$bin/ipvsd" --socket "$IPVSD_SOCKET" --log-level warning &
  pid=$!
  for _ in $(seq 50); do [ -S "$IPVSD_SOCKET" ] && break; sleep 0.1; done
  start=$(date +%s%N)
  in_ns "$bin/ipvsadm" -R <"$work/rules"
  restore_ms=$(ms_since "$start")
  singles=()
  for k in $(seq 11); do
    start=$(date +%s%N)
    in_ns "$bin/ipvsadm" -a -t 198.19.100.7:80 -r "198.18.30.$k:8080" -m
    singles+=("$(ms_since "$start")")
  done
  median=$(printf '%s\n' "${singles[@]}" | sort -n | sed -n 6p)
  echo "| $n ($((n * 10))) | $(awk -v m="$restore_ms" 'BEGIN { printf "%.2f s", m / 1000 }') | $median ms |"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
  rm -f "$IPVSD_SOCKET"
done
