#!/usr/bin/env bash
# bench/compare.sh BINDIR — ipvsd side by side with what a user would pick instead, in one
# network-namespace topology, in one run (`make bench-compare`; docs/performance.md).
#
#   paths:   direct   no load balancer: the client talks to rs1 through the director's routing
#            nft      nftables `dnat to numgen inc mod 3 map {...}` in the director
#            haproxy  HAProxy, mode tcp, balance roundrobin, nbthread 1 (TCP only)
#            xdp-nat  ipvsd -m over AF_XDP (flow offload on, the default)
#            xdp-nat-nofo  the same with --flow-offload off (every packet through user space)
#            pkt-nat  ipvsd -m over AF_PACKET
#            xdp-dr   ipvsd -g over AF_XDP
#   figures: UDP packets/s delivered to the sinks (udp_blast, small datagrams, many flows);
#            new TCP connections/s (wrk, HTTP with "Connection: close"); HTTP keep-alive
#            requests/s (wrk); single-stream TCP Gbit/s (iperf 2) with the veth offloads off
#            and on (pkt-nat: on with ipvsd --gso); the director's CPU seconds per million UDP
#            packets delivered. tcp_gbps_vs_nft compares the offloads-on figures.
#
# Knobs (environment): COMPARE_RUNS (3) runs per figure, COMPARE_SECONDS (5) per run,
# COMPARE_FLOWS (256) UDP flows, COMPARE_CONNS (50) wrk connections, COMPARE_WORKERS (1) ipvsd
# workers, COMPARE_PATHS (all six, space separated), COMPARE_CLIENT_CPU (0; empty: no pinning),
# COMPARE_LOG_DIR (unset; a directory to keep the ipvsd logs, stats and drop counters in).
# Quick run while developing: COMPARE_RUNS=1 COMPARE_SECONDS=2 bench/compare.sh build/bin
#
# Multi-queue part (first, on its own topology: the same three real servers, the director's veths
# with COMPARE_MQ_QUEUES (4) tx and rx queues, the client's and servers' one more (netns_lib.sh:
# a bridge hands a packet on one queue lower), so the client's flows spread over every rx queue
# of d0 as RSS spreads them on a NIC, queue 0 taking about two fifths, and NAT replies come back
# on queues of d1 of their own):
#   paths:   nft         the nftables DNAT above
#            xdp-nat-Nw  ipvsd -m over AF_XDP with --workers N    pkt-nat-Nw  the same over AF_PACKET
#   figures: UDP packets/s, new connections/s, keep-alive requests/s, director CPU per packet (as
#            above); per ipvsd run, the share of received frames handed to the worker that owns
#            their connection (sum handed_off / sum rx of ipvsd's "worker N:" exit lines), and per
#            AF_XDP run, the XDP packets per rx queue of d0 (UDP) and d1 (HTTP replies).
#   summary: compare-mq: udp_2w_vs_1w=... rps_2w_vs_1w=... udp_2w_vs_nft=... rps_2w_vs_nft=...
#            handoff_share=... cps_2w_vs_1w=... cps_2w_vs_nft=... rxq_used=N/Q (2w, 1w: xdp-nat-2w,
#            xdp-nat-1w; rxq_used: rx queues of d0 with >= 5 % of xdp-nat-2w's UDP packets).
# It is printed before the single-queue table, so the single-queue summary stays the last line.
# Knobs: COMPARE_MQ (on; only: the multi-queue part alone; off: the single-queue part alone),
# COMPARE_MQ_QUEUES (4), COMPARE_MQ_PATHS ("nft xdp-nat-1w xdp-nat-2w pkt-nat-2w"),
# COMPARE_MQ_OFFLOADS (off, as the single-queue UDP and HTTP figures; on: a fresh veth's).
# Quick look at it alone: COMPARE_MQ=only COMPARE_RUNS=1 COMPARE_SECONDS=2 bench/compare.sh build/bin
#
# Every load runs under timeout(1); netns_lib.sh's EXIT trap stops every process and deletes
# every namespace, also on failure or Ctrl-C. Only 198.18.0.0/15 is used.
source "$(dirname "$0")/../tests/e2e/netns_lib.sh"

readonly RUNS=${COMPARE_RUNS:-3}
readonly SECS=${COMPARE_SECONDS:-5}
readonly FLOWS=${COMPARE_FLOWS:-256}
readonly CONNS=${COMPARE_CONNS:-50}
# One worker: what the single-queue figures have always measured (a one-queue veth gave AF_XDP
# one worker, and AF_PACKET had one); more workers are the multi-queue part's.
readonly WORKERS=${COMPARE_WORKERS:-1}
readonly PATHS=${COMPARE_PATHS:-direct nft haproxy xdp-nat xdp-nat-nofo pkt-nat xdp-dr}
readonly CLIENT_CPU=${COMPARE_CLIENT_CPU-0}
readonly HTTP_PORT=80 UDP_PORT=9000 IPERF_PORT=5001
readonly CLK_TCK=$(getconf CLK_TCK)
readonly MQ=${COMPARE_MQ:-on}
readonly MQ_QUEUES=${COMPARE_MQ_QUEUES:-4}
readonly MQ_PATHS=${COMPARE_MQ_PATHS:-nft xdp-nat-1w xdp-nat-2w pkt-nat-2w}
readonly MQ_OFFLOADS=${COMPARE_MQ_OFFLOADS:-off}
# The single-queue topology is what netns_lib.sh makes by default (E2E_QUEUES, E2E_OFFLOADS).
readonly SQ_QUEUES=$E2E_QUEUES SQ_OFFLOADS=$E2E_OFFLOADS

# Results: RESULT[path,figure] = "median min max" (figures: udp cps rps gbps_off gbps_on cpu);
# NOTE[path] collects what was seen on the way (UDP sent vs delivered, wrk errors).
declare -A RESULT=() NOTE=()
LB_PID=    # the load balancer's own process in the director (haproxy, ipvsd), for its CPU time

log() { echo "[compare] $*" >&2; }

# --- numbers --------------------------------------------------------------------------------

# stats V...: "median min max" of the values (the middle one, or the mean of the two middle).
stats() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "0 0 0"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.6g %.6g %.6g\n", m, v[1], v[NR] }'
}

# ratio A B: A/B with two decimals, "n/a" when either is missing or B is zero.
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a == 0 || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

median_of() { local r=${RESULT[$1,$2]:-}; echo "${r%% *}"; }

# --- CPU accounting -------------------------------------------------------------------------

# cpu_ticks: clock ticks spent so far in softirq on every CPU (/proc/stat; the whole kernel,
# so the client's and the servers' packet processing too, which is the same for every path)
# plus user+system ticks of the load balancer's process, all its threads (/proc/PID/stat).
cpu_ticks() {
  local softirq proc=0
  softirq=$(awk '$1 == "cpu" { print $8; exit }' /proc/stat)
  if [ -n "$LB_PID" ] && [ -r "/proc/$LB_PID/stat" ]; then
    # Fields after the ") " that ends the command name: utime is the 12th, stime the 13th.
    proc=$(sed 's/^.*) //' "/proc/$LB_PID/stat" | awk '{ print $12 + $13 }')
  fi
  echo $((softirq + proc))
}

# --- topology and servers -------------------------------------------------------------------

# Wide port ranges and TIME_WAIT reuse: wrk with Connection: close otherwise runs out of
# client ports and new conn/s swings by 4x (MACHINE.md); HAProxy opens as many from the director.
tune_sysctls() {
  local role
  for role in client director; do
    e2e_sysctl "$role" net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=1024 65535"
  done
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    e2e_sysctl "rs$i" net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
  done
}

# nginx-light on every real server: one process, no logs, a 4-byte body naming the server.
start_nginx() {
  local i dir
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    dir="$E2E_WORK/nginx$i"
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 60s;
  server {
    listen $HTTP_PORT backlog=4096;
    location / { return 200 "rs$i\n"; }
  }
}
CONF
    e2e_bg "rs$i" 1800 "$dir/out.log" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  done
}

# iperf 2 server on every real server (single stream: iperf3's control connection would be
# balanced to another server than its data connection).
start_iperf_servers() {
  local i
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    e2e_bg "rs$i" 1800 "$E2E_WORK/iperf$i.log" iperf -s -p "$IPERF_PORT"
  done
}

wait_listening() {
  local i k
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    for port in "$HTTP_PORT" "$IPERF_PORT"; do
      for k in $(seq 1 50); do
        [ -n "$(ip netns exec "$(e2e_ns "rs$i")" ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
        sleep 0.1
      done
      [ "$k" -lt 50 ] || e2e_die "rs$i does not listen on TCP port $port"
    done
  done
}

# client CMD...: CMD in the client namespace, pinned to COMPARE_CLIENT_CPU, bounded in time.
client() {
  if [ -n "$CLIENT_CPU" ]; then
    e2e_in client taskset -c "$CLIENT_CPU" "$@"
  else
    e2e_in client "$@"
  fi
}

# --- the load balancers ---------------------------------------------------------------------

# The three real servers as an nftables map body: 0 : rs1, 1 : rs2, 2 : rs3.
nft_map() {
  local i out=
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do out+="${out:+, }$((i - 1)) : $(e2e_rs_ip "$i")"; done
  echo "$out"
}

start_nft() {
  local map
  map=$(nft_map)
  ip netns exec "$(e2e_ns director)" nft -f - <<NFT
table ip compare {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    ip daddr $E2E_VIP tcp dport { $HTTP_PORT, $IPERF_PORT } dnat to numgen inc mod $E2E_RS_COUNT map { $map }
    ip daddr $E2E_VIP udp dport $UDP_PORT dnat to numgen inc mod $E2E_RS_COUNT map { $map }
  }
}
NFT
}

stop_nft() { ip netns exec "$(e2e_ns director)" nft delete table ip compare 2>/dev/null || true; }

start_haproxy() {
  local cfg="$E2E_WORK/haproxy.cfg" i k
  {
    printf 'global\n  nbthread 1\n  maxconn 9000\n'
    printf 'defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n'
    for port in "$HTTP_PORT" "$IPERF_PORT"; do
      printf 'listen p%s\n  bind %s:%s\n  balance roundrobin\n' "$port" "$E2E_VIP" "$port"
      for ((i = 1; i <= E2E_RS_COUNT; i++)); do
        printf '  server rs%s %s:%s\n' "$i" "$(e2e_rs_ip "$i")" "$port"
      done
    done
  } >"$cfg"
  e2e_bg director 900 "$E2E_WORK/haproxy.log" haproxy -db -f "$cfg"
  for k in $(seq 1 50); do
    LB_PID=$(pgrep -P "$E2E_LAST_PID" -x haproxy || true)
    [ -n "$LB_PID" ] && [ -n "$(ip netns exec "$(e2e_ns director)" ss -Hltn "sport = :$HTTP_PORT")" ] && return 0
    sleep 0.1
  done
  cat "$E2E_WORK/haproxy.log"
  e2e_die "haproxy did not start"
}

stop_pid() {
  kill "$1" 2>/dev/null || true
  e2e_wait_gone "$1" 50 || kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# start_ipvsd IO FLAG [IPVSD_ARGS...]: ipvsd over IO (afxdp|afpacket), the three services
# (HTTP, iperf, UDP) with rr over the three real servers, forwarding FLAG (-m NAT, -g DR).
# --workers is COMPARE_WORKERS, or START_WORKERS if set (the multi-queue part's 1 and 2).
start_ipvsd() {
  local io=$1 flag=$2 svc i workers=${START_WORKERS:-$WORKERS}
  E2E_IO=$io E2E_WORKERS=$workers e2e_start_ipvsd --conn-max 1048576 "${@:3}" >&2
  LB_PID=$(pgrep -P "$E2E_IPVSD_PID" -x ipvsd || true)
  for svc in "-t $E2E_VIP:$HTTP_PORT" "-t $E2E_VIP:$IPERF_PORT" "-u $E2E_VIP:$UDP_PORT"; do
    # shellcheck disable=SC2086  # "-t VIP:PORT" is two words on purpose
    e2e_ipvsadm -A $svc -s rr >&2
    for ((i = 1; i <= E2E_RS_COUNT; i++)); do
      # shellcheck disable=SC2086
      e2e_ipvsadm -a $svc -r "$(e2e_rs_ip "$i")" "$flag" >&2
    done
  done
}

stop_ipvsd() {
  [ -n "$E2E_IPVSD_PID" ] || return 0
  e2e_in director ipvsadm -Ln --stats >"$E2E_WORK/ipvsd-stats-$1.txt" 2>&1 || true
  e2e_stop_ipvsd
  cp "$E2E_WORK/ipvsd.log" "$E2E_WORK/ipvsd-$1.log" 2>/dev/null || true
}

# --- the figures ----------------------------------------------------------------------------

# diag PATH LABEL: the director's interface counters, appended to diag-PATH.txt: what limited a
# figure (veth rx_queue_0_drops with XDP attached = frames the XDP program redirected to a full
# AF_XDP rx ring, i.e. ipvsd did not keep up).
diag() {
  local d
  d=$(e2e_ns director)
  {
    echo "### $1 $2"
    ip -n "$d" -s link show d0 2>&1 || true
    ip -n "$d" -s link show d1 2>&1 || true
    ip netns exec "$d" ethtool -S d0 2>&1 | grep -Ev ': 0$' || true
    ip netns exec "$d" ethtool -S d1 2>&1 | grep -Ev ': 0$' || true
  } >>"$E2E_WORK/diag-$1.txt"
}

# measure_udp PATH HOST: UDP packets/s delivered to the three sinks, and the director's CPU
# seconds per million of them (cpu_ticks before and after the flood).
measure_udp() {
  local path=$1 host=$2 run i pids sent out delivered t0 t1 secs
  local pps=() cpu=()
  for ((run = 1; run <= RUNS; run++)); do
    pids=()
    for ((i = 1; i <= E2E_RS_COUNT; i++)); do
      e2e_bg "rs$i" $((SECS + 8)) "$E2E_WORK/sink$i.log" udp_blast sink "$UDP_PORT" $((SECS + 2))
      pids+=("$E2E_LAST_PID")
    done
    for ((i = 1; i <= E2E_RS_COUNT; i++)); do
      for k in $(seq 1 30); do
        [ -n "$(ip netns exec "$(e2e_ns "rs$i")" ss -Hlun "sport = :$UDP_PORT" 2>/dev/null)" ] && break
        sleep 0.1
      done
    done
    [ "$run" = 1 ] && diag "$path" "before udp"
    t0=$(cpu_ticks)
    out=$(E2E_CMD_TIMEOUT=$((SECS + 5)) client udp_blast flood "$host" "$UDP_PORT" "$SECS" "$FLOWS" || true)
    t1=$(cpu_ticks)
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ "$run" = 1 ] && diag "$path" "after udp run 1"
    delivered=$(cat "$E2E_WORK"/sink*.log | awk '$1 == "received" { n += $2 } END { print n + 0 }')
    sent=$(awk '{ print $2 }' <<<"$out")
    secs=$(awk '{ print $4 }' <<<"$out")
    [ -n "$secs" ] || secs=$SECS
    pps+=("$(awk -v n="$delivered" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')")
    cpu+=("$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$delivered" 'BEGIN { if (n > 0) printf "%.3f", t / hz / (n / 1e6); else print 0 }')")
    log "$path udp run $run: sent ${sent:-0} delivered $delivered in ${secs}s -> ${pps[-1]} pps, ${cpu[-1]} CPU s/Mpkt"
    NOTE[$path]+="udp run $run sent ${sent:-0} delivered $delivered; "
  done
  RESULT[$path,udp]=$(stats "${pps[@]}")
  RESULT[$path,cpu]=$(stats "${cpu[@]}")
}

# measure_http PATH HOST close|keepalive: wrk, one thread, COMPARE_CONNS connections; with
# "close" every request is a new TCP connection, so requests/s is new connections/s.
measure_http() {
  local path=$1 host=$2 kind=$3 run out rate errs t0 t1 vals=() cpu=() hdr=()
  [ "$kind" = close ] && hdr=(-H "Connection: close")
  for ((run = 1; run <= RUNS; run++)); do
    t0=$(cpu_ticks)
    out=$(E2E_CMD_TIMEOUT=$((SECS + 10)) client wrk -t1 -c"$CONNS" -d"${SECS}s" --timeout 2s "${hdr[@]}" \
      "http://$host:$HTTP_PORT/" 2>&1 || true)
    t1=$(cpu_ticks)
    rate=$(awk '$1 == "Requests/sec:" { printf "%.0f", $2 }' <<<"$out")
    # CPU s per 1000 requests: as for UDP, softirq of every CPU plus the balancer's process.
    cpu+=("$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v r="${rate:-0}" -v s="$SECS" \
      'BEGIN { if (r > 0) printf "%.4f", t / hz / (r * s / 1e3); else print 0 }')")
    errs=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)
    vals+=("${rate:-0}")
    log "$path http $kind run $run: ${rate:-0} req/s ${errs}"
    [ -n "$errs" ] && NOTE[$path]+="http $kind run $run: $errs; "
  done
  if [ "$kind" = close ]; then
    RESULT[$path,cps]=$(stats "${vals[@]}")
    RESULT[$path,cpu_conn]=$(stats "${cpu[@]}")
  else
    RESULT[$path,rps]=$(stats "${vals[@]}")
  fi
}

# measure_tcp PATH HOST on|off: one iperf 2 stream, Gbit/s (-y C: the last field is bits/s).
measure_tcp() {
  local path=$1 host=$2 offl=$3 run out bps vals=()
  e2e_set_offloads "$offl"
  for ((run = 1; run <= RUNS; run++)); do
    out=$(E2E_CMD_TIMEOUT=$((SECS + 10)) client iperf -c "$host" -p "$IPERF_PORT" -t "$SECS" -y C 2>/dev/null || true)
    bps=$(tail -n 1 <<<"$out" | awk -F, 'NF >= 9 { print $NF }')
    vals+=("$(awk -v b="${bps:-0}" 'BEGIN { printf "%.2f", b / 1e9 }')")
    log "$path tcp offloads $offl run $run: ${vals[-1]} Gbit/s"
  done
  RESULT[$path,gbps_$offl]=$(stats "${vals[@]}")
  e2e_set_offloads off
}

# pcap_kernel_out on|off: ipvsd --io pcap takes no frame away from the director's kernel: with
# forwarding off and its copies of service packets and NAT replies dropped, it leaves them alone.
pcap_kernel_out() {
  local d
  d=$(e2e_ns director)
  if [ "$1" = on ]; then
    e2e_sysctl director net.ipv4.ip_forward=0
    printf 'table inet bench_pcap {\n chain pre {\n  type filter hook prerouting priority raw;\n  ip daddr %s drop\n  iifname "d1" ip daddr %s drop\n }\n}\n' \
      "$E2E_VIP" "$E2E_CLIENT" | ip netns exec "$d" nft -f -
  else
    ip netns exec "$d" nft delete table inet bench_pcap 2>/dev/null || true
    e2e_sysctl director net.ipv4.ip_forward=1
  fi
}

# measure_path PATH HOST [OFFLOADS_ON]: every figure for one path, TCP with the offloads off and
# (unless OFFLOADS_ON=no) on.
measure_path() {
  local path=$1 host=$2 offloads_on=${3:-yes}
  log "=== $path (target $host)"
  if [ "$path" != haproxy ]; then measure_udp "$path" "$host"; fi
  measure_http "$path" "$host" close
  measure_http "$path" "$host" keepalive
  measure_tcp "$path" "$host" off
  [ "$offloads_on" = no ] || measure_tcp "$path" "$host" on
}

# pkt-nat measures TCP with the offloads on with --gso (without it AF_PACKET drops the
# aggregates; its 64 KB ring slots would cost the small-packet figures), as a user with the
# offloads on would run it.
run_path() {
  case $1 in
    direct) LB_PID=; measure_path direct "$(e2e_rs_ip 1)" ;;
    nft) LB_PID=; start_nft; measure_path nft "$E2E_VIP"; stop_nft ;;
    haproxy) start_haproxy; local pid=$E2E_LAST_PID; measure_path haproxy "$E2E_VIP"; stop_pid "$pid"; LB_PID= ;;
    xdp-nat) start_ipvsd afxdp -m; measure_path xdp-nat "$E2E_VIP"; stop_ipvsd xdp-nat; LB_PID= ;;
    xdp-nat-nofo)
      start_ipvsd afxdp -m --flow-offload off; measure_path xdp-nat-nofo "$E2E_VIP"; stop_ipvsd xdp-nat-nofo; LB_PID=
      ;;
    pkt-nat)
      start_ipvsd afpacket -m; measure_path pkt-nat "$E2E_VIP" no; stop_ipvsd pkt-nat
      start_ipvsd afpacket -m --gso; measure_tcp pkt-nat "$E2E_VIP" on; stop_ipvsd pkt-nat-gso; LB_PID=
      ;;
    pcap-nat)
      # ipvsd --io pcap (docs/portability.md), UDP only; the kernel kept out as test_portable.sh does.
      pcap_kernel_out on; start_ipvsd pcap -m; measure_udp pcap-nat "$E2E_VIP"; stop_ipvsd pcap-nat
      pcap_kernel_out off; LB_PID=
      ;;
    xdp-dr)
      e2e_rs_setup dr 1 2 3
      start_ipvsd afxdp -g; measure_path xdp-dr "$E2E_VIP"; stop_ipvsd xdp-dr; LB_PID=
      e2e_rs_setup nat 1 2 3
      ;;
    *) e2e_die "unknown path '$1' in COMPARE_PATHS" ;;
  esac
}

# --- the report -----------------------------------------------------------------------------

# cell PATH FIGURE SCALE DECIMALS: "median (min..max)" scaled, or "—" if not measured.
cell() {
  local r=${RESULT[$1,$2]:-}
  [ -n "$r" ] || { echo "—"; return; }
  awk -v s="$3" -v d="$4" '{ f = "%." d "f"; printf f " (" f ".." f ")", $1 / s, $2 / s, $3 / s }' <<<"$r"
}

print_table() {
  local p
  echo
  echo "compare: $RUNS run(s) x ${SECS}s per figure, median (min..max); $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| path | UDP kpps | new conn/s (k) | keep-alive req/s (k) | TCP Gbit/s, offloads off | TCP Gbit/s, offloads on | director CPU s / M UDP pkts | CPU s / k new conns |"
  echo "|---|---|---|---|---|---|---|---|"
  for p in $PATHS; do
    echo "| $p | $(cell "$p" udp 1000 0) | $(cell "$p" cps 1000 1) | $(cell "$p" rps 1000 1) | $(cell "$p" gbps_off 1 2) | $(cell "$p" gbps_on 1 2) | $(cell "$p" cpu 1 2) | $(cell "$p" cpu_conn 1 3) |"
  done
  echo
  for p in $PATHS; do
    [ -n "${NOTE[$p]:-}" ] && echo "notes $p: ${NOTE[$p]}"
  done
  return 0
}

# best FIGURE higher|lower: the better ipvsd NAT path's median for FIGURE, as "value path".
best_nat() {
  local fig=$1 dir=$2 a b
  a=$(median_of xdp-nat "$fig")
  b=$(median_of pkt-nat "$fig")
  awk -v a="${a:-0}" -v b="${b:-0}" -v dir="$dir" 'BEGIN {
    if (a == 0) { print b, "pkt-nat"; exit }
    if (b == 0) { print a, "xdp-nat"; exit }
    if ((dir == "higher") == (a >= b)) print a, "xdp-nat"; else print b, "pkt-nat" }'
}

label() {
  case $1 in
    udp) echo "UDP pps" ;; cps) echo "new conn/s" ;; rps) echo "keep-alive req/s" ;;
    gbps_off) echo "TCP Gbit/s (offloads off)" ;; gbps_on) echo "TCP Gbit/s (offloads on)" ;;
    cpu) echo "CPU s/Mpkt (lower is better)" ;;
    cpu_conn) echo "CPU s per 1000 new connections (lower is better)" ;;
  esac
}

print_ratios() {
  local fig dir v which line=
  declare -A best=()
  for fig in udp cps rps gbps_off gbps_on; do
    read -r v which <<<"$(best_nat "$fig" higher)"
    best[$fig]=$v
    echo "ipvsd best NAT path for $(label "$fig"): $which"
  done
  read -r v which <<<"$(best_nat cpu lower)"
  best[cpu]=$v
  echo "ipvsd best NAT path for $(label cpu): $which"
  read -r v which <<<"$(best_nat cpu_conn lower)"
  best[cpu_conn]=$v
  echo "ipvsd best NAT path for $(label cpu_conn): $which"
  echo
  echo "ratios ipvsd/nftables: UDP pps $(ratio "${best[udp]}" "$(median_of nft udp)")," \
    "conn/s $(ratio "${best[cps]}" "$(median_of nft cps)"), req/s $(ratio "${best[rps]}" "$(median_of nft rps)")," \
    "CPU/Mpkt $(ratio "${best[cpu]}" "$(median_of nft cpu)"), TCP offloads off $(ratio "${best[gbps_off]}" "$(median_of nft gbps_off)")," \
    "TCP offloads on $(ratio "${best[gbps_on]}" "$(median_of nft gbps_on)")"
  echo "ratios ipvsd/HAProxy:  conn/s $(ratio "${best[cps]}" "$(median_of haproxy cps)"), req/s $(ratio "${best[rps]}" "$(median_of haproxy rps)")," \
    "CPU per new conn $(ratio "${best[cpu_conn]}" "$(median_of haproxy cpu_conn)")," \
    "TCP offloads off $(ratio "${best[gbps_off]}" "$(median_of haproxy gbps_off)"), TCP offloads on $(ratio "${best[gbps_on]}" "$(median_of haproxy gbps_on)")"
  echo "ratios flow offload on/off (xdp-nat/xdp-nat-nofo): UDP pps $(ratio "$(median_of xdp-nat udp)" "$(median_of xdp-nat-nofo udp)")," \
    "conn/s $(ratio "$(median_of xdp-nat cps)" "$(median_of xdp-nat-nofo cps)"), req/s $(ratio "$(median_of xdp-nat rps)" "$(median_of xdp-nat-nofo rps)")," \
    "CPU/Mpkt $(ratio "$(median_of xdp-nat cpu)" "$(median_of xdp-nat-nofo cpu)"), TCP offloads off $(ratio "$(median_of xdp-nat gbps_off)" "$(median_of xdp-nat-nofo gbps_off)")," \
    "TCP offloads on $(ratio "$(median_of xdp-nat gbps_on)" "$(median_of xdp-nat-nofo gbps_on)")"
  echo "ratios ipvsd DR (AF_XDP)/nftables: UDP pps $(ratio "$(median_of xdp-dr udp)" "$(median_of nft udp)")," \
    "conn/s $(ratio "$(median_of xdp-dr cps)" "$(median_of nft cps)"), req/s $(ratio "$(median_of xdp-dr rps)" "$(median_of nft rps)")"
  echo
  echo "compare: udp_pps_vs_nft=$(ratio "${best[udp]}" "$(median_of nft udp)")" \
    "conn_per_s_vs_nft=$(ratio "${best[cps]}" "$(median_of nft cps)")" \
    "req_per_s_vs_nft=$(ratio "${best[rps]}" "$(median_of nft rps)")" \
    "conn_per_s_vs_haproxy=$(ratio "${best[cps]}" "$(median_of haproxy cps)")" \
    "cpu_per_mpkt_vs_nft=$(ratio "${best[cpu]}" "$(median_of nft cpu)")" \
    "cpu_per_conn_vs_haproxy=$(ratio "${best[cpu_conn]}" "$(median_of haproxy cpu_conn)")" \
    "tcp_gbps_vs_nft=$(ratio "${best[gbps_on]}" "$(median_of nft gbps_on)")"
}

# --- the multi-queue part -------------------------------------------------------------------

# MQ_INFO[key,...]: what the multi-queue part saw besides RESULT/NOTE (keys mq-PATH): workers
# (ipvsd's own count), share and workers_log (its exit counters), rxq_d0_udp and rxq_d1_http
# ("USED|q0=N (P%) ...|TOTAL" from rxq_spread).
declare -A MQ_INFO=()
MQ_TOPOLOGY=

# rxq_counts DEV: the XDP packets each rx queue of the director's DEV has seen so far, "N0 N1 ..."
# (a veth counts per queue only what goes through its NAPI, i.e. with an XDP program attached).
rxq_counts() {
  ip netns exec "$(e2e_ns director)" ethtool -S "$1" 2>/dev/null |
    awk '$1 ~ /^rx_queue_[0-9]+_xdp_packets:$/ { q = $1; gsub(/[^0-9]/, "", q); n[q] = $2; if (q + 1 > m) m = q + 1 }
         END { for (i = 0; i < m; i++) printf "%s%d", (i ? " " : ""), n[i] + 0; print "" }'
}

# rxq_spread BEFORE AFTER: "USED|q0=N (P%) q1=...|TOTAL" for the packets between two
# rxq_counts; USED counts the queues that got at least 5 % of them.
rxq_spread() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = split(b, y, " "); split(a, x, " "); t = 0
    for (i = 1; i <= n; i++) { d[i] = y[i] - x[i]; t += d[i] }
    used = 0; s = ""
    for (i = 1; i <= n; i++) {
      p = t ? 100 * d[i] / t : 0
      if (t && p >= 5) used++
      s = s sprintf("%sq%d=%d (%.0f%%)", (i > 1 ? " " : ""), i - 1, d[i], p)
    }
    printf "%d|%s|%d\n", used, s, t }'
}

# mq_handoff KEY: ipvsd's per-worker exit counters of run KEY ("worker N: rx=... handed_off=..."),
# and the share of received frames handed off, sum handed_off / sum rx.
mq_handoff() {
  local key=$1 lines
  lines=$(grep -o 'worker [0-9]*: rx=.*' "$E2E_WORK/ipvsd-$key.log" 2>/dev/null || true)
  MQ_INFO[$key,workers_log]=$lines
  MQ_INFO[$key,share]=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=")
                                 if (kv[1] == "rx") rx += kv[2]; if (kv[1] == "handed_off") off += kv[2] } }
                             END { if (rx > 0) printf "%.4f", off / rx }' <<<"$lines")
  [ -n "$lines" ] || log "$key: no per-worker counters in ipvsd's log (did it exit cleanly?)"
  log "$key: handed off / rx = ${MQ_INFO[$key,share]:-n/a}"
}

# mq_measure KEY: the multi-queue figures of one path, with the XDP packets per rx queue of d0
# over the UDP runs and of d1 (the NAT replies) over the HTTP runs.
mq_measure() {
  local key=$1 d0a d0b d1b d1c s
  d0a=$(rxq_counts d0)
  measure_udp "$key" "$E2E_VIP"
  d0b=$(rxq_counts d0)
  d1b=$(rxq_counts d1)
  measure_http "$key" "$E2E_VIP" close
  measure_http "$key" "$E2E_VIP" keepalive
  d1c=$(rxq_counts d1)
  MQ_INFO[$key,rxq_d0_udp]=$(rxq_spread "$d0a" "$d0b")
  MQ_INFO[$key,rxq_d1_http]=$(rxq_spread "$d1b" "$d1c")
  s=${MQ_INFO[$key,rxq_d0_udp]}
  if [ "${s##*|}" -gt 0 ]; then
    log "$key: d0 XDP packets per rx queue during UDP: $(cut -d'|' -f2 <<<"$s")"
    [ "${s%%|*}" -ge 2 ] || log "WARNING: $key: only ${s%%|*} rx queue(s) of d0 got >= 5 % of the UDP load"
  fi
}

# mq_run_path PATH: nft, xdp-nat-Nw or pkt-nat-Nw on the multi-queue topology.
mq_run_path() {
  local p=$1 key=mq-$1 io n
  log "=== multi-queue: $p"
  case $p in
    nft) LB_PID=; start_nft; mq_measure "$key"; stop_nft ;;
    xdp-nat-*w | pkt-nat-*w)
      n=${p##*-}
      n=${n%w}
      [[ $n =~ ^[1-9][0-9]*$ ]] || e2e_die "bad worker count in '$p' (COMPARE_MQ_PATHS)"
      io=afxdp
      [[ $p == pkt-* ]] && io=afpacket
      START_WORKERS=$n start_ipvsd "$io" -m
      MQ_INFO[$key,workers]=$(grep -m1 -Eo '[0-9]+ worker\(s\)' "$E2E_WORK/ipvsd.log" | awk '{ print $1 }' || true)
      mq_measure "$key"
      stop_ipvsd "$key"
      LB_PID=
      mq_handoff "$key"
      ;;
    *) e2e_die "unknown path '$p' in COMPARE_MQ_PATHS (nft, xdp-nat-Nw, pkt-nat-Nw)" ;;
  esac
}

# rxq_line LABEL SPREAD: one line of the per-queue distribution, if anything was counted.
rxq_line() {
  local s=$2
  [ -n "$s" ] && [ "${s##*|}" -gt 0 ] || return 0
  echo "  $1: $(cut -d'|' -f2 <<<"$s"); ${s%%|*} queue(s) with >= 5 %"
}

pct() { awk -v v="${1:-}" 'BEGIN { if (v == "") print "—"; else printf "%.1f %%", 100 * v }'; }

print_mq_report() {
  local p key w share line s used=n/a
  echo
  echo "multi-queue compare: $MQ_TOPOLOGY; offloads $MQ_OFFLOADS; $RUNS run(s) x ${SECS}s per figure, median (min..max); $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| path | ipvsd workers | UDP kpps | new conn/s (k) | keep-alive req/s (k) | director CPU s / M UDP pkts | handed off / rx |"
  echo "|---|---|---|---|---|---|---|"
  for p in $MQ_PATHS; do
    key=mq-$p
    w=${MQ_INFO[$key,workers]:-—}
    [ "$p" = nft ] && w="—"
    share=$(pct "${MQ_INFO[$key,share]:-}")
    echo "| $p | $w | $(cell "$key" udp 1000 0) | $(cell "$key" cps 1000 1) | $(cell "$key" rps 1000 1) | $(cell "$key" cpu 1 2) | $share |"
  done
  echo
  echo "XDP packets per rx queue of the director (AF_XDP paths; a veth counts them only with an XDP program attached):"
  for p in $MQ_PATHS; do
    key=mq-$p
    rxq_line "$p d0, UDP runs" "${MQ_INFO[$key,rxq_d0_udp]:-}"
    rxq_line "$p d1, HTTP runs (NAT replies)" "${MQ_INFO[$key,rxq_d1_http]:-}"
  done
  echo
  for p in $MQ_PATHS; do
    key=mq-$p
    [ -n "${MQ_INFO[$key,workers_log]:-}" ] || continue
    echo "ipvsd $p at exit, handed off / rx = $(pct "${MQ_INFO[$key,share]:-}"):"
    while IFS= read -r line; do echo "  $line"; done <<<"${MQ_INFO[$key,workers_log]}"
  done
  for p in $MQ_PATHS; do
    [ -n "${NOTE[mq-$p]:-}" ] && echo "notes $p: ${NOTE[mq-$p]}"
  done
  local u2 u1 un r2 r1 rn c2 c1 cn up rp cp
  u2=$(median_of mq-xdp-nat-2w udp) u1=$(median_of mq-xdp-nat-1w udp) un=$(median_of mq-nft udp)
  r2=$(median_of mq-xdp-nat-2w rps) r1=$(median_of mq-xdp-nat-1w rps) rn=$(median_of mq-nft rps)
  c2=$(median_of mq-xdp-nat-2w cps) c1=$(median_of mq-xdp-nat-1w cps) cn=$(median_of mq-nft cps)
  up=$(median_of mq-pkt-nat-2w udp) rp=$(median_of mq-pkt-nat-2w rps) cp=$(median_of mq-pkt-nat-2w cps)
  echo
  echo "ratios ipvsd AF_XDP 2 workers/1 worker: UDP pps $(ratio "$u2" "$u1"), keep-alive req/s $(ratio "$r2" "$r1"), conn/s $(ratio "$c2" "$c1")"
  echo "ratios ipvsd AF_XDP 2 workers/nftables: UDP pps $(ratio "$u2" "$un"), keep-alive req/s $(ratio "$r2" "$rn"), conn/s $(ratio "$c2" "$cn")"
  echo "ratios ipvsd AF_XDP 1 worker/nftables:  UDP pps $(ratio "$u1" "$un"), keep-alive req/s $(ratio "$r1" "$rn"), conn/s $(ratio "$c1" "$cn")"
  echo "ratios ipvsd AF_PACKET 2 workers/nftables: UDP pps $(ratio "$up" "$un"), keep-alive req/s $(ratio "$rp" "$rn"), conn/s $(ratio "$cp" "$cn")"
  s=${MQ_INFO[mq-xdp-nat-2w,rxq_d0_udp]:-}
  if [ -n "$s" ] && [ "${s##*|}" -gt 0 ]; then used="${s%%|*}/$MQ_QUEUES"; fi
  echo
  echo "compare-mq: udp_2w_vs_1w=$(ratio "$u2" "$u1") rps_2w_vs_1w=$(ratio "$r2" "$r1")" \
    "udp_2w_vs_nft=$(ratio "$u2" "$un") rps_2w_vs_nft=$(ratio "$r2" "$rn")" \
    "handoff_share=$(awk -v v="${MQ_INFO[mq-xdp-nat-2w,share]:-}" 'BEGIN { if (v == "") print "n/a"; else printf "%.2f", v }')" \
    "cps_2w_vs_1w=$(ratio "$c2" "$c1") cps_2w_vs_nft=$(ratio "$c2" "$cn") rxq_used=$used"
}

# --- main -----------------------------------------------------------------------------------

# build_topology QUEUES OFFLOADS: the topology with E2E_QUEUES=QUEUES (the director's veths with
# QUEUES tx/rx queues; netns_lib.sh gives the senders' one more), E2E_OFFLOADS=OFFLOADS, the real
# servers for NAT, nginx and iperf on each.
build_topology() {
  E2E_QUEUES=$1 E2E_OFFLOADS=$2
  e2e_topology 3 >&2
  e2e_director_vip
  e2e_rs_setup nat 1 2 3
  tune_sysctls
  start_nginx
  start_iperf_servers
  wait_listening
}

# The multi-queue part on a topology of its own, torn down (every process and namespace) after.
run_mq() {
  local p
  log "multi-queue: $MQ_QUEUES queues per director veth, offloads $MQ_OFFLOADS, $FLOWS UDP flows, $CONNS wrk connections; paths: $MQ_PATHS"
  build_topology "$MQ_QUEUES" "$MQ_OFFLOADS"
  MQ_TOPOLOGY="veth tx/rx queues: c0 $(e2e_queues client c0), d0 $(e2e_queues director d0), d1 $(e2e_queues director d1), rs1 $(e2e_queues rs1 r1s)"
  MQ_TOPOLOGY+=" (d0 in sysfs: $(ip netns exec "$(e2e_ns director)" sh -c 'ls -d /sys/class/net/d0/queues/rx-* | wc -l') rx queues)"
  log "multi-queue topology: $MQ_TOPOLOGY"
  for p in $MQ_PATHS; do mq_run_path "$p"; done
  print_mq_report
  e2e_teardown >&2
  LB_PID=
}

main() {
  local tool p
  e2e_init compare "${1:?usage: bench/compare.sh BINDIR}"
  case $MQ in on | only | off) ;; *) e2e_die "COMPARE_MQ must be on, only or off, not '$MQ'" ;; esac
  [[ $MQ_QUEUES =~ ^[1-9][0-9]*$ ]] || e2e_die "COMPARE_MQ_QUEUES must be a number of queues, not '$MQ_QUEUES'"
  for tool in nginx haproxy wrk iperf nft taskset; do
    command -v "$tool" >/dev/null 2>&1 || e2e_skip "missing tool: $tool (make deps)"
  done
  [ -x "$E2E_BIN/udp_blast" ] || e2e_die "$E2E_BIN/udp_blast is not built"
  [ "$MQ" = off ] || run_mq
  [ "$MQ" != only ] || { save_logs; return 0; }
  log "runs $RUNS x ${SECS}s, $FLOWS UDP flows, $CONNS wrk connections, ipvsd --workers $WORKERS; paths: $PATHS"
  build_topology "$SQ_QUEUES" "$SQ_OFFLOADS"
  for p in $PATHS; do run_path "$p"; done
  print_table
  print_ratios
  save_logs
}

# Keep the ipvsd logs, stats and the diagnostics if asked (the work directory goes with the trap).
save_logs() {
  if [ -n "${COMPARE_LOG_DIR:-}" ]; then
    mkdir -p "$COMPARE_LOG_DIR"
    cp "$E2E_WORK"/diag-* "$E2E_WORK"/ipvsd-* "$COMPARE_LOG_DIR"/ 2>/dev/null || true
  fi
  return 0
}

main "$@"
