# Sourced by the tests that need an ipvsd but no traffic (ipvsadm goldens, control-socket
# robustness and concurrency).
#
# start_control_plane BINDIR SOCK [ARGS...]: starts BINDIR/ipvsd on control socket SOCK in a
# network namespace of its own with only lo, so that it is a control plane only and never
# attaches its data plane to this machine's interfaces; ARGS come last (a later --rules wins
# over --rules none); sets daemon_pid (a job of the calling shell). Returns 1 if the socket
# does not appear (ipvsd exited, or took too long).
start_control_plane() {
  local bindir=$1 sock=$2
  shift 2
  local isolated=(unshare --net --)
  [ "$(id -u)" = 0 ] || isolated=(unshare --net --map-root-user --)
  "${isolated[@]}" "$bindir/ipvsd" --socket "$sock" --conn-max 4096 --log-level error --rules none "$@" &
  daemon_pid=$!
  for _ in $(seq 1 200); do
    [ -S "$sock" ] && return 0
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.01
  done
  return 1
}
