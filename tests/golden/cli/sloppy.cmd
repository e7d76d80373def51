# ipvsd's extension: --sloppy on -A/-E sets the service's sloppy flag (sloppy_tcp/sloppy_sctp
# for this service alone). The classic listing does not show it; -S and --json do, and -S
# fed to -R keeps it. -E without --sloppy clears it, as -E replaces every flag.
ipvsadm -A -t 198.18.0.1:80 -s mh -b mh-port --sloppy
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.11 -g
ipvsadm -A --sctp-service 198.18.0.1:9 -s rr --sloppy
ipvsadm -A -f 7 -s mh -p 60 --sloppy -b mh-fallback
ipvsadm -A -u 198.18.0.1:53 -s rr
ipvsadm -Ln
ipvsadm -Sn
ipvsadm -L --json -t 198.18.0.1:80
ipvsadm -Sn > "$GOLDEN_TMP/saved"
ipvsadm -C
ipvsadm -R < "$GOLDEN_TMP/saved"
ipvsadm -Sn > "$GOLDEN_TMP/again"
cmp "$GOLDEN_TMP/saved" "$GOLDEN_TMP/again" && echo identical
ipvsadm -E -t 198.18.0.1:80 -s mh
ipvsadm -E -u 198.18.0.1:53 -s rr --sloppy
ipvsadm -Sn
# Only -A and -E take it, once, and it has no argument.
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.12 --sloppy; echo "rc=$?" >&2
ipvsadm -e -t 198.18.0.1:80 -r 198.18.1.11 --sloppy; echo "rc=$?" >&2
ipvsadm -D -t 198.18.0.1:80 --sloppy; echo "rc=$?" >&2
ipvsadm -L --sloppy; echo "rc=$?" >&2
ipvsadm -S --sloppy; echo "rc=$?" >&2
ipvsadm -A -t 198.18.0.2:80 --sloppy --sloppy; echo "rc=$?" >&2
ipvsadm -A -t 198.18.0.2:80 --sloppy=1; echo "rc=$?" >&2
ipvsadm -A -t 198.18.0.2:80 --slopp; echo "rc=$?" >&2
