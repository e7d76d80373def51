#!/usr/bin/env bash
# Scale and a SYN flood: while 10 long-lived TCP streams run through a DR service, 1.2 million
# SYNs from distinct sources in 198.18.128.0/17 arrive at the VIP (paced, bounded in count).
# ipvsd must hold the flood's connections (at least 1 million, in SYN_RECV for 60 s as the
# kernel's table says) and every stream must go on with its data intact.
# Usage: test_syn_flood.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init syn-flood "${1:?usage: test_syn_flood.sh BINDIR}"

readonly port=8080
readonly flood=1200000
readonly flood_rate=70000
readonly held_at_least=1000000
rs_all=(1 2 3)

e2e_topology 3
e2e_rs_setup dr "${rs_all[@]}"
for i in "${rs_all[@]}"; do
  # The real servers' answers to the flood's made-up sources go nowhere.
  ip -n "$(e2e_ns "rs$i")" route add blackhole 198.18.128.0/17
  e2e_bg "rs$i" 300 "$E2E_WORK/stream-server$i.log" e2e_peer stream-serve "$port"
done
e2e_start_ipvsd --workers 1 --conn-max 2097152
e2e_ipvsadm -A -t "$E2E_VIP:$port" -s rr
for i in "${rs_all[@]}"; do e2e_ipvsadm -a -t "$E2E_VIP:$port" -r "$(e2e_rs_ip "$i"):$port" -g; done

# inactive_conns: the InActConn column of ipvsadm -Ln, summed over the real servers.
inactive_conns() { e2e_in director ipvsadm -Ln | awk '$1 == "->" && $2 ~ /:/ {n += $6} END {print n + 0}'; }

e2e_bg client 120 "$E2E_WORK/streams.log" e2e_peer streams "$E2E_VIP" "$port" 10 40
streams_pid=$E2E_LAST_PID
for k in $(seq 1 100); do grep -q "^streams: connected" "$E2E_WORK/streams.log" && break; sleep 0.1; done
echo "        ipvsd RSS before the flood: $(e2e_ipvsd_rss_mb) MB"

mac=$(ip -n "$(e2e_ns director)" -br link show d0 | awk '{print $3}')
started=$(date +%s%3N)
flood_out=$(E2E_CMD_TIMEOUT=60 e2e_in client e2e_peer syn-flood c0 "$mac" "$E2E_VIP" "$port" "$flood" "$flood_rate" 7 || true)
echo "        $flood_out"
echo "        flood took $(($(date +%s%3N) - started)) ms"
sleep 1
held=$(inactive_conns)
echo "        connections held: $held; ipvsd RSS: $(e2e_ipvsd_rss_mb) MB"
e2e_check "ipvsd holds at least $held_at_least of the flood's connections" [ "$held" -ge "$held_at_least" ]

streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/streams.log"
e2e_check "the 10 streams went on through the flood with their data intact" \
  e2e_expect_eq "streams" "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams.log" | cut -d' ' -f2-3)" "0:ok=10 broken=0"
e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_finish
