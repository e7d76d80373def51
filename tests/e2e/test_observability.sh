#!/usr/bin/env bash
# What ipvsd and ipvs-healthd show of themselves, read by real consumers (docs/e2e.md):
#   - /metrics against ipvsadm: after NAT traffic over TCP and UDP to three real servers, every
#     node_ipvs_* and ipvsd_service_* / ipvsd_backend_* counter equals `ipvsadm -Ln --stats
#     --exact` (conns, inpkts, outpkts, inbytes, outbytes; node_ipvs_*_total against the sum
#     over the services), node_ipvs_backend_weight / connections_active / inactive equal
#     `ipvsadm -Ln`'s Weight / ActiveConn / InActConn;
#   - `promtool check metrics` accepts ipvsd's and ipvs-healthd's output;
#   - malformed frames (e2e_peer garbage) make ipvsd_worker_dropped_packets_total grow;
#   - a real Prometheus server scrapes both (up == 1 for each job) and holds node_exporter's
#     backend series with ipvsadm's weights;
#   - headless Chromium renders the status page (its script run): the real-server rows
#     (address, weight, active, inactive, conns, inpkts) are ipvsadm's; with ipvs-healthd's
#     TCP_CHECK and rs2's server killed, rs2's row stays, with state "down", the others "up".
# A screenshot of the page is left in the build directory (status-page.png).
# Needs promtool and prometheus (Debian: prometheus) and chromium; without one it skips (4).
# Usage: test_observability.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init observability "${1:?usage: test_observability.sh BINDIR}"
[ -x "$E2E_BIN/ipvs-healthd" ] || e2e_die "$E2E_BIN/ipvs-healthd is not built"
# Every step needs its consumer: a missing one skips the whole test, never a part of it.
for tool in curl:curl promtool:prometheus prometheus:prometheus chromium:chromium; do
  command -v "${tool%%:*}" >/dev/null 2>&1 ||
    e2e_skip "missing tool: ${tool%%:*} (Debian package ${tool#*:}; 'make deps' installs it)"
done

readonly port=8080
readonly vip="$E2E_VIP:$port"
readonly metrics_url=http://127.0.0.1:9180/metrics
readonly healthd_url=http://127.0.0.1:9181/metrics
readonly prom_addr=127.0.0.1:9190
readonly weights=(0 1 2 3) # weights[I]: rsI's weight in the TCP service
rs2=$(e2e_rs_ip 2) # the one whose server dies
readonly rs2
# The screenshot goes next to the binaries' directory: the build directory, whether ctest
# (cwd build/tests/e2e) or a person (cwd anywhere) runs the test.
screenshot=$(cd "$E2E_BIN/.." && pwd)/status-page.png
readonly screenshot
declare -A SERVER_PID=()

# serve I: e2e_peer on real server I's port (TCP and UDP), answering rsI; waits until it listens.
serve() {
  local i=$1
  e2e_bg "rs$i" 600 "$E2E_WORK/server$i.log" e2e_peer serve "$port" "rs$i"
  SERVER_PID[$i]=$E2E_LAST_PID
  for _ in $(seq 1 50); do
    [ -n "$(ip netns exec "$(e2e_ns "rs$i")" ss -Hltn "sport = :$port" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  e2e_die "server rs$i:$port did not start"
}
unserve() {
  kill "${SERVER_PID[$1]}" 2>/dev/null || true
  e2e_wait_gone "${SERVER_PID[$1]}" 30 || true
}

# fetch URL FILE: GET in the director; prints "BYTES TIME_S" (curl's size_download, time_total).
fetch() { e2e_in director curl -sS --fail -o "$2" -w '%{size_download} %{time_total}\n' "$1"; }

# --- ipvsadm's view, as "FAMILY KEY VALUE" lines, KEY "PROTO VIP:PORT" or "... -> RIP:PORT".
# The same lines are made of /metrics below, so the two sort and compare as text.
ipvsadm_view() {
  local stats list
  stats=$(e2e_in director ipvsadm -Ln --stats --exact) || return 1
  list=$(e2e_in director ipvsadm -Ln) || return 1
  awk '
    BEGIN { split("connections incoming_packets outgoing_packets incoming_bytes outgoing_bytes", f, " ") }
    $1 == "TCP" || $1 == "UDP" {
      svc = $1 " " $2
      for (i = 1; i <= 5; i++) { print "ipvsd_service_" f[i] "_total " svc " " $(i + 2); sum[i] += $(i + 2) }
      next
    }
    $1 == "->" && $2 != "RemoteAddress:Port" {
      for (i = 1; i <= 5; i++) print "ipvsd_backend_" f[i] "_total " svc " -> " $2 " " $(i + 2)
    }
    END { for (i = 1; i <= 5; i++) print "node_ipvs_" f[i] "_total - " sum[i] }' <<<"$stats"
  awk '
    $1 == "TCP" || $1 == "UDP" { svc = $1 " " $2; next }
    $1 == "->" && $2 != "RemoteAddress:Port" {
      print "node_ipvs_backend_weight " svc " -> " $2 " " $4
      print "node_ipvs_backend_connections_active " svc " -> " $2 " " $5
      print "node_ipvs_backend_connections_inactive " svc " -> " $2 " " $6
    }' <<<"$list"
}

# metrics_view FILE: the families ipvsadm_view makes, read from a /metrics text.
metrics_view() {
  awk '
    function label(s, k) {
      if (match(s, "[{,]" k "=\"[^\"]*\"")) return substr(s, RSTART + length(k) + 3, RLENGTH - length(k) - 4)
      return ""
    }
    /^#/ || NF == 0 { next }
    {
      name = $1; sub(/\{.*/, "", name)
      if (name !~ /^(node_ipvs_|ipvsd_service_|ipvsd_backend_)/ || name ~ /_per_second$|_persistent$/) next
      if (name ~ /^node_ipvs_[a-z_]*_total$/) { print name " - " $NF; next }
      key = label($0, "proto") " " label($0, "local_address") ":" label($0, "local_port")
      if (name ~ /^(node_ipvs_backend_|ipvsd_backend_)/)
        key = key " -> " label($0, "remote_address") ":" label($0, "remote_port")
      print name " " key " " $NF
    }' "$1"
}

# sum_family FILE FAMILY: the sum of a family's samples.
sum_family() { awk -v f="$2" '$1 == f || index($1, f "{") == 1 { s += $NF } END { printf "%d\n", s }' "$1"; }

# compare_views WHAT GOT_FILE WANT_FILE: for e2e_check; the differing lines when they differ.
compare_views() {
  if cmp -s "$2" "$3"; then return 0; fi
  echo "        $1 differs (< /metrics, > ipvsadm):"
  diff "$2" "$3" | grep '^[<>]' | head -n 30 | sed 's/^/          /'
  return 1
}

e2e_topology 3
e2e_director_vip
e2e_rs_setup nat 1 2 3
for i in 1 2 3; do serve "$i"; done
e2e_start_ipvsd
e2e_ipvsadm -A -t "$vip" -s wrr
e2e_ipvsadm -A -u "$vip" -s rr
for i in 1 2 3; do
  e2e_ipvsadm -a -t "$vip" -r "$(e2e_rs_ip "$i"):$port" -m -w "${weights[$i]}"
  e2e_ipvsadm -a -u "$vip" -r "$(e2e_rs_ip "$i"):$port" -m -w 5
done

# --- 1. /metrics against ipvsadm
echo "== traffic: 12 TCP connections, 9 UDP exchanges (a socket each) through the VIP"
tcp_names=$(e2e_in client e2e_peer tcp-names "$E2E_VIP" "$port" 12 | e2e_count_names || true)
udp_names=$(e2e_in client e2e_peer udp-names "$E2E_VIP" "$port" 9 --socket-each | e2e_count_names || true)
e2e_check "TCP answered by weight: $tcp_names" e2e_expect_eq "TCP answers" "$tcp_names" "rs1=2 rs2=4 rs3=6"
e2e_check "UDP answered round-robin: $udp_names" e2e_expect_eq "UDP answers" "$udp_names" "rs1=3 rs2=3 rs3=3"

# The last FINs may still be on their way: ipvsadm's view is taken before and after the
# scrape, and the comparison made once both agree (the table is quiet).
want=$E2E_WORK/want.txt got=$E2E_WORK/got.txt
settled=0
for attempt in 1 2 3 4 5; do
  ipvsadm_view | sort >"$want.before"
  read -r bytes secs < <(fetch "$metrics_url" "$E2E_WORK/metrics.txt") || e2e_die "GET $metrics_url failed"
  ipvsadm_view | sort >"$want"
  if cmp -s "$want.before" "$want"; then settled=1 && break; fi
  sleep 0.5
done
e2e_check "ipvsadm's counters settled (attempt $attempt)" e2e_expect_eq "settled" "$settled" 1
metrics_view "$E2E_WORK/metrics.txt" | sort >"$got"
echo "   GET /metrics: $bytes bytes in $secs s, $(grep -c '^# TYPE' "$E2E_WORK/metrics.txt") families," \
  "$(grep -vc '^#' "$E2E_WORK/metrics.txt") samples"
e2e_ipvsadm -Ln --stats --exact
grep -E '^(node_ipvs_backend_weight|ipvsd_backend_connections_total)\{' "$E2E_WORK/metrics.txt" | sed 's/^/   /'
e2e_check "every ipvsadm line has its sample ($(wc -l <"$want") lines: 2 services, 6 servers, totals)" \
  e2e_expect_eq "lines" "$(wc -l <"$got")" "$(wc -l <"$want")"
for family in node_ipvs_connections_total node_ipvs_incoming_packets_total node_ipvs_outgoing_packets_total \
  node_ipvs_incoming_bytes_total node_ipvs_outgoing_bytes_total \
  node_ipvs_backend_weight node_ipvs_backend_connections_active node_ipvs_backend_connections_inactive \
  ipvsd_service_connections_total ipvsd_service_incoming_packets_total ipvsd_service_outgoing_packets_total \
  ipvsd_service_incoming_bytes_total ipvsd_service_outgoing_bytes_total \
  ipvsd_backend_connections_total ipvsd_backend_incoming_packets_total ipvsd_backend_outgoing_packets_total \
  ipvsd_backend_incoming_bytes_total ipvsd_backend_outgoing_bytes_total; do
  grep "^$family " "$got" >"$got.f" || true
  grep "^$family " "$want" >"$want.f" || true
  [ -s "$want.f" ] || e2e_die "ipvsadm gave nothing for $family"
  e2e_check "$family = ipvsadm ($(wc -l <"$want.f") series)" compare_views "$family" "$got.f" "$want.f"
done
e2e_check "labels as node_exporter's: proto, local_address, local_port, remote_address, remote_port, local_mark" \
  grep -q "^node_ipvs_backend_weight{local_address=\"$E2E_VIP\",local_port=\"$port\",remote_address=\"$rs2\",remote_port=\"$port\",proto=\"TCP\",local_mark=\"\"} 2$" \
  "$E2E_WORK/metrics.txt"
e2e_check "traffic was counted (TCP connections = 12)" \
  grep -q "^ipvsd_service_connections_total TCP $vip 12$" "$got"

# --- 2. promtool check metrics
promtool_check() {
  local out rc=0
  out=$(promtool check metrics <"$1" 2>&1) || rc=$?
  [ -n "$out" ] && sed 's/^/        promtool: /' <<<"$out" | head -n 20
  return "$rc"
}
e2e_check "promtool check metrics accepts ipvsd's /metrics" promtool_check "$E2E_WORK/metrics.txt"

# --- 3. drops counted
drops_before=$(sum_family "$E2E_WORK/metrics.txt" ipvsd_worker_dropped_packets_total)
d0_mac=$(ip -n "$(e2e_ns director)" link show d0 | awk '/link\/ether/ {print $2}')
echo "== 5000 malformed frames from the client side to d0 ($d0_mac), aimed at $vip"
e2e_check "garbage sent" e2e_in client e2e_peer garbage c0 "$d0_mac" "$E2E_CLIENT" "$E2E_VIP" "$port" 5000 7
drops_grew() {
  fetch "$metrics_url" "$E2E_WORK/metrics-drops.txt" >/dev/null || return 1
  drops_after=$(sum_family "$E2E_WORK/metrics-drops.txt" ipvsd_worker_dropped_packets_total)
  [ "$drops_after" -gt "$drops_before" ]
}
drops_after=$drops_before
e2e_check "ipvsd_worker_dropped_packets_total grew" e2e_wait_until 30 drops_grew
echo "   dropped frames: $drops_before before, $drops_after after; by reason (sum over workers):"
awk '/^ipvsd_worker_dropped_packets_total\{/ { r = $1; sub(/.*reason="/, "", r); sub(/".*/, "", r); s[r] += $NF }
     END { for (r in s) if (s[r] > 0) printf "     %-28s %d\n", r, s[r] }' "$E2E_WORK/metrics-drops.txt" | sort -k2 -nr
e2e_check "ipvsd survived the garbage" e2e_ipvsd_alive

# --- ipvs-healthd: TCP_CHECK on the TCP service's servers (it takes the service over as it is)
conf=$E2E_WORK/keepalived.conf
{
  echo "virtual_server $E2E_VIP $port {"
  echo "    delay_loop 1"
  echo "    lb_algo wrr"
  echo "    lb_kind NAT"
  echo "    protocol TCP"
  for i in 1 2 3; do
    echo "    real_server $(e2e_rs_ip "$i") $port {"
    echo "        weight ${weights[$i]}"
    echo "        TCP_CHECK {"
    echo "            connect_timeout 1"
    echo "            retry 0"
    echo "        }"
    echo "    }"
  done
  echo "}"
} >"$conf"
e2e_log "start: ipvs-healthd --config keepalived.conf --metrics 127.0.0.1:9181 (in the director)"
e2e_bg director 300 "$E2E_WORK/healthd.log" ipvs-healthd --config "$conf" --socket "$IPVSD_SOCKET" \
  --metrics 127.0.0.1:9181 --log-level info
healthd_up() {
  fetch "$healthd_url" "$E2E_WORK/healthd-metrics.txt" >/dev/null 2>&1 &&
    [ "$(grep -c '^ipvs_healthd_real_server_up{.*} 1$' "$E2E_WORK/healthd-metrics.txt")" = 3 ]
}
e2e_check "ipvs-healthd serves /metrics, its 3 real servers up" e2e_wait_until 50 healthd_up
read -r bytes secs < <(fetch "$healthd_url" "$E2E_WORK/healthd-metrics.txt") || e2e_die "GET $healthd_url failed"
echo "   GET ipvs-healthd /metrics: $bytes bytes in $secs s, $(grep -c '^# TYPE' "$E2E_WORK/healthd-metrics.txt") families"
e2e_check "promtool check metrics accepts ipvs-healthd's /metrics" promtool_check "$E2E_WORK/healthd-metrics.txt"

# --- 4. a real Prometheus scraping both
mkdir -p "$E2E_WORK/prometheus"
cat >"$E2E_WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ipvsd
    static_configs:
      - targets: ['127.0.0.1:9180']
  - job_name: ipvs-healthd
    static_configs:
      - targets: ['127.0.0.1:9181']
YAML
e2e_log "start: prometheus --web.listen-address $prom_addr, scrape_interval 1s (in the director)"
prom_start=$(date +%s.%N)
e2e_bg director 120 "$E2E_WORK/prometheus.log" prometheus --config.file="$E2E_WORK/prometheus.yml" \
  --storage.tsdb.path="$E2E_WORK/prometheus" --web.listen-address="$prom_addr" --log.level=warn
prom_pid=$E2E_LAST_PID
promql() {
  e2e_in director curl -sS --fail -G --data-urlencode "query=$1" "http://$prom_addr/api/v1/query"
}
prom_up() {
  local got
  got=$(promql up 2>/dev/null | jq -r '.data.result[] | "\(.metric.job)=\(.value[1])"' 2>/dev/null | sort | tr '\n' ' ')
  [ "$got" = "ipvs-healthd=1 ipvsd=1 " ]
}
e2e_check "Prometheus: up == 1 for the jobs ipvsd and ipvs-healthd (within 30 s)" e2e_wait_until 300 prom_up
echo "   Prometheus saw both targets up $(awk -v a="$prom_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after it started"
promql up | jq -r '.data.result[] | "   up{job=\"\(.metric.job)\",instance=\"\(.metric.instance)\"} \(.value[1])"' || true

# node_ipvs_backend_weight as Prometheus holds it: the label names (an empty local_mark is no
# label to Prometheus) and "PROTO VIP:PORT -> RIP:PORT WEIGHT" per series.
prom_weights() {
  promql node_ipvs_backend_weight | jq -r '.data.result[] | .metric as $m |
    "\($m | keys | join(",")) \($m.proto) \($m.local_address):\($m.local_port) -> \($m.remote_address):\($m.remote_port) \(.value[1])"' |
    sort
}
want_weights=$(ipvsadm_view | awk '$1 == "node_ipvs_backend_weight" {
  print "__name__,instance,job,local_address,local_port,proto,remote_address,remote_port", $2, $3, $4, $5, $6 }' | sort)
prom_weights_ok() { [ "$(prom_weights 2>/dev/null)" = "$want_weights" ]; }
e2e_check "Prometheus: node_ipvs_backend_weight series with node_exporter's labels and ipvsadm's weights" \
  e2e_wait_until 100 prom_weights_ok
prom_weights | sed 's/^/   /'
[ "$(prom_weights)" = "$want_weights" ] || { echo "   want:"; sed 's/^/   /' <<<"$want_weights"; }
series=$(promql 'count({job="ipvsd"})' | jq -r '.data.result[0].value[1]' || echo "?")
echo "   Prometheus holds $series series of the job ipvsd"

# --- 5. the status page in headless Chromium
# chromium_run ARGS...: headless Chromium in the director, with a profile of its own.
chromium_run() {
  E2E_CMD_TIMEOUT=60 e2e_in director chromium --headless --no-sandbox --disable-gpu \
    --user-data-dir="$E2E_WORK/chromium" --no-first-run --disable-extensions "$@" 2>>"$E2E_WORK/chromium.log"
}
# dom_rows_in_order FILE: "SERVICE|ADDRESS|state|weight|active|inactive|conns|inpkts" per
# real-server row, in the page's order; dom_rows FILE: sorted.
dom_rows() { dom_rows_in_order "$1" | sort; }
dom_rows_in_order() {
  tr '\n' ' ' <"$1" | sed 's/<table /\n&/g; s/<tr /\n&/g' | awk '
    function cell(s, k,   v) {
      if (!match(s, "<td class=\"" k "\"[^>]*>[^<]*</td>")) return "?"
      v = substr(s, RSTART, RLENGTH); sub(/^<td[^>]*>/, "", v); sub(/<\/td>$/, "", v); return v
    }
    /^<table / { svc = ""; if (match($0, /^<table class="service" data-service="[^"]*"/)) {
        svc = substr($0, RSTART, RLENGTH); sub(/.*data-service="/, "", svc); sub(/"$/, "", svc) } }
    /^<tr class="rs"/ && svc != "" {
      print svc "|" cell($0, "address") "|" cell($0, "state") "|" cell($0, "weight") "|" cell($0, "active") "|" \
        cell($0, "inactive") "|" cell($0, "conns") "|" cell($0, "inpkts")
    }'
}
# ipvsadm_rows: the same rows from ipvsadm (state up: no weight is 0).
ipvsadm_rows() {
  local stats list
  stats=$(e2e_in director ipvsadm -Ln --stats --exact) || return 1
  list=$(e2e_in director ipvsadm -Ln) || return 1
  {
    awk '$1 == "TCP" || $1 == "UDP" { svc = $1 " " $2; next }
         $1 == "->" && $2 != "RemoteAddress:Port" { c[svc "|" $2] = $3 "|" $4 }
         END { for (k in c) print "S " k "|" c[k] }' <<<"$stats"
    awk '$1 == "TCP" || $1 == "UDP" { svc = $1 " " $2; next }
         $1 == "->" && $2 != "RemoteAddress:Port" { print "L " svc "|" $2 "|up|" $4 "|" $5 "|" $6 }' <<<"$list"
  } | awk '$1 == "S" { sub(/^S /, ""); split($0, p, "|"); s[p[1] "|" p[2]] = p[3] "|" p[4]; next }
           { sub(/^L /, ""); split($0, p, "|"); l[p[1] "|" p[2]] = $0 }
           END { for (k in l) print l[k] "|" s[k] }' | sort
}
# page_matches FILE [DOWN_RS]: for e2e_check; loads the page into FILE and compares its rows
# with ipvsadm's (taken before and after the page, and the page loaded again, at most three
# times, until the two agree: connections the garbage made may expire meanwhile). DOWN_RS
# (ADDR:PORT, out of the TCP service's table) must have its row there with state down (its
# numbers are not ipvsadm's to tell).
page_matches() {
  local got want before _
  for _ in 1 2 3; do
    before=$(ipvsadm_rows)
    load_page "$1" || return 1
    want=$(ipvsadm_rows)
    [ "$before" = "$want" ] && break
  done
  got=$(dom_rows "$1")
  if [ -n "${2:-}" ]; then
    want=$(printf '%s\n%s\n' "$want" "TCP $vip|$2|down" | sort)
    got=$(awk -F'|' -v k="TCP $vip|$2" '$1 "|" $2 == k { print $1 "|" $2 "|" $3; next } { print }' <<<"$got" | sort)
  fi
  [ "$got" = "$want" ] && return 0
  echo "        page rows (SERVICE|ADDRESS|state|weight|active|inactive|conns|inpkts):"
  sed 's/^/          got  /' <<<"$got"
  sed 's/^/          want /' <<<"$want"
  return 1
}
# load_page FILE: the DOM after the page's script refreshed it (first refresh at 2 s).
load_page() {
  local t0 t1
  t0=$(date +%s.%N)
  chromium_run --virtual-time-budget=3000 --dump-dom "http://127.0.0.1:9180/" >"$1" || return 1
  t1=$(date +%s.%N)
  PAGE_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}
# refreshed FILE: the script re-rendered the page (#updated in local time, not the server's UTC).
refreshed() {
  grep -o '<span id="updated"[^>]*>[^<]*</span>' "$1" | grep -qv 'UTC\|refresh failed'
}

PAGE_SECS='?'
e2e_check "page (Chromium): 6 real-server rows, as ipvsadm (address, weight, active, inactive, conns, inpkts), all up" \
  page_matches "$E2E_WORK/page1.html"
echo "   chromium --dump-dom: $(wc -c <"$E2E_WORK/page1.html") bytes of DOM in $PAGE_SECS s;" \
  "$(grep -o '<span id="updated"[^>]*>[^<]*</span>' "$E2E_WORK/page1.html" | sed 's/<[^>]*>//g')"
e2e_check "the page's script ran (refreshed from ?format=json)" refreshed "$E2E_WORK/page1.html"
# The contract: services in the order they were added, servers in ipvsadm's order, i.e. the
# daemon's (ipvsadm -Ln --nosort; plain -Ln sorts).
nosort_order=$(e2e_in director ipvsadm -Ln --nosort |
  awk '$1 == "TCP" || $1 == "UDP" { svc = $1 " " $2; next } $1 == "->" && $2 != "RemoteAddress:Port" { print svc "|" $2 }')
e2e_check "page: services and rows in the daemon's order (ipvsadm -Ln --nosort)" e2e_expect_eq "order" \
  "$(dom_rows_in_order "$E2E_WORK/page1.html" | cut -d'|' -f1,2 | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$nosort_order")"
dom_rows "$E2E_WORK/page1.html" | sed 's/^/   /'

echo "== kill rs2's server; ipvs-healthd (delay_loop 1, retry 0) must take rs2 out"
t0=$(date +%s.%N)
unserve 2
rs2_gone() { ! e2e_in director ipvsadm -Ln -t "$vip" | grep -q " $rs2:$port "; }
e2e_check "healthd removed rs2 from the TCP service" e2e_wait_until 100 rs2_gone
echo "   rs2 left the table $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after its server died"
e2e_ipvsadm -Ln -t "$vip"
healthd_rs2_down() {
  fetch "$healthd_url" "$E2E_WORK/healthd-metrics.txt" >/dev/null &&
    grep -q "^ipvs_healthd_real_server_up{.*real_server=\"$rs2:$port\"} 0$" \
      "$E2E_WORK/healthd-metrics.txt"
}
e2e_check "ipvs-healthd's /metrics: rs2 down" e2e_wait_until 20 healthd_rs2_down
grep '^ipvs_healthd_real_server_up' "$E2E_WORK/healthd-metrics.txt" | sed 's/^/   /'
e2e_check "page (Chromium): rs2's row stays in the TCP service, state down; the others as ipvsadm, up" \
  page_matches "$E2E_WORK/page2.html" "$rs2:$port"
e2e_check "the page's script ran" refreshed "$E2E_WORK/page2.html"
dom_rows "$E2E_WORK/page2.html" | sed 's/^/   /'

rm -f "$screenshot"
chromium_run --virtual-time-budget=3000 --window-size=1280,1600 --screenshot="$screenshot" \
  "http://127.0.0.1:9180/" >/dev/null || true
png_ok() { [ -s "$screenshot" ] && [ "$(head -c 8 "$screenshot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
e2e_check "screenshot saved (PNG)" png_ok
[ -s "$screenshot" ] && echo "   screenshot: $screenshot ($(wc -c <"$screenshot") bytes, 1280x1600)"

# --- the end: Prometheus stopped (the trap would, but it is ours to stop)
kill "$prom_pid" 2>/dev/null || true
e2e_wait_gone "$prom_pid" 50 || true
e2e_check "ipvsd still running" e2e_ipvsd_alive
if [ "$E2E_FAILS" != 0 ]; then
  for log in healthd.log prometheus.log chromium.log; do
    [ -s "$E2E_WORK/$log" ] || continue
    echo "--- last lines of $log"
    grep -v 'dbus' "$E2E_WORK/$log" | tail -n 15
  done
fi
e2e_finish
