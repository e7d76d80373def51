# --socket PATH / --socket=PATH anywhere on the line, else $IPVSD_SOCKET; an unreachable
# daemon gives ipvsadm's init failure (exit 2) with what is wrong and what to do.
ipvsadm -A -t 198.18.0.1:80
IPVSD_SOCKET=/nonexistent ipvsadm -Ln --socket "$IPVSD_SOCKET"
IPVSD_SOCKET=/nonexistent ipvsadm --socket="$IPVSD_SOCKET" -Sn
ipvsadm -Sn --socket
# The message names the socket: its scratch-directory part is printed as $GOLDEN_TMP.
ipvsadm --socket "$GOLDEN_TMP/missing.sock" -h 2>"$GOLDEN_TMP/err"; rc=$?; sed "s|$GOLDEN_TMP|\$GOLDEN_TMP|g" "$GOLDEN_TMP/err" >&2; echo "rc=$rc" >&2
IPVSD_SOCKET="$GOLDEN_TMP/missing.sock" ipvsadm -Ln 2>"$GOLDEN_TMP/err"; rc=$?; sed "s|$GOLDEN_TMP|\$GOLDEN_TMP|g" "$GOLDEN_TMP/err" >&2; exit $rc
