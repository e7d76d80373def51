#!/usr/bin/env bash
# The table-full defences (core/table_defence.h): a spoofed random-source SYN flood four times
# larger than the connection table (1 million sources into 262 144 entries) arrives at a DR
# service while 10 long-lived streams run through it and real clients keep connecting, with
# drop_entry, drop_packet and secure_tcp on in their automatic mode. The table never holds more
# than its capacity, ipvsd's memory stays flat, the streams go on intact, the defences act and
# are counted; the share of real clients served during the flood is printed (the SYN proxy is
# what keeps it near 100 %: test_synproxy.sh).
# Usage: test_table_full.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init table-full "${1:?usage: test_table_full.sh BINDIR}"

readonly port=8080
readonly names_port=80
readonly capacity=262144
readonly flood=1000000
readonly flood_rate=70000
readonly clients=10
rs_all=(1 2 3)

e2e_topology 3
e2e_rs_setup dr "${rs_all[@]}"
for i in "${rs_all[@]}"; do
  ip -n "$(e2e_ns "rs$i")" route add blackhole 198.18.128.0/17
  e2e_bg "rs$i" 300 "$E2E_WORK/stream-server$i.log" e2e_peer stream-serve "$port"
done
e2e_start_servers "$names_port"
e2e_start_ipvsd --conn-max "$capacity" --sysctl drop_entry=1 --sysctl drop_packet=1 --sysctl secure_tcp=1 \
  --sysctl amemthresh=65536
for p in "$port" "$names_port"; do
  e2e_ipvsadm -A -t "$E2E_VIP:$p" -s rr
  for i in "${rs_all[@]}"; do e2e_ipvsadm -a -t "$E2E_VIP:$p" -r "$(e2e_rs_ip "$i"):$p" -g; done
done

# conns_held: ActConn + InActConn of ipvsadm -Ln, summed over the real servers.
conns_held() { e2e_in director ipvsadm -Ln | awk '$1 == "->" && $2 ~ /:/ {n += $5 + $6} END {print n + 0}'; }

e2e_bg client 120 "$E2E_WORK/streams.log" e2e_peer streams "$E2E_VIP" "$port" 10 45
streams_pid=$E2E_LAST_PID
for k in $(seq 1 100); do grep -q "^streams: connected" "$E2E_WORK/streams.log" && break; sleep 0.1; done
rss_before=$(e2e_ipvsd_rss_mb)

mac=$(ip -n "$(e2e_ns director)" -br link show d0 | awk '{print $3}')
e2e_bg client 60 "$E2E_WORK/flood.log" e2e_peer syn-flood c0 "$mac" "$E2E_VIP" "$port" "$flood" "$flood_rate" 11
flood_pid=$E2E_LAST_PID
# Real clients once the table has filled: each connection has 4 s, with the kernel's SYN
# retransmissions, to get an answer.
sleep 6
e2e_bg client 60 "$E2E_WORK/clients.log" e2e_peer tcp-names "$E2E_VIP" "$names_port" "$clients"
clients_pid=$E2E_LAST_PID
most=0
while kill -0 "$flood_pid" 2>/dev/null; do
  held=$(conns_held)
  [ "$held" -gt "$most" ] && most=$held
  sleep 1
done
wait "$clients_pid" || true
sed 's/^/        /' "$E2E_WORK/flood.log"
served=$(grep -vc '^-$' "$E2E_WORK/clients.log" || true)
rss_after=$(e2e_ipvsd_rss_mb)
echo "        most connections held: $most of $capacity; ipvsd RSS ${rss_before} MB before, ${rss_after} MB after"
echo "        real clients served during the flood: $served of $clients (no SYN proxy)"
e2e_check "the table never held more than its $capacity entries" [ "$most" -le "$capacity" ]
e2e_check "the flood filled the table to its defences' threshold" [ "$most" -ge $((capacity - 65536)) ]
e2e_check "ipvsd's memory stayed flat (within 16 MB)" [ "$rss_after" -le $((rss_before + 16)) ]

streams_rc=0
wait "$streams_pid" || streams_rc=$?
sed 's/^/        /' "$E2E_WORK/streams.log"
e2e_check "the 10 streams went on through the flood with their data intact" \
  e2e_expect_eq "streams" "$streams_rc:$(grep '^streams: ok=' "$E2E_WORK/streams.log" | cut -d' ' -f2-3)" "0:ok=10 broken=0"
e2e_check "ipvsd is still running" e2e_ipvsd_alive

e2e_stop_ipvsd
worker_lines=$(grep -o "worker [0-9]*: rx=.*" "$E2E_WORK/ipvsd.log")
echo "$worker_lines" | sed 's/^/        /'
sum_field() { echo "$worker_lines" | grep -o "$1=[0-9]*" | awk -F= '{n += $2} END {print n + 0}'; }
entries_dropped=$(sum_field entries_dropped)
packets_dropped=$(sum_field defence_drop_packet)
echo "        drop_entry removed $entries_dropped entries; drop_packet dropped $packets_dropped new connections' packets"
e2e_check "drop_entry removed half-open entries" [ "$entries_dropped" -gt 0 ]
e2e_check "drop_packet dropped new connections' packets" [ "$packets_dropped" -gt 0 ]
e2e_finish
