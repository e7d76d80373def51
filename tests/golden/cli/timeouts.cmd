# --set changes the engine's timeouts (0 keeps a value); -L --timeout shows them.
ipvsadm -L --timeout
ipvsadm --set 3600 60 600
ipvsadm -L --timeout
ipvsadm --set 0 30 0
ipvsadm -Ln --timeout
ipvsadm --set 2678400 1 0
ipvsadm -L --timeout
