#!/usr/bin/env bash
# The daemon survives malformed, truncated, oversized and out-of-order control messages and
# clients that disconnect mid-request (ctl_abuse), keeps serving, and its table is unchanged.
# No network namespace is needed: no traffic flows. Usage: ctl_robustness.sh BINDIR
set -u
bindir=$(cd "${1:?usage: ctl_robustness.sh BINDIR}" && pwd)
work=$(mktemp -d /tmp/ipvsd-robust.XXXXXX)
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
$ipvsadm -A -t 198.18.0.1:80 -s rr || fail "setup"
$ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1:8080 -m -w 3 || fail "setup"
$ipvsadm -A -f 7 -6 -s mh -b mh-port -p 60 || fail "setup"
$ipvsadm -a -f 7 -6 -r [2001:db8::7]:80 -i --tun-type gue --tun-port 6080 --tun-csum || fail "setup"
$ipvsadm --set 1000 100 200 || fail "setup"
before=$($ipvsadm -Sn; $ipvsadm -L --timeout)

"$bindir/ctl_abuse" "$sock" || fail "ctl_abuse reported failures"

kill -0 "$daemon_pid" 2>/dev/null || fail "ipvsd died"
after=$($ipvsadm -Sn; $ipvsadm -L --timeout)
[ "$before" = "$after" ] || fail "table changed:
--- before
$before
--- after
$after"
kill "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=
[ $rc -eq 0 ] || fail "ipvsd exited with $rc on SIGTERM"
[ ! -e "$sock" ] || fail "socket file left behind"
echo "PASS: ipvsd survived the abuse, table unchanged, clean exit"
