ipvsadm -h
ipvsadm --help
ipvsadm -v
ipvsadm --version
