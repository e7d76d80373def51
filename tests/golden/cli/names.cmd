# Without -n: host names from the resolver (127.0.0.1 is localhost in /etc/hosts) and
# service names from /etc/services for the service's protocol; unknown ports stay numeric.
ipvsadm -A -t 127.0.0.1:80 -s rr
ipvsadm -a -t 127.0.0.1:80 -r 127.0.0.1:8080 -m
ipvsadm -a -t 127.0.0.1:80 -r 127.0.0.1:31999 -m
ipvsadm -A -u localhost:domain
ipvsadm -a -u localhost:domain -r localhost:53 -m
ipvsadm -A --sctp-service 127.0.0.1:amqp
ipvsadm -A -t localhost:https -s sh -p
ipvsadm -A -f 3
ipvsadm -a -f 3 -r 127.0.0.1:22
ipvsadm -L
ipvsadm
ipvsadm -L --stats
ipvsadm -L -t localhost:http
ipvsadm -S
ipvsadm -Sn
