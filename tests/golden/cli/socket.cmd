# --socket PATH / --socket=PATH anywhere on the line, else $IPVSD_SOCKET; an unreachable
# daemon gives ipvsadm's init failure (exit 2).
ipvsadm -A -t 198.18.0.1:80
IPVSD_SOCKET=/nonexistent ipvsadm -Ln --socket "$IPVSD_SOCKET"
IPVSD_SOCKET=/nonexistent ipvsadm --socket="$IPVSD_SOCKET" -Sn
ipvsadm -Sn --socket
ipvsadm --socket "$GOLDEN_TMP/missing.sock" -h; echo "rc=$?" >&2
IPVSD_SOCKET="$GOLDEN_TMP/missing.sock" ipvsadm -Ln
