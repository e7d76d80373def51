#!/usr/bin/env bash
# The SYN proxy (docs/synproxy.md) on a NAT service, two workers on veths with several queues:
#   - real TCP clients (Linux on both ends: timestamps, SACK and window scaling on, as by
#     default) get through a --synproxy service: names from the real servers, and an echoed
#     bulk transfer checked byte for byte both ways; ipvsadm -Lnc lists the connections and
#     ipvsadm -S shows --synproxy;
#   - a spoofed SYN flood of a million sources (bounded count, from 198.18.128.0/17), four
#     times what the 262 144-entry table holds, leaves the table nearly empty (cookies keep no
#     state) and ipvsd's memory flat, while at least 99 % of the real clients' connections
#     made during the flood succeed, under the default limits on the SYN-ACKs
#     (test_table_full.sh measures the share without the SYN proxy);
#   - ipvsd --sysctl synproxy=1 proxies a NAT service without the flag;
#   - an upgrade (SIGUSR2) keeps the proxied connections going;
#   - --synproxy on a service with a direct-routing real server is refused.
# Usage: test_synproxy.sh BINDIR [afxdp|afpacket]
# Two workers on veths with four queues (test_multiqueue.sh's set-up), unless told otherwise.
E2E_QUEUES=${E2E_QUEUES:-4}
source "$(dirname "$0")/netns_lib.sh"
E2E_WORKERS=2
E2E_IO=${2:-afxdp}
e2e_init synproxy "${1:?usage: test_synproxy.sh BINDIR [afxdp|afpacket]}"

readonly name_port=8080
readonly echo_port=9000
readonly capacity=262144
readonly flood=1000000
readonly flood_rate=60000
readonly clients_during_flood=300
readonly metrics=127.0.0.1:9180
rs_all=(1 2)

e2e_topology 2
e2e_rs_setup nat "${rs_all[@]}"
e2e_start_servers "$name_port"
for i in "${rs_all[@]}"; do
  e2e_bg "rs$i" 300 "$E2E_WORK/echo$i.log" e2e_peer stream-serve "$echo_port"
done
for role in client rs1; do
  e2e_log "$role: tcp_timestamps=$(e2e_in "$role" sysctl -n net.ipv4.tcp_timestamps)" \
    "tcp_sack=$(e2e_in "$role" sysctl -n net.ipv4.tcp_sack) tcp_window_scaling=$(e2e_in "$role" sysctl -n net.ipv4.tcp_window_scaling)"
done

start() { e2e_start_ipvsd --metrics "$metrics" --conn-max "$capacity" "$@"; }
# metric NAME [REASON]: the sum over the workers of an ipvsd_worker_* family (of its samples
# with that reason label).
metric() {
  e2e_in director curl -sS --fail "http://$metrics/metrics" |
    awk -v n="$1" -v r="${2:-}" 'index($0, n"{") == 1 && (r == "" || index($0, "reason=\""r"\"")) {s += $NF} END {print s + 0}'
}
lnc_lists_streams() { e2e_in director ipvsadm -Lnc | grep -c "ESTABLISHED .*:$echo_port " | grep -qx 4; }
conns() { e2e_in director ipvsadm -Lnc | awk 'NR > 2' | wc -l; }
names_ok() { grep -c '^rs[0-9]' "$1" || true; }

start
e2e_ipvsadm -A -t "$E2E_VIP:$name_port" -s rr --synproxy
e2e_ipvsadm -A -t "$E2E_VIP:$echo_port" -s rr --synproxy
for i in "${rs_all[@]}"; do
  e2e_ipvsadm -a -t "$E2E_VIP:$name_port" -r "$(e2e_rs_ip "$i"):$name_port" -m
  e2e_ipvsadm -a -t "$E2E_VIP:$echo_port" -r "$(e2e_rs_ip "$i"):$echo_port" -m
done
e2e_ipvsadm -Sn | sed 's/^/        /'
e2e_check "ipvsadm -S shows --synproxy on both services" \
  e2e_expect_eq "synproxy lines" "$(e2e_in director ipvsadm -Sn | grep -c -- '-A -t .* --synproxy$')" 2
e2e_check "ipvsadm -Ln does not show it" \
  e2e_expect_eq "-Ln mentions" "$(e2e_in director ipvsadm -Ln | grep -c synproxy || true)" 0

e2e_in client e2e_peer tcp-names "$E2E_VIP" "$name_port" 20 > "$E2E_WORK/names.txt" || true
e2e_check "20 connections answered by the real servers, in turn" \
  e2e_expect_eq "names" "$(names_ok "$E2E_WORK/names.txt"):$(sort "$E2E_WORK/names.txt" | uniq -c | awk '{print $1}' | xargs)" "20:10 10"

e2e_bg client 60 "$E2E_WORK/streams.log" e2e_peer streams "$E2E_VIP" "$echo_port" 4 3
streams_pid=$E2E_LAST_PID
for k in $(seq 1 50); do grep -q "^streams: connected" "$E2E_WORK/streams.log" && break; sleep 0.1; done
e2e_in director ipvsadm -Lnc | sed 's/^/        /'
e2e_check "ipvsadm -Lnc lists the 4 streams, established" lnc_lists_streams
streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/streams.log"
e2e_check "4 echoed streams went through with their data intact" \
  e2e_expect_eq "streams" "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams.log" | cut -d' ' -f2-3)" "0:ok=4 broken=0"
bulk_rc=0
e2e_in client e2e_peer bulk "$E2E_VIP" "$echo_port" 64 > "$E2E_WORK/bulk.log" 2>&1 || bulk_rc=$?
sed 's/^/        /' "$E2E_WORK/bulk.log"
e2e_check "64 MB echoed through the SYN proxy, byte for byte both ways" \
  e2e_expect_eq "bulk" "$bulk_rc:$(grep -c '^bulk: bytes=67108864 ' "$E2E_WORK/bulk.log")" "0:1"
echo "        SYN cookies sent: $(metric ipvsd_worker_syn_cookies_sent_total)," \
  "connections opened: $(metric ipvsd_worker_synproxy_opened_total)"

# The flood, with real clients connecting meanwhile.
before_cookies=$(metric ipvsd_worker_syn_cookies_sent_total)
before_opened=$(metric ipvsd_worker_synproxy_opened_total)
e2e_bg client 120 "$E2E_WORK/flood-names.txt" e2e_peer tcp-names "$E2E_VIP" "$name_port" "$clients_during_flood"
names_pid=$E2E_LAST_PID
rss_before=$(e2e_ipvsd_rss_mb)
mac=$(ip -n "$(e2e_ns director)" -br link show d0 | awk '{print $3}')
started=$(date +%s%3N)
flood_out=$(E2E_CMD_TIMEOUT=60 e2e_in client e2e_peer syn-flood c0 "$mac" "$E2E_VIP" "$name_port" "$flood" "$flood_rate" 11 || true)
flood_ms=$(($(date +%s%3N) - started))
held=$(conns)
echo "        $flood_out; took $flood_ms ms"
wait "$names_pid" || true
ok=$(names_ok "$E2E_WORK/flood-names.txt")
cookies=$(($(metric ipvsd_worker_syn_cookies_sent_total) - before_cookies))
opened=$(($(metric ipvsd_worker_synproxy_opened_total) - before_opened))
rss_after=$(e2e_ipvsd_rss_mb)
echo "        connections in the table right after the flood: $held (table: $capacity entries);" \
  "ipvsd RSS ${rss_before} MB before, ${rss_after} MB after"
echo "        SYN cookies sent during the flood: $cookies; connections opened: $opened;" \
  "reply_rate_limited: $(metric ipvsd_worker_dropped_packets_total reply_rate_limited);" \
  "syn_cookie_invalid: $(metric ipvsd_worker_dropped_packets_total syn_cookie_invalid)"
echo "        real clients during the flood: $ok of $clients_during_flood connections succeeded"
e2e_check "the flood left the table nearly empty (at most 2 % of it)" [ "$held" -le $((capacity / 50)) ]
e2e_check "ipvsd's memory stayed flat (within 16 MB)" [ "$rss_after" -le $((rss_before + 16)) ]
e2e_check "the flood's SYNs were answered with cookies (at least 90 % of them)" [ "$cookies" -ge $((flood * 9 / 10)) ]
e2e_check "at least 99 % of the real clients' connections succeeded during the flood" \
  [ $((ok * 100)) -ge $((clients_during_flood * 99)) ]
e2e_check "ipvsd is still running" e2e_ipvsd_alive

# --synproxy needs NAT: a direct-routing real server is refused, either way round.
e2e_ipvsadm -A -t "$E2E_VIP:81" -s rr --synproxy
refused=$(e2e_in director ipvsadm -a -t "$E2E_VIP:81" -r "$(e2e_rs_ip 1):81" -g 2>&1 || echo "rc=$?")
echo "$refused" | sed 's/^/        /'
e2e_check "a DR real server on a --synproxy service is refused" \
  e2e_expect_eq "add DR" "$(echo "$refused" | tail -n 1)" "rc=255"
e2e_ipvsadm -A -t "$E2E_VIP:82" -s rr
e2e_ipvsadm -a -t "$E2E_VIP:82" -r "$(e2e_rs_ip 1):82" -g
refused=$(e2e_in director ipvsadm -E -t "$E2E_VIP:82" -s rr --synproxy 2>&1 || echo "rc=$?")
e2e_check "--synproxy on a service with a DR real server is refused" \
  e2e_expect_eq "edit" "$(echo "$refused" | tail -n 1)" "rc=255"
e2e_check "ipvsadm says it as for any refused operation" grep -q "^Invalid operation" <<<"$refused"
refused=$(e2e_in director ipvsadm -A -u "$E2E_VIP:53" --synproxy 2>&1 || echo "rc=$?")
e2e_check "--synproxy on a UDP service is refused" e2e_expect_eq "udp" "$(echo "$refused" | tail -n 1)" "rc=255"

# The global switch: no per-service flag, every NAT TCP service proxied.
e2e_stop_ipvsd
start --sysctl synproxy=1
e2e_ipvsadm -A -t "$E2E_VIP:$name_port" -s rr
e2e_ipvsadm -A -t "$E2E_VIP:$echo_port" -s rr
for i in "${rs_all[@]}"; do
  e2e_ipvsadm -a -t "$E2E_VIP:$name_port" -r "$(e2e_rs_ip "$i"):$name_port" -m
  e2e_ipvsadm -a -t "$E2E_VIP:$echo_port" -r "$(e2e_rs_ip "$i"):$echo_port" -m
done
e2e_in client e2e_peer tcp-names "$E2E_VIP" "$name_port" 10 > "$E2E_WORK/names-sysctl.txt" || true
e2e_check "--sysctl synproxy=1: 10 connections answered, each opened by a cookie" \
  e2e_expect_eq "names:cookies:opened" \
  "$(names_ok "$E2E_WORK/names-sysctl.txt"):$(metric ipvsd_worker_syn_cookies_sent_total):$(metric ipvsd_worker_synproxy_opened_total)" \
  "10:10:10"
e2e_check "ipvsd is still running" e2e_ipvsd_alive

# Last, as the new ipvsd is not this script's child: an upgrade keeps the SYN proxy's
# connections, whose sequence and timestamp translation comes back from the connection store.
e2e_bg client 60 "$E2E_WORK/streams-upgrade.log" e2e_peer streams "$E2E_VIP" "$echo_port" 4 6
streams_pid=$E2E_LAST_PID
e2e_check "4 streams connected through the SYN proxy" \
  e2e_wait_until 100 grep -qs "^streams: connected" "$E2E_WORK/streams-upgrade.log"
sleep 1
running=$(pgrep -P "$E2E_IPVSD_PID" -x ipvsd)
kill -USR2 "$running"
e2e_check "SIGUSR2: a new ipvsd took over" \
  e2e_wait_until 100 grep -qs "takeover: ipvsd .* (pid $running) handed over" "$E2E_WORK/ipvsd.log"
streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/streams-upgrade.log"
e2e_check "the 4 streams went on through the new ipvsd's SYN proxy, intact" \
  e2e_expect_eq "streams" "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams-upgrade.log" | cut -d' ' -f2-3)" \
  "0:ok=4 broken=0"
e2e_finish
