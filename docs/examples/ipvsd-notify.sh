#!/bin/sh
# keepalived notify script for an ipvsd director of a VRRP pair (docs/ha.md, "VRRP pair"):
# the director that holds the VIP is the sync master, the other one the sync backup that
# learns its connections, so that it can take them over.
#
# keepalived calls it as:  ipvsd-notify.sh GROUP|INSTANCE NAME STATE [PRIORITY]
# Settings come from the environment (a two-line wrapper script can set them):
#   SYNC_IFACE    interface the sync multicast uses (default eth1)
#   SYNC_ID       sync id shared by the pair (default 1)
#   IPVSADM       the ipvsadm to run (default ipvsadm)
#   IPVSD_SOCKET  ipvsd's control socket, when not the default one
SYNC_IFACE=${SYNC_IFACE:-eth1}
SYNC_ID=${SYNC_ID:-1}
IPVSADM=${IPVSADM:-ipvsadm}

start() { "$IPVSADM" --start-daemon "$1" --mcast-interface "$SYNC_IFACE" --syncid "$SYNC_ID"; }
# Stopping a role that does not run fails harmlessly.
stop() { "$IPVSADM" --stop-daemon "$1" 2>/dev/null || true; }

case $3 in
  MASTER)
    stop backup
    start master
    ;;
  BACKUP | FAULT)
    stop master
    start backup
    ;;
  STOP)
    stop master
    stop backup
    ;;
esac
