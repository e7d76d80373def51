# -E, -e, -d, -D, -Z, -C.
ipvsadm -A -t 198.18.0.1:80 -s rr
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.1 -w 2
ipvsadm -a -t 198.18.0.1:80 -r 198.18.1.2 -m
ipvsadm -E -t 198.18.0.1:80 -s wrr -p 50
ipvsadm -e -t 198.18.0.1:80 -r 198.18.1.2 -m -w 9 -x 50 -y 5
ipvsadm -e -t 198.18.0.1:80 -r 198.18.1.1 -i
ipvsadm -Ln --thresholds
ipvsadm -E -t 198.18.0.1:80
ipvsadm -Ln
ipvsadm -d -t 198.18.0.1:80 -r 198.18.1.1
ipvsadm -Z
ipvsadm -Z -t 198.18.0.1:80
ipvsadm --zero --tcp-service 198.18.0.1:80
ipvsadm -Ln
ipvsadm -D -t 198.18.0.1:80
ipvsadm -Ln
ipvsadm -A -t 198.18.0.1:80
ipvsadm -A -u 198.18.0.1:80
ipvsadm --clear
ipvsadm -Ln
