# --nosort keeps the daemon's order: services as added, destinations newest first.
ipvsadm -A -t 198.18.0.9:80
ipvsadm -A -f 3
ipvsadm -A -t 198.18.0.1:80
ipvsadm -A -u 198.18.0.1:80
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.5
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.3
ipvsadm -Ln
ipvsadm -Ln --nosort
ipvsadm -Sn --nosort
