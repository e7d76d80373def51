# --stats, --rate, --thresholds, --persistent-conn, --tun-info, --exact, --nosort.
ipvsadm -A -t 198.18.0.1:80 -s rr
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.3:80 -m -x 100 -y 10
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1:80 -m -w 5 -x 2000
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.2:80 -i
ipvsadm -A -f 7 -s wlc
ipvsadm -a -f 7 -r 198.18.2.1:0 -g
ipvsadm -A -u [2001:db8::1]:53 -s rr -p 60
ipvsadm -a -u [2001:db8::1]:53 -r [2001:db8:1::5]:53 -m
ipvsadm -Ln --stats
ipvsadm -Ln --stats --exact
ipvsadm -Ln --rate
ipvsadm -Ln --rate --exact
ipvsadm -Ln --thresholds
ipvsadm -Ln --persistent-conn
ipvsadm -Ln --tun-info
ipvsadm -Ln --nosort
ipvsadm -Ln --stats -t 198.18.0.1:80
ipvsadm -Ln --rate -f 7
ipvsadm -Ln --thresholds -u [2001:db8::1]:53
