#!/usr/bin/env bash
# ipvsd on multi-queue interfaces (docs/e2e.md "Multi-queue interfaces"). Every veth has 4 tx
# and 4 rx queues (E2E_QUEUES, default 4 here) and the offloads a fresh veth has (E2E_OFFLOADS,
# default on here). A veth hands a packet to the peer's rx queue with the index of the tx queue
# the sender picked, per socket, so new connections arrive on different rx queues of d0, as RSS
# spreads flows on a NIC, and a NAT reply arrives on d1 on a queue of its own, independent of
# its request's (through the switch's bridge the index comes out one lower, so the clients and
# real servers have one queue more: docs/e2e.md). ipvsd runs with --workers WORKERS (1: one
# worker for 4 queues; 2: fewer workers than queues). Every load is 60 clients at once, each one connection or one datagram
# from a socket of its own, bounded by CLIENT_SECONDS; each check prints what it counted:
#   NAT:  TCP/IPv4 answered and spread 20/20/20 by rr; UDP/IPv4, TCP/IPv6, UDP/IPv6 answered;
#         persistence (-p 300): one client's 60 connections on one real server; with
#         -M 255.255.255.0, two client addresses of one /24 on one real server;
#   DR:   TCP/IPv4 answered;  TUN (ipip, ipvs-agent --decap on the real servers): TCP/IPv4 answered;
#   and for every service `ipvsadm -Ln --stats` counts exactly the 60 connections made;
#   every rx queue of d0 and d1 received (AF_XDP), and `ipvsadm -L --json` shows every queue
#   served once and packets handed between workers only where there are two.
# Usage: test_multiqueue.sh BINDIR IO WORKERS   (IO: afxdp or afpacket)
E2E_QUEUES=${E2E_QUEUES:-4}
E2E_OFFLOADS=${E2E_OFFLOADS:-on}
source "$(dirname "$0")/netns_lib.sh"
readonly usage="usage: test_multiqueue.sh BINDIR afxdp|afpacket WORKERS"
E2E_IO=${2:?$usage}
E2E_WORKERS=${3:?$usage}
[[ $E2E_IO == afxdp || $E2E_IO == afpacket ]] || { echo "$usage" >&2; exit 2; }
e2e_init "mq-$E2E_IO-${E2E_WORKERS}w" "${1:?$usage}"

readonly port=8080
readonly persist_port=8081
readonly netmask_port=8082
readonly vip="$E2E_VIP:$port"
readonly vip6="[$E2E_VIP6]:$port"
readonly client2=198.18.0.3 # the client's second address, in E2E_CLIENT's /24
readonly total=60
# A client's bound: a working data plane answers in milliseconds; a lost SYN is sent again
# after 1 s and 3 s (e2e_peer gives up on connect after 4 s).
readonly CLIENT_SECONDS=5
rs_all=(1 2 3)

# servers SIGNAL: sends SIGNAL (STOP or CONT) to the e2e_peer servers of $port on the real servers.
servers() {
  local i pid
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    for pid in $(ip netns pids "$(e2e_ns "rs$i")" 2>/dev/null); do
      [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == "e2e_peer serve $port "* ]] && kill "-$1" "$pid"
    done
  done
  return 0
}

# burst KIND HOST PORT N: N e2e_peer clients at once in the client namespace, each making one
# TCP connection (KIND tcp) or sending one datagram from a socket of its own (KIND udp), each
# bounded by CLIENT_SECONDS; prints the N answers, one a line, "-" for none.
# A UDP socket's port is drawn at random and a closed socket's port may come again, which would
# make two clients one connection: for udp the real servers of $port are stopped until every
# client still running has its socket open (at most ~3 s), so that their ports differ.
burst() {
  local kind=$1 host=$2 dport=$3 n=$4 dir k
  local pids=()
  dir=$(mktemp -d "$E2E_WORK/burst.XXXXXX")
  [ "$kind" = udp ] && servers STOP
  for ((k = 0; k < n; k++)); do
    E2E_CMD_TIMEOUT=$CLIENT_SECONDS e2e_in client e2e_peer "$kind-names" "$host" "$dport" 1 >"$dir/$k" 2>/dev/null &
    pids+=($!)
  done
  if [ "$kind" = udp ]; then
    local dst="$host:$dport" open=0 running=$n deadline=$((SECONDS + 3))
    [[ $host == *:* ]] && dst="[$host]:$dport"
    while [ "$SECONDS" -le "$deadline" ]; do
      open=$(ip netns exec "$(e2e_ns client)" ss -Hun dst "$dst" 2>/dev/null | wc -l)
      running=0
      for k in "${pids[@]}"; do kill -0 "$k" 2>/dev/null && running=$((running + 1)); done
      [ "$open" -ge "$running" ] && break
      sleep 0.05
    done
    [ "$open" -ge "$n" ] || echo "        ($open of $n UDP sockets were open at once, $running clients running)" >&2
    servers CONT
  fi
  for k in "${pids[@]}"; do wait "$k" 2>/dev/null || true; done
  for ((k = 0; k < n; k++)); do
    local name
    name=$(head -n1 "$dir/$k")
    echo "${name:--}"
  done
  rm -rf "$dir"
}

# answered ANSWERS: the number of lines of ANSWERS other than "-".
answered() { grep -cv '^-$' <<<"$1" || true; }

# spread_check WANT KIND HOST PORT: $total clients at once; prints how many were answered and
# by whom; true if the counts are WANT ("rs1=20 rs2=20 rs3=20"), or with WANT "all", if every
# one was answered.
spread_check() {
  local want=$1 out got n
  shift
  out=$(burst "$@" "$total")
  n=$(answered "$out")
  got=$(echo "$out" | e2e_count_names)
  echo "        answered $n/$total: $got"
  if [ "$want" = all ]; then [ "$n" = "$total" ]; else e2e_expect_eq "answers" "$got" "$want"; fi
}

# one_server_check HOST PORT SPLIT: persistence. One connection first (it makes the template),
# then the rest at once; with SPLIT, the second half comes from client2 instead of E2E_CLIENT.
# True if all $total are answered by one real server.
one_server_check() {
  local host=$1 dport=$2 split=${3:-} out first=$total
  [ -n "$split" ] && first=$((total / 2))
  out=$(burst tcp "$host" "$dport" 1; burst tcp "$host" "$dport" $((first - 1)))
  if [ -n "$split" ]; then
    echo "        from $E2E_CLIENT: answered $(answered "$out")/$first: $(echo "$out" | e2e_count_names)"
    # The client's connections to the VIP leave from client2 while this route is there.
    ip -n "$(e2e_ns client)" route add "$E2E_VIP/32" via "$E2E_DIRECTOR_C" src "$client2"
    local out2
    out2=$(burst tcp "$host" "$dport" $((total - first)))
    ip -n "$(e2e_ns client)" route del "$E2E_VIP/32"
    echo "        from $client2: answered $(answered "$out2")/$((total - first)): $(echo "$out2" | e2e_count_names)"
    out=$(printf '%s\n%s\n' "$out" "$out2")
  fi
  local got
  got=$(echo "$out" | e2e_count_names)
  echo "        answered $(answered "$out")/$total: $got"
  [[ $got =~ ^rs[0-9]=$total$ ]]
}

# conns_check PROTO ADDR WANT: the Conns column of `ipvsadm -Ln --stats --exact` for service
# PROTO ADDR is WANT.
conns_check() {
  local got
  got=$(e2e_in director ipvsadm -Ln --stats --exact | awk -v p="$1" -v a="$2" '$1 == p && $2 == a { print $3 }')
  echo "        $1 $2 Conns: ${got:-none}"
  e2e_expect_eq "Conns" "$got" "$3"
}

# queues_check DEV: every rx queue of the director's DEV received packets, by the veth's XDP
# counters (AF_XDP only: AF_PACKET sees packets after the veth's queues).
queues_check() {
  local spread
  spread=$(ip netns exec "$(e2e_ns director)" ethtool -S "$1" 2>/dev/null |
    awk '$1 ~ /^rx_queue_[0-9]+_xdp_packets:$/ { q = $1; gsub(/[^0-9]/, "", q); printf " q%s=%s", q, $2 }')
  echo "        $1 rx packets per queue:${spread:- none}"
  [ -n "$spread" ] && [[ ! $spread =~ =0( |$) ]]
}

# data_plane_check: `ipvsadm -L --json` names every rx queue of d0 and d1 exactly once (AF_XDP:
# queue by queue over min(WORKERS, queues) workers; AF_PACKET: "all" for each of WORKERS
# workers), and packets crossed workers only where there are several.
data_plane_check() {
  local json served want handed
  json=$(e2e_in director ipvsadm -L --json) || return 1
  served=$(echo "$json" | jq -r '.data_plane.workers[].queues[] | "\(.interface):\(.queue)"' | sort | tr '\n' ' ')
  handed=$(echo "$json" | jq '[.data_plane.workers[].handed_off] | add')
  echo "        $(echo "$json" | jq -r '.data_plane.io'), $(echo "$json" | jq '.data_plane.workers | length') worker(s): $served; handed off: $handed"
  if [ "$E2E_IO" = afxdp ]; then
    want=$(for d in d0 d1; do for ((q = 0; q < E2E_QUEUES; q++)); do echo "$d:$q"; done; done | sort | tr '\n' ' ')
  else
    want=$(for ((w = 0; w < E2E_WORKERS; w++)); do echo "d0:all"; echo "d1:all"; done | sort | tr '\n' ' ')
  fi
  e2e_expect_eq "queues served" "$served" "$want" || return 1
  if [ "$E2E_WORKERS" = 1 ]; then e2e_expect_eq "handed off" "$handed" 0; else [ "$handed" -gt 0 ]; fi
}

# add_service PROTO_FLAG VIP:PORT SERVICE_ARGS -- DEST_ARGS: a service with the three real
# servers on the same port.
add_service() {
  local flag=$1 addr=$2 rport=${2##*:} i
  shift 2
  local sargs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  e2e_ipvsadm -A "$flag" "$addr" "${sargs[@]}"
  for i in "${rs_all[@]}"; do
    local rs
    if [[ $addr == \[* ]]; then rs="[$(e2e_rs_ip6 "$i")]:$rport"; else rs="$(e2e_rs_ip "$i"):$rport"; fi
    e2e_ipvsadm -a "$flag" "$addr" -r "$rs" "$@"
  done
}

started=$SECONDS
e2e_topology 3
e2e_director_vip
ip -n "$(e2e_ns client)" addr add "$client2/24" dev c0
for p in "$port" "$persist_port" "$netmask_port"; do e2e_start_servers "$p"; done
e2e_start_ipvsd

echo "== NAT ($total clients at once per check, each on a socket of its own)"
e2e_rs_setup nat "${rs_all[@]}"
add_service -t "$vip" -s rr -- -m
add_service -u "$vip" -s rr -- -m
add_service -t "$vip6" -s rr -- -m
add_service -u "$vip6" -s rr -- -m
add_service -t "$E2E_VIP:$persist_port" -s rr -p 300 -- -m
add_service -t "$E2E_VIP:$netmask_port" -s rr -p 300 -M 255.255.255.0 -- -m
e2e_check "NAT TCP/IPv4: $total connections answered, rr 20/20/20" \
  spread_check "rs1=20 rs2=20 rs3=20" tcp "$E2E_VIP" "$port"
e2e_check "NAT UDP/IPv4: $total datagrams, each from a new socket, answered" spread_check all udp "$E2E_VIP" "$port"
e2e_check "NAT TCP/IPv6: $total connections answered" spread_check all tcp "$E2E_VIP6" "$port"
e2e_check "NAT UDP/IPv6: $total datagrams, each from a new socket, answered" spread_check all udp "$E2E_VIP6" "$port"
e2e_check "persistence (-p 300): $total connections of one client on one real server" \
  one_server_check "$E2E_VIP" "$persist_port"
e2e_check "persistence (-p 300 -M 255.255.255.0): $E2E_CLIENT and $client2 on one real server" \
  one_server_check "$E2E_VIP" "$netmask_port" split
e2e_check "--stats: NAT TCP/IPv4 counts $total connections" conns_check TCP "$vip" "$total"
e2e_check "--stats: NAT UDP/IPv4 counts $total connections" conns_check UDP "$vip" "$total"
e2e_check "--stats: NAT TCP/IPv6 counts $total connections" conns_check TCP "$vip6" "$total"
e2e_check "--stats: NAT UDP/IPv6 counts $total connections" conns_check UDP "$vip6" "$total"
e2e_check "--stats: persistent service counts $total connections" conns_check TCP "$E2E_VIP:$persist_port" "$total"
e2e_check "--stats: persistent service with -M counts $total connections" \
  conns_check TCP "$E2E_VIP:$netmask_port" "$total"
e2e_ipvsadm -C

echo "== DR"
e2e_rs_setup dr "${rs_all[@]}"
add_service -t "$vip" -s rr -- -g
e2e_check "DR TCP/IPv4: $total connections answered" spread_check all tcp "$E2E_VIP" "$port"
e2e_check "--stats: DR TCP/IPv4 counts $total connections" conns_check TCP "$vip" "$total"
e2e_ipvsadm -C

echo "== TUN (ipip)"
e2e_rs_setup tun "${rs_all[@]}"
add_service -t "$vip" -s rr -- -i
e2e_check "TUN TCP/IPv4: $total connections answered" spread_check all tcp "$E2E_VIP" "$port"
e2e_check "--stats: TUN TCP/IPv4 counts $total connections" conns_check TCP "$vip" "$total"
e2e_ipvsadm -C

if [ "$E2E_IO" = afxdp ]; then
  e2e_check "every rx queue of d0 received" queues_check d0
  e2e_check "every rx queue of d1 received" queues_check d1
fi
e2e_check "ipvsadm -L --json: every queue served once; handoffs only between workers" data_plane_check
e2e_check "ipvsd is still running" e2e_ipvsd_alive

# With AF_XDP every worker needs a queue of every interface to transmit on: one queue on d1
# leaves one worker, serving all of d0's.
echo "== interfaces with different queue counts (d1 cut to 1 queue, ipvsd restarted)"
e2e_stop_ipvsd
ip netns exec "$(e2e_ns director)" ethtool -L d1 rx 1 tx 1
e2e_start_ipvsd
e2e_rs_setup nat "${rs_all[@]}"
add_service -t "$vip" -s rr -- -m
e2e_check "NAT TCP/IPv4: $total connections answered, rr 20/20/20" \
  spread_check "rs1=20 rs2=20 rs3=20" tcp "$E2E_VIP" "$port"
d1_queues() {
  local got
  got=$(e2e_in director ipvsadm -L --json |
    jq -r '[.data_plane.workers[].queues[] | select(.interface == "d1") | .queue | tostring] | sort | join(",")')
  if [ "$E2E_IO" = afxdp ]; then e2e_expect_eq "d1 queues served" "$got" "0"; else [ -n "$got" ]; fi
}
e2e_check "ipvsadm -L --json: d1's one queue served" d1_queues
e2e_check "ipvsd is still running" e2e_ipvsd_alive
e2e_log "$((SECONDS - started)) s"
e2e_finish
