# Every forwarding method and tunnel type, shown by the default, --tun-info and -S listings.
ipvsadm -A -t 198.18.0.1:80 -s rr
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1:8080 -m
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.2:8080 -g
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.3 -i
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.4 -i --tun-type ipip
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.5 -i --tun-type gue --tun-port 6080
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.6 -i --tun-type gue --tun-port 6081 --tun-nocsum
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.7 -i --tun-type gue --tun-port 6082 --tun-csum
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.8 -i --tun-type gue --tun-port 65535 --tun-remcsum
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.9 -i --tun-type gre
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.10 -i --tun-type gre --tun-csum
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.11 -i --tun-type gre --tun-nocsum
ipvsadm -a -t 198.18.0.1:80 -r 2001:db8::11 -i --tun-type gue --tun-port 7000 --tun-csum
ipvsadm -A -t [2001:db8::1]:80 -s rr
ipvsadm -a -t [2001:db8::1]:80 -r 198.18.1.20 --ipip
ipvsadm -a -t [2001:db8::1]:80 -r [2001:db8::20]:80 --gatewaying
ipvsadm -a -t [2001:db8::1]:80 -r [2001:db8::21]:81 --masquerading
ipvsadm -Ln
ipvsadm -Ln --tun-info
ipvsadm -Sn
