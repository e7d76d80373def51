# Firewall-mark services, IPv4 and IPv6 (-f N -6), persistence with netmasks.
ipvsadm -A -f 1 -s rr
ipvsadm -A -f 2 -6 -s rr
ipvsadm -A -f 10 -s wlc -p 600 -M 255.255.0.0
ipvsadm -A -f 11 -6 -s wlc -p -M 48
ipvsadm -A -f 4294967295 -s rr
ipvsadm -a -f 1 -r 198.18.1.1
ipvsadm -a -f 2 -6 -r [2001:db8:1::1]:80 -m
ipvsadm -a -f 10 -r 198.18.1.2:443 -m
ipvsadm -A -t 198.18.0.1:0 -s rr -p 300 -M 255.255.255.0
ipvsadm -A -t [2001:db8::1]:0 -s rr -p 300 -M 64
ipvsadm -A -u 198.18.0.1:0 -p 1
ipvsadm -A -t 198.18.0.9:80 -p 2678400
ipvsadm -Ln
ipvsadm -Sn
ipvsadm -Ln -f 2 -6
ipvsadm -Ln -f 2
