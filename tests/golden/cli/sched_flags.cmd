# Scheduler flags: sh-*, mh-*, flag-N, their printing per scheduler, and --pe.
ipvsadm -A -t 198.18.0.1:80 -s sh -b sh-fallback
ipvsadm -A -t 198.18.0.1:81 -s sh -b sh-port
ipvsadm -A -t 198.18.0.1:82 -s sh -b sh-fallback,sh-port
ipvsadm -A -t 198.18.0.1:83 -s mh -b mh-fallback,mh-port
ipvsadm -A -t 198.18.0.1:84 -s mh -b mh-port
ipvsadm -A -t 198.18.0.1:85 -b flag-1,flag-2,flag-3
ipvsadm -A -t 198.18.0.1:86 -s rr -b flag-2
ipvsadm -A -t 198.18.0.1:87 -s sh -b flag-1,flag-3
ipvsadm -A -u 198.18.0.1:5060 -s rr -p 120 --pe sip
ipvsadm -A -u 198.18.0.1:5061 -s rr --pe sip
ipvsadm -A -u 198.18.0.1:5062 -s rr -o
ipvsadm -A -f 9 -s rr -o
ipvsadm -Ln
ipvsadm -Sn
