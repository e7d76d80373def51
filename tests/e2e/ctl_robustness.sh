#!/usr/bin/env bash
# The daemon survives malformed, truncated, oversized and out-of-order control messages and
# clients that disconnect mid-request (ctl_abuse), keeps serving, and its table is unchanged.
# No network namespace is needed: no traffic flows. Usage: ctl_robustness.sh BINDIR
set -u
bindir=$(cd "${1:?usage: ctl_robustness.sh BINDIR}" && pwd)
work=$(mktemp -d /tmp/ipvsd-robust.XXXXXX)
sock="$work/ipvsd.sock"
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# ipvsd runs in a network namespace of its own with only lo, so it is a control plane only:
# it must not attach its data plane to this machine's interfaces.
isolated=(unshare --net --)
[ "$(id -u)" = 0 ] || isolated=(unshare --net --map-root-user --)
fail() { echo "FAIL: $*"; exit 1; }

"${isolated[@]}" "$bindir/ipvsd" --socket "$sock" --conn-max 4096 --log-level error &
pid=$!
for _ in $(seq 1 200); do [ -S "$sock" ] && break; sleep 0.01; done
[ -S "$sock" ] || fail "ipvsd did not start"

export IPVSD_SOCKET="$sock"
ipvsadm="$bindir/ipvsadm"
$ipvsadm -A -t 198.18.0.1:80 -s rr || fail "setup"
$ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1:8080 -m -w 3 || fail "setup"
$ipvsadm -A -f 7 -6 -s mh -b mh-port -p 60 || fail "setup"
$ipvsadm -a -f 7 -6 -r [2001:db8::7]:80 -i --tun-type gue --tun-port 6080 --tun-csum || fail "setup"
$ipvsadm --set 1000 100 200 || fail "setup"
before=$($ipvsadm -Sn; $ipvsadm -L --timeout)

"$bindir/ctl_abuse" "$sock" || fail "ctl_abuse reported failures"

kill -0 "$pid" 2>/dev/null || fail "ipvsd died"
after=$($ipvsadm -Sn; $ipvsadm -L --timeout)
[ "$before" = "$after" ] || fail "table changed:
--- before
$before
--- after
$after"
kill "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "ipvsd exited with $rc on SIGTERM"
[ ! -e "$sock" ] || fail "socket file left behind"
echo "PASS: ipvsd survived the abuse, table unchanged, clean exit"
