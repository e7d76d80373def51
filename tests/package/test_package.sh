#!/usr/bin/env bash
# test_package.sh SOURCE_DIR NOTIFY_LISTEN DEB_DIR — the Debian package end to end
# (docs/operations.md): build it with `make deb` into DEB_DIR (or take the one IPVSD_DEB
# names), lintian without errors, dpkg -i, systemd-analyze verify of both units, the packaged
# ipvsd started in a network namespace the way ipvsd.service starts it until it sends READY=1
# and watchdog pings (once per packet I/O backend), the packaged ipvsadm against it, then
# dpkg -P and nothing of the package left. Exit 0 passed, 1 failed, 4 skipped.
set -euo pipefail

readonly SKIP=4
src=$1
notify_listen=$2
deb_dir=$3
fails=0

say() { echo "package: $*"; }
fail() { say "FAIL: $*"; fails=$((fails + 1)); }
skip() { say "SKIP: $*"; exit "$SKIP"; }

[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i, network namespaces)"
for tool in make dpkg-buildpackage dh lintian systemd-analyze setpriv unshare findmnt ip timeout; do
  command -v "$tool" >/dev/null || skip "needs $tool (make deps)"
done
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
installed ipvsd && skip "an ipvsd package is installed already; this test would replace and purge it"
installed ipvsadm && skip "Debian's ipvsadm is installed; installing ipvsd would remove it"

# Under /run, not /tmp: the sandboxed ipvsd (PrivateTmp) must reach the notify socket in it.
work=$(mktemp -d /run/ipvsd-package.XXXXXX)
ns=ipvsd-package-$$-director
peer_ns=ipvsd-package-$$-peer
listener_pid=
ipvsd_pid=
made_run_dir=false
purged=false
dropin=/run/systemd/system/ipvsd.service.d/package-test.conf

cleanup() {
  set +e
  [ -n "$ipvsd_pid" ] && kill "$ipvsd_pid" 2>/dev/null && wait "$ipvsd_pid" 2>/dev/null
  [ -n "$listener_pid" ] && kill "$listener_pid" 2>/dev/null && wait "$listener_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  ip netns del "$peer_ns" 2>/dev/null
  if ! $purged && installed ipvsd; then dpkg -P ipvsd >/dev/null 2>&1; fi
  $made_run_dir && rm -rf /run/ipvsd
  if [ -e "$dropin" ]; then
    systemctl stop ipvsd 2>/dev/null
    rm -rf "$(dirname "$dropin")"
    systemctl daemon-reload
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Before: what the machine has, to compare with after the purge.
which_before=$(which ipvsd ipvsadm ipvs-healthd ipvs-agent 2>/dev/null || true)
users_before=$(getent passwd | cut -d: -f1 | sort)

if [ -n "${IPVSD_DEB:-}" ]; then
  deb=$IPVSD_DEB
  say "using $deb"
else
  say "make deb (the four programs, built in a copy of the tree)"
  if ! make -C "$src" --no-print-directory deb DEB_DIR="$deb_dir" >"$work/make-deb.log" 2>&1; then
    tail -n 40 "$work/make-deb.log"
    fail "make deb"
    exit 1
  fi
  deb=$(tail -n 1 "$work/make-deb.log")
fi
[ -f "$deb" ] || { fail "no package at $deb"; exit 1; }
case $(basename "$deb") in
  ipvsd_*_amd64.deb) ;;
  *) fail "package name $(basename "$deb") is not ipvsd_<version>_amd64.deb" ;;
esac

say "lintian $(basename "$deb")"
lintian "$deb" >"$work/lintian.log" 2>&1 || true
cat "$work/lintian.log"
grep -q '^E: ' "$work/lintian.log" && fail "lintian reports errors"

# Every file the package ships, to check the purge removed them.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' >"$work/files"

say "dpkg -i"
dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; fail "dpkg -i"; exit 1; }
for f in /usr/sbin/ipvsd /usr/sbin/ipvsadm /usr/sbin/ipvs-healthd /usr/sbin/ipvs-agent \
         /lib/systemd/system/ipvsd.service /lib/systemd/system/ipvs-healthd.service \
         /etc/default/ipvsd /etc/ipvsd/keepalived.conf /usr/share/man/man8/ipvsadm.8.gz; do
  [ -e "$f" ] || fail "dpkg -i installed no $f"
done
[ "$(command -v ipvsadm)" = /usr/sbin/ipvsadm ] || fail "ipvsadm on PATH is $(command -v ipvsadm), not the package's"

say "systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/ipvsd.service /lib/systemd/system/ipvs-healthd.service \
  || fail "systemd-analyze verify"
/usr/sbin/ipvs-healthd --config /etc/ipvsd/keepalived.conf --check || fail "ipvs-healthd --check of the example configuration"

# A director namespace with one veth to a peer, on 198.18.0.0/15 only.
ip netns add "$ns"
ip netns add "$peer_ns"
ip -n "$ns" link add pkg0 type veth peer name pkg1 netns "$peer_ns"
ip -n "$ns" addr add 198.18.0.1/24 dev pkg0
ip -n "$peer_ns" addr add 198.18.0.2/24 dev pkg1
ip -n "$ns" link set lo up
ip -n "$ns" link set pkg0 up
ip -n "$peer_ns" link set pkg1 up

unit=/lib/systemd/system/ipvsd.service
unit_value() { sed -n "s/^$1=//p" "$unit"; }
# CAP_NET_ADMIN CAP_BPF ... -> +net_admin,+bpf,... for setpriv.
caps=$(unit_value CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
exec_start=$(unit_value ExecStart)
socket=$(echo "$exec_start" | sed -n 's/.*--socket \([^ ]*\).*/\1/p')
[ "$socket" = /run/ipvsd/ipvsd.sock ] || fail "ExecStart does not use /run/ipvsd/ipvsd.sock: $exec_start"
[ -e /run/ipvsd ] && skip "/run/ipvsd exists: another ipvsd uses the default socket"
say "ipvsd.service: $exec_start, capabilities $caps"

# ipvsd as ipvsd.service runs it, as far as a machine without systemd as PID 1 allows: the
# unit's ExecStart with IPVSD_OPTS from /etc/default/ipvsd, only the unit's capabilities
# (bounding set, no new privileges), LimitMEMLOCK, RuntimeDirectory, and ProtectSystem=strict
# with PrivateTmp as a mount namespace where everything but /dev, /proc, /sys and
# /run/ipvsd is read-only and /tmp is empty. NOTIFY_SOCKET and WATCHDOG_USEC as systemd sets
# them, read by notify_listen.
start_ipvsd() {
  local io=$1
  mkdir -p -m 0755 /run/ipvsd
  made_run_dir=true
  # shellcheck disable=SC1091
  IPVSD_OPTS=$(. /etc/default/ipvsd; echo "$IPVSD_OPTS")
  local command=${exec_start//'$IPVSD_OPTS'/"$IPVSD_OPTS --iface pkg0 --io $io --workers 1 --metrics off"}
  : >"$work/notify.log"
  rm -f "$work/notify.sock"
  "$notify_listen" "$work/notify.sock" >"$work/notify.log" &
  listener_pid=$!
  for _ in $(seq 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
  ip netns exec "$ns" unshare --mount --propagation private -- sh -c '
      set -e
      mount --bind /run/ipvsd /run/ipvsd
      for m in $(findmnt -rn -o TARGET | sort -u); do
        case $m in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/run/ipvsd) continue ;; esac
        mount -o remount,bind,ro "$m" 2>/dev/null || true
      done
      mount -t tmpfs -o mode=1777 tmpfs /tmp
      ulimit -l unlimited 2>/dev/null || echo "package: RLIMIT_MEMLOCK stays $(ulimit -l) KB (no CAP_SYS_RESOURCE here)"
      exec "$@"' sh \
    env NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=2000000 \
    setpriv --bounding-set=-all,"$caps" --inh-caps=-all --no-new-privs -- \
    $command >"$work/ipvsd-$io.log" 2>&1 &
  ipvsd_pid=$!
}

stop_ipvsd() {
  kill -TERM "$ipvsd_pid"
  local rc=0
  wait "$ipvsd_pid" || rc=$?
  ipvsd_pid=
  [ "$rc" = 0 ] || fail "ipvsd exited with $rc after SIGTERM"
  sleep 0.2
  grep -q '^STOPPING=1$' "$work/notify.log" || fail "no STOPPING=1 on SIGTERM"
  kill "$listener_pid"
  wait "$listener_pid" 2>/dev/null || true
  listener_pid=
  rm -rf /run/ipvsd
}

wait_for_line() {  # pattern file seconds
  for _ in $(seq $(($3 * 10))); do grep -q "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

# Under systemd (PID 1): the unit itself, moved into the test's namespace by a runtime drop-in.
# `systemctl start` of a Type=notify unit returns once ipvsd sent READY=1.
if [ "$(ps -p 1 -o comm=)" = systemd ]; then
  for io in afxdp afpacket; do
    say "systemctl start ipvsd (--io $io, in $ns)"
    mkdir -p "$(dirname "$dropin")"
    printf '[Service]\nNetworkNamespacePath=/run/netns/%s\nEnvironmentFile=\nEnvironment="IPVSD_OPTS=--iface pkg0 --io %s --workers 1 --metrics off"\n' \
      "$ns" "$io" >"$dropin"
    systemctl daemon-reload
    if ! timeout 30 systemctl start ipvsd; then
      journalctl -u ipvsd -n 30 --no-pager
      fail "$io: systemctl start ipvsd"
      continue
    fi
    [ "$(systemctl show -p StatusText --value ipvsd)" = "0 services, 0 connections, 1 worker" ] \
      || fail "$io: STATUS= is '$(systemctl show -p StatusText --value ipvsd)'"
    ipvsadm -A -t 198.19.0.1:80 -s rr || fail "$io: ipvsadm -A"
    ipvsadm -Ln | grep -q '^TCP  198.19.0.1:80 rr$' || fail "$io: ipvsadm -Ln lacks the service"
    sleep 12  # longer than WatchdogSec: still running means the pings arrive
    systemctl is-active --quiet ipvsd || fail "$io: ipvsd did not stay up (watchdog?)"
    systemctl stop ipvsd
    rm -f "$dropin"
    systemctl daemon-reload
  done
fi

# Without systemd as PID 1 (containers, this project's CI): the emulation above.
ios="afxdp afpacket"
[ "$(ps -p 1 -o comm=)" = systemd ] && ios=
for io in $ios; do
  say "ipvsd --io $io with the unit's capabilities and sandbox"
  start_ipvsd "$io"
  if ! wait_for_line '^READY=1 STATUS=' "$work/notify.log" 10; then
    cat "$work/ipvsd-$io.log"
    fail "$io: no READY=1"
    stop_ipvsd
    continue
  fi
  grep '^READY=1' "$work/notify.log"
  grep -q '^READY=1 STATUS=0 services, 0 connections, 1 worker$' "$work/notify.log" \
    || fail "$io: READY=1 without the expected STATUS="
  wait_for_line '^WATCHDOG=1$' "$work/notify.log" 5 || fail "$io: no WATCHDOG=1 while the worker polls"
  if [ "$io" = afxdp ]; then
    ip -n "$ns" -d link show pkg0 | grep -q 'xdp' || fail "afxdp: no XDP program on pkg0"
  fi
  # The packaged ipvsadm, on its default socket.
  ip netns exec "$ns" ipvsadm -A -t 198.19.0.1:80 -s rr || fail "$io: ipvsadm -A"
  ip netns exec "$ns" ipvsadm -a -t 198.19.0.1:80 -r 198.18.0.2:8080 -m -w 2 || fail "$io: ipvsadm -a"
  ip netns exec "$ns" ipvsadm -Ln | tee "$work/list"
  grep -q '^TCP  198.19.0.1:80 rr$' "$work/list" || fail "$io: ipvsadm -Ln lacks the service"
  grep -Eq '^  -> 198.18.0.2:8080 +Masq +2 +0 +0 *$' "$work/list" || fail "$io: ipvsadm -Ln lacks the real server"
  wait_for_line '^STATUS=1 service, ' "$work/notify.log" 5 || fail "$io: STATUS= not updated to 1 service"
  # Saved rules for the next start: the purge must remove them too.
  if [ "$io" = afpacket ]; then
    ip netns exec "$ns" ipvsadm --save-config || fail "ipvsadm --save-config"
    [ -s /etc/ipvsd/rules ] || fail "ipvsadm --save-config wrote no /etc/ipvsd/rules"
  fi
  cat "$work/ipvsd-$io.log"
  stop_ipvsd
done

say "dpkg -P"
dpkg -P ipvsd >"$work/dpkg-p.log" 2>&1 || { cat "$work/dpkg-p.log"; fail "dpkg -P"; }
purged=true
dpkg -L ipvsd >/dev/null 2>&1 && fail "dpkg -L ipvsd still answers after the purge"
while read -r f; do
  [ -e "$f" ] && fail "left after the purge: $f"
done <"$work/files"
for left in /etc/ipvsd /etc/ipvsd/rules /etc/default/ipvsd /run/ipvsd /usr/share/doc/ipvsd; do
  [ -e "$left" ] && fail "left after the purge: $left"
done
if ls /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked 2>/dev/null | grep -q ipvs; then
  fail "systemd unit state of the package left after the purge"
fi
[ "$(which ipvsd ipvsadm ipvs-healthd ipvs-agent 2>/dev/null || true)" = "$which_before" ] \
  || fail "the programs on PATH differ from before the install"
[ "$(getent passwd | cut -d: -f1 | sort)" = "$users_before" ] || fail "the users differ from before the install"

if [ "$fails" -gt 0 ]; then
  say "$fails check(s) failed"
  exit 1
fi
say "passed"
