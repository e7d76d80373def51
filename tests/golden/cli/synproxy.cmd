# ipvsd's extension: --synproxy on -A/-E makes the service a SYN proxy (docs/synproxy.md). The
# classic listing does not show it; -S and --json do, and -S fed to -R keeps it. Only TCP
# services with NAT real servers take it: the daemon refuses the rest (EINVAL).
ipvsadm -A -t 198.18.0.1:80 -s rr --synproxy
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.11 -m
ipvsadm -Ln
ipvsadm -Sn
ipvsadm -L --json -t 198.18.0.1:80
ipvsadm -Sn > "$GOLDEN_TMP/saved"
ipvsadm -C
ipvsadm -R < "$GOLDEN_TMP/saved"
ipvsadm -Sn > "$GOLDEN_TMP/again"
cmp "$GOLDEN_TMP/saved" "$GOLDEN_TMP/again" && echo identical
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.12 -g; echo "rc=$?" >&2
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.12 -i; echo "rc=$?" >&2
ipvsadm -e -t 198.18.0.1:80 -r 198.18.1.11 -g; echo "rc=$?" >&2
ipvsadm -A -u 198.18.0.1:53 --synproxy; echo "rc=$?" >&2
ipvsadm -A -f 7 --synproxy; echo "rc=$?" >&2
ipvsadm -A -t 198.18.0.2:80 -s rr
ipvsadm -a -t 198.18.0.2:80 -r 198.18.1.11
ipvsadm -E -t 198.18.0.2:80 -s rr --synproxy; echo "rc=$?" >&2
ipvsadm -E -t 198.18.0.1:80 -s rr
ipvsadm -Sn
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.11 --synproxy; echo "rc=$?" >&2
ipvsadm -L --synproxy; echo "rc=$?" >&2
