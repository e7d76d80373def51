# An empty table in every listing format, then a service without destinations: nothing to
# sort (the sanitizer build once aborted here, handing qsort a null pointer).
ipvsadm -Ln
ipvsadm -L
ipvsadm -Ln --stats
ipvsadm -Ln --rate
ipvsadm -Ln --thresholds
ipvsadm -Ln --persistent-conn
ipvsadm -Ln --tun-info
ipvsadm -Sn
ipvsadm -Lnc
ipvsadm -A -t 198.18.0.1:80 -s rr
ipvsadm -Ln
ipvsadm -Ln -t 198.18.0.1:80
ipvsadm -Sn
