#!/usr/bin/env bash
# Saved rules: `ipvsadm --save-config FILE` writes the running table in ipvsadm -S format, an
# ipvsd started with --rules FILE comes up with the same table (`ipvsadm -Sn` identical), and
# a rules file with an error keeps ipvsd from starting, naming the file and line.
# Usage: cli_saved_rules.sh BINDIR
set -u
bindir=$(cd "${1:?usage: cli_saved_rules.sh BINDIR}" && pwd)
work=$(mktemp -d /tmp/ipvsd-rules.XXXXXX)
sock="$work/ipvsd.sock"
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
export IPVSD_SOCKET="$sock"
ipvsadm="$bindir/ipvsadm"
source "$(dirname "$0")/../testing/control_plane_daemon.sh"

# start ARGS...: ipvsd as a control plane only (start_control_plane), its errors in
# $work/ipvsd.err; 0 once its socket is there.
start() {
  rm -f "$sock"
  start_control_plane "$bindir" "$sock" "$@" 2>"$work/ipvsd.err"
}
stop() {
  kill "$daemon_pid" 2>/dev/null
  wait "$daemon_pid" 2>/dev/null
  daemon_pid=
}
# refused RULES: ipvsd with those rules must exit non-zero without ever listening; prints its error.
refused() {
  start --rules "$1" && fail "ipvsd started with the rules of $1"
  wait "$daemon_pid"
  local rc=$?
  daemon_pid=
  [ "$rc" -ne 0 ] || fail "ipvsd exited 0 with the rules of $1"
  cat "$work/ipvsd.err"
}

start --rules none || fail "ipvsd did not start"
$ipvsadm -A -t 198.18.0.1:80 -s wrr -p 600 -M 255.255.255.0
$ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.11:8080 -m -w 3
$ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.12:8080 -m -w 0 -x 100 -y 10
$ipvsadm -A -u 198.18.0.2:53 -s sh -b sh-port,sh-fallback
$ipvsadm -a -u 198.18.0.2:53 -r 198.18.1.13 -g
$ipvsadm -A -f 7 -s mh -o
$ipvsadm -a -f 7 -r 198.18.1.14 -i --tun-type gue --tun-port 6080
$ipvsadm -A -t '[2001:db8::1]:443' -s lc
$ipvsadm -a -t '[2001:db8::1]:443' -r '[2001:db8:1::11]:443' -m
$ipvsadm --set 900 120 300
$ipvsadm --save-config "$work/rules" || fail "ipvsadm --save-config"
[ -e "$work/rules.tmp" ] && fail "--save-config left its temporary file"
before=$($ipvsadm -Sn)
cmp -s <(echo "$before") "$work/rules" || fail "the saved file is not what ipvsadm -Sn prints"
$ipvsadm --save-config "$work/rules" extra 2>/dev/null && fail "--save-config took two paths"
stop

start --rules "$work/rules" || { cat "$work/ipvsd.err"; fail "ipvsd did not start with the saved rules"; }
after=$($ipvsadm -Sn)
[ "$before" = "$after" ] || fail "ipvsadm -Sn differs after a restart with the saved rules:
$(diff <(echo "$before") <(echo "$after"))"
echo "ok   saved, restarted, ipvsadm -Sn identical ($(echo "$after" | wc -l) rules)"
stop

# An unknown destination's service on line 3, a bad address on line 2, a listing on line 2.
{ echo "-A -t 198.18.0.1:80 -s rr"; echo "-A -t 198.18.0.300:80 -s rr"; } >"$work/bad-address"
{ echo "-A -t 198.18.0.1:80 -s rr"; echo "-a -t 198.18.0.1:80 -r 198.18.1.11 -g"; echo "-a -t 198.18.0.9:80 -r 198.18.1.11 -g"; } >"$work/bad-service"
{ echo "# saved by hand"; echo "-L -n"; } >"$work/listing"
out=$(refused "$work/bad-address")
echo "$out" | grep -q "$work/bad-address:2: " || fail "no file:line for a bad address: $out"
out=$(refused "$work/bad-service")
echo "$out" | grep -q "$work/bad-service:3: Service not defined; nothing was applied" || fail "no file:line for a missing service: $out"
out=$(refused "$work/listing")
echo "$out" | grep -q "$work/listing:2: not a change to the table" || fail "a listing was taken as a rule: $out"
out=$(refused "$work/missing")
echo "$out" | grep -q "$work/missing: No such file or directory" || fail "a missing rules file: $out"
echo "ok   rules with an error keep ipvsd from starting, with file:line"
echo "PASS: saved rules"
