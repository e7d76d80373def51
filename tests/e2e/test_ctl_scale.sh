#!/usr/bin/env bash
# The control plane at kube-proxy scale, with real processes and traffic (docs/ctl-protocol.md
# "Batches"). Through all of it one NAT connection keeps exchanging lines with its real server:
#   - ipvsadm -R of 10 000 services x 10 real servers (one batch) lands whole, -Sn gives back
#     what went in, and a restore whose last line fails applies none of its lines;
#   - ipvs-healthd with 2 000 real servers (TCP_CHECK on 2 000 ports of rs1) puts them all in
#     the table; 1 000 of them die at once (their listener is killed) and the 1 000 leave the
#     table within a second or two (healthd sends what one pass of its loop learned as one
#     batch). The times, and the counts seen on the way, are printed.
# Usage: test_ctl_scale.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init ctl-scale "${1:?usage: test_ctl_scale.sh BINDIR}"
[ -x "$E2E_BIN/ipvs-healthd" ] || e2e_die "$E2E_BIN/ipvs-healthd is not built"

readonly port=8080 services=10000 real_servers=10
readonly health_vip=198.19.250.1 first_port=20000 half=1000
readonly rs1=$(e2e_rs_ip 1)
E2E_CMD_TIMEOUT=60

e2e_topology 1
e2e_director_vip
e2e_rs_setup nat 1
e2e_start_servers "$port"
e2e_start_ipvsd
e2e_ipvsadm -A -t "$E2E_VIP:$port" -s rr
e2e_ipvsadm -a -t "$E2E_VIP:$port" -r "$rs1:$port" -m

# One connection, 120 exchanges 250 ms apart: it lasts the whole test.
e2e_bg client 60 "$E2E_WORK/hold.log" e2e_peer hold "$E2E_VIP" "$port" 120 250
hold_pid=$E2E_LAST_PID

seconds_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
count_services() { e2e_in director ipvsadm -Ln | grep -c '^TCP'; }

echo "== ipvsadm -R of $services services x $real_servers real servers"
# Services 198.19.100.0 .. 198.19.139.15, real servers 198.18.10-19.1-250 (NAT): an `ipvsadm -S`.
awk -v n="$services" -v r="$real_servers" 'BEGIN {
  for (s = 0; s < n; s++) {
    vip = sprintf("198.19.%d.%d", 100 + int(s / 256), s % 256)
    printf "-A -t %s:80 -s wlc\n", vip
    for (i = 0; i < r; i++) printf "-a -t %s:80 -r 198.18.%d.%d:8080 -m -w 1\n", vip, 10 + i, s % 250 + 1
  }
}' >"$E2E_WORK/rules"
start=$(date +%s%N)
restore_rc=0
e2e_in director ipvsadm -R <"$E2E_WORK/rules" || restore_rc=$?
echo "        ipvsadm -R of $(wc -l <"$E2E_WORK/rules") lines: exit $restore_rc in $(seconds_since "$start") s"
e2e_check "the restore succeeds" e2e_expect_eq "exit status" "$restore_rc" 0
e2e_check "every service is listed" e2e_expect_eq "services" "$(count_services)" "$((services + 1))"
e2e_in director ipvsadm -Sn | grep -v -- "-t $E2E_VIP:$port" >"$E2E_WORK/saved"
e2e_check "-Sn gives back what went in" cmp -s <(sort "$E2E_WORK/rules") <(sort "$E2E_WORK/saved")
start=$(date +%s%N)
e2e_ipvsadm -a -t 198.19.100.7:80 -r 198.18.30.1:8080 -m
echo "        one ipvsadm -a at $services services: $(seconds_since "$start") s end to end"
printf -- '-A -t 198.19.240.1:80\n-a -t 198.19.240.1:80 -r 198.18.30.2:8080 -m\n-D -t 198.19.240.2:80\n' >"$E2E_WORK/bad"
bad=$(e2e_in director ipvsadm -R <"$E2E_WORK/bad" 2>&1) || true
echo "        a restore ending in a bad line: $bad"
e2e_check "a failing restore applies none of its lines" \
  e2e_expect_eq "services" "$(count_services)" "$((services + 1))"

echo "== ipvs-healthd: $((2 * half)) real servers, then $half of them die at once"
e2e_bg rs1 120 "$E2E_WORK/listen-a.log" e2e_peer listen-range "$first_port" "$half"
e2e_bg rs1 120 "$E2E_WORK/listen-b.log" e2e_peer listen-range "$((first_port + half))" "$half"
listener_b=$E2E_LAST_PID
e2e_wait_until 100 grep -q listening "$E2E_WORK/listen-a.log" || e2e_die "the first listener did not start"
e2e_wait_until 100 grep -q listening "$E2E_WORK/listen-b.log" || e2e_die "the second listener did not start"
{
  echo "virtual_server $health_vip 80 {"
  echo "    delay_loop 1"
  echo "    lb_algo rr"
  echo "    lb_kind DR"
  echo "    protocol TCP"
  for ((p = first_port; p < first_port + 2 * half; p++)); do
    printf '    real_server %s %d {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 1\n            retry 0\n        }\n    }\n' "$rs1" "$p"
  done
  echo "}"
} >"$E2E_WORK/keepalived.conf"
# health_dests_are N: whether the health service has N real servers; each count seen is
# noted in seen.log.
health_dests_are() {
  local n
  n=$(e2e_in director ipvsadm -Ln -t "$health_vip:80" 2>/dev/null | grep -c Route)
  echo "$n" >>"$E2E_WORK/seen.log"
  [ "$n" = "$1" ]
}
start=$(date +%s%N)
e2e_bg director 120 "$E2E_WORK/healthd.log" ipvs-healthd --config "$E2E_WORK/keepalived.conf" \
  --socket "$IPVSD_SOCKET" --log-level warning
e2e_check "ipvs-healthd puts $((2 * half)) real servers in" \
  e2e_wait_until 200 health_dests_are "$((2 * half))"
echo "        $((2 * half)) real servers in the table $(seconds_since "$start") s after ipvs-healthd started"
kill "$listener_b"
start=$(date +%s%N)
: >"$E2E_WORK/seen.log"
e2e_check "the $half dead ones leave the table" e2e_wait_until 100 health_dests_are "$half"
echo "        $half real servers out $(seconds_since "$start") s after their listener died (delay_loop 1 s);" \
  "counts seen on the way: $(uniq "$E2E_WORK/seen.log" | tr '\n' ' ')"

hold_rc=0
wait "$hold_pid" || hold_rc=$?
e2e_check "the NAT connection kept its real server through all of it (120 exchanges)" \
  e2e_expect_eq "hold" "$hold_rc:$(sort | uniq -c <"$E2E_WORK/hold.log" | awk '{print $1 "x" $2}')" "0:120xrs1"
e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_finish
