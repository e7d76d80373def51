# -c lists the daemon's connections in the -Lnc format (a control-plane-only ipvsd has none).
ipvsadm -Lnc
ipvsadm -L -c
ipvsadm -Lnc --persistent-conn
ipvsadm -L --connection --numeric --exact
