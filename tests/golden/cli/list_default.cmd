# Every protocol, IPv4 and IPv6, the default listing with and without -n.
ipvsadm -A -t 198.18.0.1:80 -s rr
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.2:8080 -m -w 3
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1:8080 -m
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.10
ipvsadm -A -u 198.18.0.1:53 -s wrr
ipvsadm -a -u 198.18.0.1:53 -r 198.18.1.3 -w 0
ipvsadm -A --sctp-service 198.18.0.2:5060 -s lc
ipvsadm -a --sctp-service 198.18.0.2:5060 -r 198.18.1.4:5060 -m
ipvsadm -A -t [2001:db8::1]:443 -s wlc
ipvsadm -a -t [2001:db8::1]:443 -r [2001:db8:1::2]:8443 -m -w 65535
ipvsadm -a -t [2001:db8::1]:443 -r [2001:db8:1::1]:8443 -m
ipvsadm -A -u [2001:db8::1]:53
ipvsadm -A -t 198.18.0.1:22 -s sed
ipvsadm -Ln
ipvsadm -l -n
ipvsadm --list --numeric --sort
ipvsadm -Ln -t 198.18.0.1:80
ipvsadm -Ln -t [2001:db8::1]:443
ipvsadm -Ln --sctp-service 198.18.0.2:5060
