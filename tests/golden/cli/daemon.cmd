# Sync daemons: configuration stored and shown (the sync protocol itself is not there yet,
# which --start-daemon says on stderr).
ipvsadm -L --daemon
ipvsadm --start-daemon master
ipvsadm -L --daemon
ipvsadm --start-daemon master --mcast-interface lo
ipvsadm --start-daemon backup --mcast-interface eth1 --syncid 7 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 5
ipvsadm -L --daemon
ipvsadm --stop-daemon master
ipvsadm -L --daemon
ipvsadm --stop-daemon master
ipvsadm --stop-daemon backup --syncid 7
ipvsadm --start-daemon backup --mcast-group ff02::81
ipvsadm -Ln --daemon
