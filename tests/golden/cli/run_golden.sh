#!/usr/bin/env bash
# Golden tests of ipvsadm against a real ipvsd.
#
# Usage: run_golden.sh BINDIR [CASE...]
#
# Each case is <name>.cmd beside this script: one shell command line per line (normally an
# ipvsadm invocation; pipes and redirections allowed; lines starting with '#' and blank lines
# are skipped), run with BINDIR first in PATH, IPVSD_SOCKET pointing at a fresh ipvsd started
# for the case, and GOLDEN_TMP a private scratch directory. The concatenated stdout and stderr
# of all lines must equal <name>.out and <name>.err byte for byte, and the exit status of the
# last line must equal <name>.rc. IPVSD_UPDATE_GOLDEN=1 rewrites the expectations instead
# (review the diff before committing).
set -u
here=$(cd "$(dirname "$0")" && pwd)
bindir=$(cd "${1:?usage: run_golden.sh BINDIR [CASE...]}" && pwd)
shift
[ -x "$bindir/ipvsd" ] && [ -x "$bindir/ipvsadm" ] || { echo "missing ipvsd/ipvsadm in $bindir"; exit 1; }

work=$(mktemp -d /tmp/ipvsd-golden.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source "$here/../../testing/control_plane_daemon.sh"

start_daemon() {
  start_control_plane "$bindir" "$1" && return 0
  echo "ipvsd did not start"
  return 1
}

stop_daemon() {
  kill "$daemon_pid" 2>/dev/null
  wait "$daemon_pid" 2>/dev/null
  daemon_pid=
}

if [ $# -gt 0 ]; then cases=("$@"); else
  cases=()
  for f in "$here"/*.cmd; do cases+=("$(basename "$f" .cmd)"); done
fi

failed=0
for name in "${cases[@]}"; do
  cmd="$here/$name.cmd"
  dir="$work/$name"
  mkdir -p "$dir/tmp"
  start_daemon "$dir/ipvsd.sock" || { failed=$((failed + 1)); continue; }
  rc=0
  : >"$dir/out"
  : >"$dir/err"
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '#'* | '') continue ;; esac
    PATH="$bindir:$PATH" IPVSD_SOCKET="$dir/ipvsd.sock" GOLDEN_TMP="$dir/tmp" \
      bash -c "$line" >>"$dir/out" 2>>"$dir/err" </dev/null
    rc=$?
  done <"$cmd"
  echo "$rc" >"$dir/rc"
  stop_daemon
  if [ "${IPVSD_UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$dir/out" "$here/$name.out"
    cp "$dir/err" "$here/$name.err"
    cp "$dir/rc" "$here/$name.rc"
    echo "updated $name"
    continue
  fi
  ok=1
  for kind in out err rc; do
    if ! cmp -s "$dir/$kind" "$here/$name.$kind"; then
      ok=0
      echo "--- $name.$kind differs (expected vs actual):"
      diff -u "$here/$name.$kind" "$dir/$kind" | head -40
    fi
  done
  if [ $ok = 1 ]; then echo "ok   $name"; else echo "FAIL $name"; failed=$((failed + 1)); fi
done
echo "${#cases[@]} cases, $failed failed"
[ $failed -eq 0 ]
