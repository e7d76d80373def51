# ipvsd's extension: -L --json prints the same table as JSON; not combinable with -S.
ipvsadm -A -t 198.18.0.1:80 -s sh -b sh-port -p 30 -M 255.255.255.0
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.2:8080 -m -w 3 -x 10 -y 2
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1 -i --tun-type gue --tun-port 6080 --tun-csum
ipvsadm -A -f 4 -6 --pe sip -p
ipvsadm -L --json
ipvsadm -L --json -f 4 -6
ipvsadm -L --json --timeout
ipvsadm -L --json --daemon
ipvsadm -L --json -c
ipvsadm -S --json
