# Sync daemons: started, shown and stopped. The case's namespace has only lo: the default
# interface (eth0) does not exist there, which the kernel, too, answers with ENODEV.
ipvsadm -L --daemon
ipvsadm --start-daemon master
ipvsadm -L --daemon
ipvsadm --start-daemon master --mcast-interface lo
ipvsadm -L --daemon
ipvsadm --start-daemon master --mcast-interface lo
ipvsadm --start-daemon backup --mcast-interface lo --syncid 7 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 5
ipvsadm -L --daemon
ipvsadm --stop-daemon master
ipvsadm -L --daemon
ipvsadm --stop-daemon master
ipvsadm --stop-daemon backup --syncid 7
ipvsadm --start-daemon backup --mcast-interface eth1
ipvsadm --start-daemon master --mcast-interface lo --mcast-group ff02::81
ipvsadm -Ln --daemon
