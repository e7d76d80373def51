# -S output fed to -C then -R rebuilds the identical table; -R drops "ipvsadm" tokens and
# blank lines. -R is one transaction: the whole input is parsed first, its changes reach ipvsd
# as one batch, and the first bad line is reported (ipvsadm's message, then its line number)
# with nothing of the input applied.
ipvsadm -A -t 198.18.0.1:80 -s rr -p 100 -M 255.255.255.0
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1:8080 -m -w 4
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.2:80 -i --tun-type gue --tun-port 6080 --tun-remcsum
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.3:80 -i --tun-type gre --tun-csum
ipvsadm -A -u 198.18.0.1:53 -s sh -b sh-port -o
ipvsadm -a -u 198.18.0.1:53 -r 198.18.1.4:53 -g -w 0
ipvsadm -A -f 5 -6 -s mh -b mh-fallback -p 30 -M 96
ipvsadm -a -f 5 -6 -r [2001:db8::5]:0 -m
ipvsadm -A --sctp-service [2001:db8::1]:9 --pe sip -p
ipvsadm -Sn > "$GOLDEN_TMP/saved"
ipvsadm -C
ipvsadm -Ln
ipvsadm -R < "$GOLDEN_TMP/saved"
ipvsadm -Sn > "$GOLDEN_TMP/again"
cmp "$GOLDEN_TMP/saved" "$GOLDEN_TMP/again" && echo identical
ipvsadm -Sn
ipvsadm -C
printf 'ipvsadm -A -t 198.18.0.2:80\n\n   \n-a -t 198.18.0.2:80 -r 198.18.1.9 ipvsadm\n\t-A -t 198.18.0.3:80 -s rr\n' | ipvsadm --restore
ipvsadm -Sn
# A daemon error prints its message and applies nothing: status 255.
printf -- '-A -t 198.18.0.2:80\n-A -t 198.18.0.4:80\n' | ipvsadm -R; echo "rc=$?" >&2
printf -- '-A -t 198.18.0.4:80\n-A -t 198.18.0.5:80\n' | ipvsadm -R; echo "rc=$?" >&2
printf -- '-A -t 198.18.0.12:80\n-A -t 198.18.0.12:80\n' | ipvsadm -R; echo "rc=$?" >&2
# A parse error ends the restore with status 2 before anything is sent.
printf -- '-A -t 198.18.0.6:80\n-A -t 198.18.0.7:80 -w 2\n-A -t 198.18.0.8:80\n' | ipvsadm -R; echo "rc=$?" >&2
# A popt error stops it as well (status 255).
printf -- '-A -t 198.18.0.9:80 --bogus\n-A -t 198.18.0.10:80\n' | ipvsadm -R; echo "rc=$?" >&2
# Listings run after the batch is applied (here: .13 is added, then the listing fails with
# status 1); a nested -R stops the restore with 255.
printf -- '-L -n -t 198.18.0.9:80\n-A -t 198.18.0.13:80\n' | ipvsadm -R; echo "rc=$?" >&2
printf -- '-R\n-A -t 198.18.0.11:80\n' | ipvsadm -R; echo "rc=$?" >&2
# Tokens are split on blanks only: "#" starts no comment (config_stream.c never detects one).
printf -- '-A -t 198.18.0.14:80 # comment\n' | ipvsadm -R; echo "rc=$?" >&2
ipvsadm -Sn
