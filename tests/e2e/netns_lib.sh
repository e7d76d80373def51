# tests/e2e/netns_lib.sh — network-namespace topologies for the end-to-end tests and the demo.
# Sourced, not run. The shape of the kernel's selftest ipvs.sh, made general (docs/e2e.md has
# the picture):
#
#   client ns   c0 198.18.0.2 ------+
#                                   |  br0 "client LAN" 198.18.0.0/24  (switch ns)
#   director ns d0 198.18.0.1 ------+------------------- rsI: rIc 198.18.0.1I (direct replies, DR/TUN)
#               d1 198.18.1.1 ------+  br1 "server LAN" 198.18.1.0/24  (switch ns)
#                                   +------------------- rsI: rIs 198.18.1.1I
#   VIP 198.19.0.1 (IPv6: client LAN 2001:db8::/64, server LAN 2001:db8:1::/64, VIP 2001:db8:ff::1)
#
# Rules (DESIGN.md "Test network rules"): namespaces are named ipvsd-<test>-<pid>-<role>, only
# 198.18.0.0/15 and 2001:db8::/32 are used, every process runs under timeout(1), and an EXIT
# trap kills every process and deletes every namespace (and with it every link), whatever
# happened. Skips exit with 4 (kselftest's ksft_skip), failures with 1.
#
#   source "$(dirname "$0")/netns_lib.sh"
#   e2e_init fwd "$1"                 # test name, directory of ipvsd/ipvsadm/ipvs-agent/e2e_peer
#   e2e_topology 3                    # client, switch, director, rs1..rs3
#   e2e_rs_setup nat 1 2 3            # real servers for NAT (dr, tun: VIP on lo, ...)
#   e2e_start_servers 8080            # e2e_peer serve on every real server, answering "rsI"
#   e2e_start_ipvsd                   # in the director, on d0 and d1, --io $E2E_IO
#   e2e_ipvsadm -A -t "$E2E_VIP:8080" -s rr
#   e2e_check "9 connections answered" e2e_in client e2e_peer tcp-names "$E2E_VIP" 8080 9
#   e2e_finish

set -euo pipefail

readonly E2E_KSFT_SKIP=4
readonly E2E_VIP=198.19.0.1
readonly E2E_VIP6=2001:db8:ff::1
readonly E2E_CLIENT=198.18.0.2
readonly E2E_CLIENT6=2001:db8::2
readonly E2E_DIRECTOR_C=198.18.0.1
readonly E2E_DIRECTOR_C6=2001:db8::1
readonly E2E_DIRECTOR_S=198.18.1.1
readonly E2E_DIRECTOR_S6=2001:db8:1::1
readonly E2E_GUE_PORT=6080
# Bound for one foreground command run in a namespace (e2e_in); background ones give their own.
E2E_CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-20}
# Packet I/O of ipvsd: auto, afxdp or afpacket (tests take it from their second argument).
E2E_IO=${E2E_IO:-auto}
# Deployment knobs (docs/e2e.md "Multi-queue interfaces"); the defaults are what every test
# was written for. E2E_QUEUES: tx and rx queues of every veth end e2e_link makes (a veth hands
# a packet to the peer's rx queue of the sender's tx queue, so with more than one, flows spread
# over rx queues as RSS spreads them on a NIC). E2E_WORKERS: ipvsd's --workers.
# E2E_OFFLOADS: off (e2e_link turns the veth offloads off) or on (a fresh veth's offloads kept).
E2E_QUEUES=${E2E_QUEUES:-1}
E2E_WORKERS=${E2E_WORKERS:-2}
E2E_OFFLOADS=${E2E_OFFLOADS:-off}
# E2E_FLOW_OFFLOAD: ipvsd's --flow-offload with AF_XDP (on, its default, or off). The switch ports
# facing the director run GRO either way: a veth takes frames from an XDP program (XDP_TX, a
# redirect) only while its peer runs NAPI, which GRO turns on, as a NIC's driver always takes them.
E2E_FLOW_OFFLOAD=${E2E_FLOW_OFFLOAD:-on}

E2E_NAME=
E2E_BIN=
E2E_WORK=
E2E_FAILS=0
E2E_CHECKS=0
E2E_RS_COUNT=0
E2E_IPVSD_PID=
E2E_NAMESPACES=()
E2E_PIDS=()
E2E_CLEANED=0

# Real server I's addresses.
e2e_rs_ip() { echo "198.18.1.$((10 + $1))"; }
e2e_rs_ip6() { echo "2001:db8:1::$((10 + $1))"; }
e2e_rs_lan_ip() { echo "198.18.0.$((10 + $1))"; }
e2e_rs_lan_ip6() { echo "2001:db8::$((10 + $1))"; }

e2e_log() { echo "[$E2E_NAME] $*"; }

e2e_skip() {
  echo "SKIP: $E2E_NAME: $*"
  exit "$E2E_KSFT_SKIP"
}

e2e_die() {
  echo "FAIL: $E2E_NAME: $*"
  exit 1
}

# e2e_init NAME BINDIR: checks what the test needs (root, tools, our binaries), makes a work
# directory and installs the cleanup trap. Must be called before anything is created.
e2e_init() {
  E2E_NAME=$1
  local bindir=${2:?usage: e2e_init NAME BINDIR}
  [ "$(id -u)" = 0 ] || e2e_skip "needs root (network namespaces)"
  local tool
  for tool in ip ss pgrep timeout ethtool sysctl mktemp cmp jq; do
    command -v "$tool" >/dev/null 2>&1 || e2e_skip "missing tool: $tool"
  done
  [[ $E2E_QUEUES =~ ^[1-9][0-9]*$ ]] || e2e_die "E2E_QUEUES must be a number of queues, not '$E2E_QUEUES'"
  [[ $E2E_WORKERS =~ ^[1-9][0-9]*$ ]] || e2e_die "E2E_WORKERS must be a number of workers, not '$E2E_WORKERS'"
  [[ $E2E_OFFLOADS == on || $E2E_OFFLOADS == off ]] || e2e_die "E2E_OFFLOADS must be on or off, not '$E2E_OFFLOADS'"
  [[ $E2E_FLOW_OFFLOAD == on || $E2E_FLOW_OFFLOAD == off ]] ||
    e2e_die "E2E_FLOW_OFFLOAD must be on or off, not '$E2E_FLOW_OFFLOAD'"
  E2E_BIN=$(cd "$bindir" && pwd)
  for tool in ipvsd ipvsadm ipvs-agent e2e_peer; do
    [ -x "$E2E_BIN/$tool" ] || e2e_die "$E2E_BIN/$tool is not built"
  done
  E2E_WORK=$(mktemp -d "/tmp/ipvsd-$E2E_NAME.$$.XXXXXX")
  trap e2e_cleanup EXIT
  # exit runs the EXIT trap; a plain trap on INT/TERM would let the script carry on.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

# Kills every process the test started (by pid, then whatever still runs inside the test's
# own namespaces, which only it can have started) and deletes the namespaces. The test can
# build a new topology afterwards (ipvs.sh rebuilds it for every case).
e2e_teardown() {
  local pid ns
  # Everything here may find its target gone already: no step may stop the others (set -e).
  # ipvsd first, with SIGTERM, so that it detaches its XDP programs and removes its nftables table.
  if [ -n "$E2E_IPVSD_PID" ]; then
    kill "$E2E_IPVSD_PID" 2>/dev/null || true
    e2e_wait_gone "$E2E_IPVSD_PID" 50 || e2e_log "ipvsd did not exit within 5 s of SIGTERM"
  fi
  for pid in "${E2E_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in "${E2E_NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  for pid in "${E2E_PIDS[@]}"; do e2e_wait_gone "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true; done
  for ns in "${E2E_NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || e2e_log "could not delete namespace $ns"
  done
  # The connection stores: a later topology of the same test starts with empty tables.
  rm -rf "/dev/shm/ipvsd-$E2E_NAME-$$-"*
  # Reap the background jobs so that bash does not report them later.
  wait 2>/dev/null || true
  E2E_IPVSD_PID=
  E2E_PIDS=()
  E2E_NAMESPACES=()
  E2E_RS_COUNT=0
  E2E_AGENT_PIDS=()
}

# The EXIT trap: on failure the end of ipvsd's log, then e2e_teardown and the work directory.
e2e_cleanup() {
  local rc=$?
  [ "$E2E_CLEANED" = 1 ] && return
  E2E_CLEANED=1
  set +e
  trap - INT TERM HUP
  if [ "$rc" != 0 ] && [ "$rc" != "$E2E_KSFT_SKIP" ] && [ -s "$E2E_WORK/ipvsd.log" ]; then
    echo "--- last lines of the ipvsd log"
    tail -n 20 "$E2E_WORK/ipvsd.log"
  fi
  e2e_teardown
  [ -n "$E2E_WORK" ] && rm -rf "$E2E_WORK"
  exit "$rc"
}

# e2e_wait_gone PID TENTHS: true once PID has exited, waiting at most TENTHS/10 seconds.
e2e_wait_gone() {
  local i
  for ((i = 0; i < $2; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  ! kill -0 "$1" 2>/dev/null
}

e2e_ns() { echo "ipvsd-$E2E_NAME-$$-$1"; }

# e2e_in ROLE CMD...: runs CMD in ROLE's namespace, bounded by E2E_CMD_TIMEOUT seconds. Our
# own tools are found by name.
e2e_in() {
  local role=$1
  shift
  PATH="$E2E_BIN:$PATH" ip netns exec "$(e2e_ns "$role")" timeout --kill-after=2 "$E2E_CMD_TIMEOUT" "$@"
}

# e2e_bg ROLE SECONDS LOG CMD...: starts CMD in the background in ROLE's namespace for at most
# SECONDS, output to LOG; its pid is recorded for cleanup and left in E2E_LAST_PID.
E2E_LAST_PID=
e2e_bg() {
  local role=$1 seconds=$2 log=$3
  shift 3
  PATH="$E2E_BIN:$PATH" ip netns exec "$(e2e_ns "$role")" timeout --kill-after=2 "$seconds" "$@" >"$log" 2>&1 &
  E2E_LAST_PID=$!
  E2E_PIDS+=("$E2E_LAST_PID")
}

e2e_add_ns() {
  local ns
  ns=$(e2e_ns "$1")
  ip netns add "$ns"
  E2E_NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
}

# A user-space data plane sees frames as the wire would carry them only without the veth
# offloads: with them, TCP hands over 64 KB GSO frames with half-computed checksums.
e2e_no_offloads() {
  ip netns exec "$(e2e_ns "$1")" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
}

# e2e_veth_ends: every veth end of e2e_topology as "ROLE DEV".
e2e_veth_ends() {
  local i
  echo "client c0"
  echo "director d0"
  echo "director d1"
  echo "switch p-c0"
  echo "switch p-d0"
  echo "switch p-d1"
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    echo "rs$i r${i}s"
    echo "rs$i r${i}c"
    echo "switch p-r${i}s"
    echo "switch p-r${i}c"
  done
}

# e2e_director_peers_take_xdp: GRO on the switch ports facing the director (E2E_FLOW_OFFLOAD).
e2e_director_peers_take_xdp() {
  ip netns exec "$(e2e_ns switch)" ethtool -K p-d0 gro on >/dev/null
  ip netns exec "$(e2e_ns switch)" ethtool -K p-d1 gro on >/dev/null
}

# e2e_set_offloads on|off: every veth end of the topology. "on" is a fresh veth's default
# (checksum offload, TSO, GSO; GRO is off by default on veth), what users run; "off" is what
# e2e_link sets.
e2e_set_offloads() {
  local role dev
  while read -r role dev; do
    ip netns exec "$(e2e_ns "$role")" ethtool -K "$dev" tx "$1" rx "$1" tso "$1" gso "$1" gro off \
      >/dev/null 2>&1 || true
  done < <(e2e_veth_ends)
  e2e_director_peers_take_xdp
}

# e2e_link ROLE_A IF_A ROLE_B IF_B [QUEUES]: a veth pair between two namespaces, both ends up,
# each end with QUEUES (default E2E_QUEUES) tx and rx queues, its offloads off unless
# E2E_OFFLOADS=on.
e2e_link() {
  local n=${5:-$E2E_QUEUES}
  local q=(numtxqueues "$n" numrxqueues "$n")
  ip link add "$2" netns "$(e2e_ns "$1")" "${q[@]}" type veth peer name "$4" netns "$(e2e_ns "$3")" "${q[@]}"
  if [ "$E2E_OFFLOADS" != on ]; then
    e2e_no_offloads "$1" "$2"
    e2e_no_offloads "$3" "$4"
  fi
  ip -n "$(e2e_ns "$1")" link set "$2" up
  ip -n "$(e2e_ns "$3")" link set "$4" up
}

e2e_sysctl() {
  local role=$1
  shift
  ip netns exec "$(e2e_ns "$role")" sysctl -qw "$@" >/dev/null
}

# e2e_switch: the switch namespace's two bridges, br0 (client LAN) and br1 (server LAN), up.
e2e_switch() {
  local sw
  sw=$(e2e_ns switch)
  e2e_sysctl switch net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link add br1 type bridge
  ip -n "$sw" link set br0 up
  ip -n "$sw" link set br1 up
}

# e2e_topology N: client, switch (two bridges), director and real servers rs1..rsN, with
# addresses, routes and forwarding; no IPVS configuration and no VIP yet.
e2e_topology() {
  local n=$1 i
  E2E_RS_COUNT=$n
  e2e_log "topology: client, director, switch, $n real servers (namespaces ipvsd-$E2E_NAME-$$-*)"
  e2e_add_ns client
  e2e_add_ns switch
  e2e_add_ns director
  for ((i = 1; i <= n; i++)); do e2e_add_ns "rs$i"; done

  e2e_switch
  local sw
  sw=$(e2e_ns switch)
  # Through the switch's bridge a queue index comes out one lower (docs/e2e.md "Multi-queue
  # interfaces"): the senders' links get one queue more, so that every queue of the director's
  # E2E_QUEUES receives.
  local sender_queues=$((E2E_QUEUES > 1 ? E2E_QUEUES + 1 : 1))
  e2e_link client c0 switch p-c0 "$sender_queues"
  e2e_link director d0 switch p-d0
  e2e_link director d1 switch p-d1
  ip -n "$sw" link set p-c0 master br0
  ip -n "$sw" link set p-d0 master br0
  ip -n "$sw" link set p-d1 master br1
  e2e_director_peers_take_xdp

  local c d
  c=$(e2e_ns client)
  d=$(e2e_ns director)
  e2e_sysctl client net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$c" addr add "$E2E_CLIENT/24" dev c0
  ip -n "$c" addr add "$E2E_CLIENT6/64" dev c0 nodad
  ip -n "$c" route add default via "$E2E_DIRECTOR_C"
  ip -n "$c" -6 route add default via "$E2E_DIRECTOR_C6"

  e2e_sysctl director net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$d" addr add "$E2E_DIRECTOR_C/24" dev d0
  ip -n "$d" addr add "$E2E_DIRECTOR_C6/64" dev d0 nodad
  ip -n "$d" addr add "$E2E_DIRECTOR_S/24" dev d1
  ip -n "$d" addr add "$E2E_DIRECTOR_S6/64" dev d1 nodad

  for ((i = 1; i <= n; i++)); do
    local r
    r=$(e2e_ns "rs$i")
    # keep_addr_on_down: NAT takes the client-LAN leg down, DR/TUN brings it back up, and
    # IPv6 addresses would otherwise be gone by then.
    e2e_sysctl "rs$i" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1
    e2e_link "rs$i" "r${i}s" switch "p-r${i}s" "$sender_queues"
    e2e_link "rs$i" "r${i}c" switch "p-r${i}c" "$sender_queues"
    ip -n "$sw" link set "p-r${i}s" master br1
    ip -n "$sw" link set "p-r${i}c" master br0
    ip -n "$r" addr add "$(e2e_rs_ip "$i")/24" dev "r${i}s"
    ip -n "$r" addr add "$(e2e_rs_ip6 "$i")/64" dev "r${i}s" nodad
    ip -n "$r" addr add "$(e2e_rs_lan_ip "$i")/24" dev "r${i}c"
    ip -n "$r" addr add "$(e2e_rs_lan_ip6 "$i")/64" dev "r${i}c" nodad
  done
}

# The VIP on the director's lo (as ipvs.sh's lo:1), so that the director owns it.
e2e_director_vip() {
  ip -n "$(e2e_ns director)" addr add "$E2E_VIP/32" dev lo
  ip -n "$(e2e_ns director)" addr add "$E2E_VIP6/128" dev lo nodad
}

# e2e_rs_setup MODE I...: prepares real servers for nat, dr or tun (tun-gue is tun), undoing
# what another mode set up, so one topology can run every mode in turn.
#   nat: no direct path to the clients, default route via the director; no VIP.
#   dr:  VIP on lo, arp_ignore=1, arp_announce=2, rp_filter=0; replies go straight to the
#        client over the client LAN.
#   tun: dr, plus ipvs-agent --decap (this kernel has no ipip module; the agent is tunl0).
# Each call also gives the client source ports no earlier call gave it: a datagram from a
# port an earlier mode used would belong to that mode's connection (UDP's lives 300 s after
# ipvsadm -C) and be forwarded the earlier way, as kernel IPVS forwards it.
E2E_RS_SETUPS=0
e2e_rs_setup() {
  local mode=$1 i
  shift
  local first=$((20000 + (E2E_RS_SETUPS % 10) * 4000))
  E2E_RS_SETUPS=$((E2E_RS_SETUPS + 1))
  e2e_sysctl client "net.ipv4.ip_local_port_range=$first $((first + 3999))"
  for i in "$@"; do
    local r role="rs$i"
    r=$(e2e_ns "$role")
    ip -n "$r" route del default 2>/dev/null || true
    ip -n "$r" -6 route del default 2>/dev/null || true
    ip -n "$r" addr del "$E2E_VIP/32" dev lo 2>/dev/null || true
    ip -n "$r" addr del "$E2E_VIP6/128" dev lo 2>/dev/null || true
    case $mode in
      nat)
        ip -n "$r" link set "r${i}c" down
        ip -n "$r" route add default via "$E2E_DIRECTOR_S"
        ip -n "$r" -6 route add default via "$E2E_DIRECTOR_S6"
        ;;
      dr | tun)
        ip -n "$r" link set "r${i}c" up
        e2e_sysctl "$role" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
          net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
          "net.ipv4.conf.r${i}s.rp_filter=0" "net.ipv4.conf.r${i}c.rp_filter=0"
        ip -n "$r" addr add "$E2E_VIP/32" dev lo
        ip -n "$r" addr add "$E2E_VIP6/128" dev lo nodad
        [ "$mode" = tun ] && e2e_start_agent "$i"
        ;;
      *) e2e_die "e2e_rs_setup: unknown mode $mode" ;;
    esac
  done
  # The default route via the director goes back in after the link came up (NAT) or not at all.
  return 0
}

# Starts ipvs-agent --decap on real server I (once) and waits for its TUN device. The agent's
# own pid (the child of timeout) is left in E2E_AGENT_PIDS[I].
declare -A E2E_AGENT_PIDS=()
e2e_start_agent() {
  local i=$1 k
  [ -n "${E2E_AGENT_PIDS[$i]:-}" ] && return 0
  e2e_bg "rs$i" 600 "$E2E_WORK/agent$i.log" ipvs-agent --decap --tun-dev decap0 --gue-port "$E2E_GUE_PORT"
  for k in $(seq 1 50); do
    if ip -n "$(e2e_ns "rs$i")" link show decap0 >/dev/null 2>&1; then
      E2E_AGENT_PIDS[$i]=$(pgrep -P "$E2E_LAST_PID" -x ipvs-agent || true)
      return 0
    fi
    sleep 0.1
  done
  cat "$E2E_WORK/agent$i.log"
  e2e_die "ipvs-agent did not start on rs$i"
}

# e2e_start_servers PORT: e2e_peer serve on every real server (TCP and UDP, IPv4 and IPv6),
# answering with the server's name rsI; waits until each listens.
e2e_start_servers() {
  local srv_port=$1 i k
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    e2e_bg "rs$i" 600 "$E2E_WORK/server$i-$srv_port.log" e2e_peer serve "$srv_port" "rs$i"
  done
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    for k in $(seq 1 50); do
      [ -n "$(ip netns exec "$(e2e_ns "rs$i")" ss -Hltn "sport = :$srv_port" 2>/dev/null)" ] && break
      sleep 0.1
    done
  done
}

# e2e_run_ipvsd ROLE SOCKET LOG ARGS...: ipvsd in ROLE's namespace with control socket SOCKET,
# its output in LOG; returns once ipvsadm gets an answer, with the pid of timeout(1) around it
# in E2E_LAST_PID. Prints the log and fails the test if it does not start.
e2e_run_ipvsd() {
  local role=$1 sock=$2 log=$3 pid k
  shift 3
  rm -f "$sock"
  e2e_bg "$role" 900 "$log" ipvsd --socket "$sock" --rules none --conn-store "$(e2e_conn_store "$role")" "$@"
  pid=$E2E_LAST_PID
  for k in $(seq 1 100); do
    if [ -S "$sock" ] && "$E2E_BIN/ipvsadm" --socket "$sock" -Ln >/dev/null 2>&1; then
      E2E_LAST_PID=$pid
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log"
  e2e_die "ipvsd did not start in $role"
}

# e2e_conn_store ROLE: the connection store of ipvsd in ROLE (a tmpfs directory, as ipvsd's
# default /dev/shm/ipvsd): kept when ipvsd is killed, so that a restart adopts the connections;
# e2e_stop_ipvsd and the EXIT trap remove it.
e2e_conn_store() { echo "/dev/shm/ipvsd-$E2E_NAME-$$-$1"; }

# e2e_queues ROLE DEV: "tx/rx" queue counts of a link, as the kernel made it.
e2e_queues() {
  ip -d -n "$(e2e_ns "$1")" link show "$2" 2>/dev/null |
    awk '{ for (i = 1; i < NF; i++) { if ($i == "numtxqueues") t = $(i + 1); if ($i == "numrxqueues") r = $(i + 1) } }
         END { print (t == "" ? "?" : t) "/" (r == "" ? "?" : r) }'
}

# e2e_start_ipvsd [ARGS...]: ipvsd in the director on d0 and d1 with a private control socket
# (exported as IPVSD_SOCKET for ipvsadm), --io $E2E_IO, --workers $E2E_WORKERS, and
# --flow-offload off when E2E_FLOW_OFFLOAD says so. The log is kept for failures.
e2e_start_ipvsd() {
  export IPVSD_SOCKET="$E2E_WORK/ipvsd.sock"
  # "on" is ipvsd's default, and a portable ipvsd (--io pcap) refuses it said aloud.
  [ "$E2E_FLOW_OFFLOAD" = off ] && set -- --flow-offload off "$@"
  e2e_log "start: ipvsd --iface d0 --iface d1 --io $E2E_IO --workers $E2E_WORKERS${*:+ $*}" \
    "(E2E_QUEUES=$E2E_QUEUES: d0 $(e2e_queues director d0) d1 $(e2e_queues director d1) tx/rx queues;" \
    "offloads $E2E_OFFLOADS)"
  e2e_run_ipvsd director "$IPVSD_SOCKET" "$E2E_WORK/ipvsd.log" --iface d0 --iface d1 --io "$E2E_IO" \
    --workers "$E2E_WORKERS" --conn-max 65536 "$@"
  E2E_IPVSD_PID=$E2E_LAST_PID
  # ipvsd's own account: its packet I/O, workers and what each serves.
  local line
  while read -r line; do e2e_log "ipvsd: $line"; done < <(grep -o 'data plane: .*\|flow offload: .*' "$E2E_WORK/ipvsd.log" | head -n 10)
  return 0
}

e2e_ipvsd_alive() { kill -0 "$E2E_IPVSD_PID" 2>/dev/null; }

# e2e_ipvsd_rss_mb: the resident memory of the ipvsd e2e_start_ipvsd started, in MB.
e2e_ipvsd_rss_mb() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$(pgrep -P "$E2E_IPVSD_PID" -x ipvsd)/status"; }

# e2e_stop_ipvsd: SIGTERM (ipvsd detaches its XDP programs and removes its nftables table), and
# SIGKILL if it is not gone within 5 s.
e2e_stop_ipvsd() {
  [ -n "${E2E_IPVSD_PID:-}" ] || return 0
  kill "$E2E_IPVSD_PID" 2>/dev/null || true
  e2e_wait_gone "$E2E_IPVSD_PID" 50 || kill -KILL "$E2E_IPVSD_PID" 2>/dev/null || true
  wait "$E2E_IPVSD_PID" 2>/dev/null || true
  E2E_IPVSD_PID=
  rm -rf "$(e2e_conn_store director)"
}

# e2e_ipvsadm ARGS...: ipvsadm in the director, printed as it would be typed there.
e2e_ipvsadm() {
  echo "  director# ipvsadm $*"
  e2e_in director ipvsadm "$@"
}

# e2e_check DESCRIPTION CMD...: runs CMD, prints "ok" or "FAIL" after the description, counts.
e2e_check() {
  local desc=$1
  shift
  E2E_CHECKS=$((E2E_CHECKS + 1))
  if "$@"; then
    echo "  ok    $desc"
  else
    echo "  FAIL  $desc"
    E2E_FAILS=$((E2E_FAILS + 1))
  fi
  return 0
}

# e2e_wait_until TENTHS CMD...: for e2e_check; true once CMD succeeds, trying for at most
# TENTHS/10 seconds.
e2e_wait_until() {
  local tenths=$1 k
  shift
  for ((k = 0; k < tenths; k++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# e2e_expect_eq WHAT GOT WANT: for e2e_check; prints the difference when they differ.
e2e_expect_eq() {
  [ "$2" = "$3" ] && return 0
  echo "        $1: got '$2', want '$3'"
  return 1
}

# e2e_count_names: reads names (one a line) and prints "name=count" sorted, space separated.
e2e_count_names() { sort | uniq -c | awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1}'; }

# e2e_names CMD...: runs an e2e_peer client in the client namespace; prints the answer counts
# ("rs1=3 rs2=3 rs3=3"), with "-" counting failed connections.
e2e_names() { e2e_in client e2e_peer "$@" | e2e_count_names; }

# e2e_expect_names WANT CMD...: e2e_names CMD... answers WANT.
e2e_expect_names() {
  local want=$1 got
  shift
  got=$(e2e_names "$@" || true)
  e2e_expect_eq "answers" "$got" "$want"
}

# e2e_add_rr_service PROTO_FLAG VIP:PORT METHOD_ARGS...: an rr service with every real server
# (1..E2E_RS_COUNT) on PORT, each added with METHOD_ARGS.
e2e_add_rr_service() {
  local flag=$1 addr=$2 i rport=${2##*:}
  shift 2
  e2e_ipvsadm -A "$flag" "$addr" -s rr
  for ((i = 1; i <= E2E_RS_COUNT; i++)); do
    local rs
    if [[ $addr == \[* ]]; then rs="[$(e2e_rs_ip6 "$i")]:$rport"; else rs="$(e2e_rs_ip "$i"):$rport"; fi
    e2e_ipvsadm -a "$flag" "$addr" -r "$rs" "$@"
  done
}

# e2e_finish: the verdict line and the exit code.
e2e_finish() {
  if [ "$E2E_FAILS" = 0 ]; then
    echo "PASS: $E2E_NAME ($E2E_CHECKS checks)"
    exit 0
  fi
  echo "FAIL: $E2E_NAME ($E2E_FAILS of $E2E_CHECKS checks failed)"
  exit 1
}
