#!/usr/bin/env bash
# ipvs-healthd driving ipvsd with real processes and traffic (docs/healthd.md), DR, three real
# servers (DR: the director's own check connections to NAT real servers are a data-plane
# matter of their own, see docs/healthd.md):
#   - a keepalived.conf with VRRP parts (skipped with a notice) creates three services;
#   - killing rs2's web server takes it out of the table within delay_loop x retry, clients
#     see only rs1/rs3; restarting it brings it back (HTTP_GET), and its notify_down and
#     notify_up scripts run;
#   - inhibit_on_failure: a failing server stays listed with weight 0, and gets its weight back;
#   - quorum 2 with a sorry server: losing one of two servers brings the sorry server in (and
#     takes the survivor out), the servers come back when the quorum is regained;
#   - a config with errors (in an included file) is rejected with file:line, changes nothing;
#   - SIGHUP applies a changed weight without touching the other services; SIGTERM deletes
#     the services healthd created.
# Usage: test_health.sh BINDIR
source "$(dirname "$0")/netns_lib.sh"
e2e_init health "${1:?usage: test_health.sh BINDIR}"
[ -x "$E2E_BIN/ipvs-healthd" ] || e2e_die "$E2E_BIN/ipvs-healthd is not built"

readonly rs1=$(e2e_rs_ip 1) rs2=$(e2e_rs_ip 2) rs3=$(e2e_rs_ip 3)
readonly delay_loop=1 retry=2
declare -A SERVER_PID=()

# serve I PORT [NAME]: e2e_peer on real server I, answering NAME (default rsI); waits until it listens.
serve() {
  local i=$1 port=$2 name=${3:-rs$1} k
  e2e_bg "rs$i" 600 "$E2E_WORK/server$i-$port.log" e2e_peer serve "$port" "$name"
  SERVER_PID[$i-$port]=$E2E_LAST_PID
  for k in $(seq 1 50); do
    [ -n "$(ip netns exec "$(e2e_ns "rs$i")" ss -Hltn "sport = :$port" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  e2e_die "server rs$i:$port did not start"
}
unserve() {
  kill "${SERVER_PID[$1-$2]}" 2>/dev/null || true
  e2e_wait_gone "${SERVER_PID[$1-$2]}" 30 || true
}

names() { e2e_in client e2e_peer tcp-names "$E2E_VIP" "$1" "$2" | e2e_count_names; }

# The destinations of VIP:PORT as "ip:port/weight" words, sorted.
dests() {
  e2e_in director ipvsadm -Ln -t "$E2E_VIP:$1" 2>/dev/null | awk '$1 == "->" && $2 != "RemoteAddress:Port" {print $2 "/" $4}' | sort | tr '\n' ' ' | sed 's/ $//'
}

# wait_dests PORT WANT TENTHS: until dests PORT is WANT; prints the seconds it took.
WAITED=
wait_dests() {
  local start now k
  start=$(date +%s.%N)
  for ((k = 0; k < $3; k++)); do
    if [ "$(dests "$1")" = "$2" ]; then
      now=$(date +%s.%N)
      WAITED=$(echo "$now - $start" | bc -l 2>/dev/null || awk "BEGIN{print $now - $start}")
      WAITED=$(printf '%.1f' "$WAITED")
      return 0
    fi
    sleep 0.1
  done
  echo "        dests of :$1: got '$(dests "$1")', want '$2'"
  return 1
}

expect_names() {
  local got
  got=$(names "$1" "$2" || true)
  e2e_expect_eq "answers from :$1" "$got" "$3"
}

e2e_topology 3
e2e_director_vip
e2e_rs_setup dr 1 2 3
for i in 1 2 3; do serve "$i" 8080; done
for i in 1 2; do serve "$i" 8081; serve "$i" 8082; done
serve 3 8082 sorry
e2e_start_ipvsd

# The notify_up / notify_down script appends what it was called with.
printf '#!/bin/sh\necho "$*" >>"%s"\n' "$E2E_WORK/notify.log" >"$E2E_WORK/notify.sh"
chmod +x "$E2E_WORK/notify.sh"
conf=$E2E_WORK/keepalived.conf
write_conf() {
  local w1=$1
  cat >"$conf" <<CONF
! keepalived.conf as a director would have it; the VRRP part is keepalived's business.
global_defs {
   router_id ipvsd_e2e
}
vrrp_instance VI_1 {
    state MASTER
    interface d0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        $E2E_VIP
    }
}
virtual_server $E2E_VIP 8080 {
    delay_loop $delay_loop
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server $rs1 8080 {
        weight $w1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry $retry
            delay_before_retry 0.5
        }
    }
    real_server $rs2 8080 {
        weight 1
        notify_down "$E2E_WORK/notify.sh down rs2"
        notify_up "$E2E_WORK/notify.sh up rs2"
        HTTP_GET {
            url {
                path /health
            }
            connect_timeout 1
            retry $retry
            delay_before_retry 0.5
        }
    }
    real_server $rs3 8080 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry $retry
            delay_before_retry 0.5
        }
    }
}
virtual_server $E2E_VIP 8081 {
    delay_loop $delay_loop
    lb_algo rr
    lb_kind DR
    inhibit_on_failure
    real_server $rs1 8081 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 0.5
        }
    }
    real_server $rs2 8081 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 0.5
        }
    }
}
virtual_server $E2E_VIP 8082 {
    delay_loop $delay_loop
    lb_algo rr
    lb_kind DR
    quorum 2
    hysteresis 0
    sorry_server $rs3 8082
    real_server $rs1 8082 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 0.5
        }
    }
    real_server $rs2 8082 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 0.5
        }
    }
}
CONF
}
write_conf 1

e2e_log "start: ipvs-healthd --config keepalived.conf (in the director)"
e2e_bg director 600 "$E2E_WORK/healthd.log" ipvs-healthd --config "$conf" --socket "$IPVSD_SOCKET" --log-level info
healthd=$E2E_LAST_PID
sleep 0.5
healthd_pid=$(pgrep -P "$healthd" -x ipvs-healthd || true)
[ -n "$healthd_pid" ] || { cat "$E2E_WORK/healthd.log"; e2e_die "ipvs-healthd did not start"; }
e2e_check "healthd skips the VRRP blocks with a notice" grep -q "skipping vrrp_instance block" "$E2E_WORK/healthd.log"
e2e_check "services created: :8080 with rs1 rs2 rs3" wait_dests 8080 "$rs1:8080/1 $rs2:8080/1 $rs3:8080/1" 50
e2e_check ":8081 rs1 rs2 weight 2" wait_dests 8081 "$rs1:8081/2 $rs2:8081/2" 30
e2e_check ":8082 rs1 rs2, no sorry server" wait_dests 8082 "$rs1:8082/1 $rs2:8082/1" 30
e2e_ipvsadm -Ln
e2e_check "30 connections spread rs1=10 rs2=10 rs3=10" expect_names 8080 30 "rs1=10 rs2=10 rs3=10"

# --- a dead web server leaves the table within delay_loop x retry
e2e_log "kill rs2's web server on :8080"
unserve 2 8080
limit=$((delay_loop * retry * 10 + 10))
e2e_check "rs2 removed within delay_loop x retry (+1 s)" wait_dests 8080 "$rs1:8080/1 $rs3:8080/1" "$limit"
e2e_log "rs2 removed ${WAITED} s after its server died (delay_loop $delay_loop x retry $retry = $((delay_loop * retry)) s)"
e2e_ipvsadm -Ln -t "$E2E_VIP:8080"
e2e_check "30 connections, all answered, none by rs2" expect_names 8080 30 "rs1=15 rs3=15"
serve 2 8080
e2e_check "rs2 restored once it answers again" wait_dests 8080 "$rs1:8080/1 $rs2:8080/1 $rs3:8080/1" 40
e2e_log "rs2 back ${WAITED} s after its server restarted"
notified() { [ "$(tr '\n' ' ' <"$E2E_WORK/notify.log" 2>/dev/null)" = "$1" ]; }
e2e_check "rs2's notify_down, then its notify_up ran" e2e_wait_until 30 notified "down rs2 up rs2 "
e2e_check "30 connections spread over rs1 rs2 rs3 again" expect_names 8080 30 "rs1=10 rs2=10 rs3=10"

# --- inhibit_on_failure: weight 0 instead of removal
unserve 2 8081
e2e_check "inhibit_on_failure: rs2 stays with weight 0" wait_dests 8081 "$rs1:8081/2 $rs2:8081/0" 40
e2e_ipvsadm -Ln -t "$E2E_VIP:8081"
e2e_check "20 connections to :8081 all go to rs1" expect_names 8081 20 "rs1=20"
serve 2 8081
e2e_check "inhibit_on_failure: rs2 gets weight 2 back" wait_dests 8081 "$rs1:8081/2 $rs2:8081/2" 40

# --- quorum loss brings the sorry server in
unserve 1 8082
e2e_check "quorum lost: only the sorry server is left" wait_dests 8082 "$rs3:8082/1" 40
e2e_ipvsadm -Ln -t "$E2E_VIP:8082"
e2e_check "10 connections to :8082 answered by the sorry server" expect_names 8082 10 "sorry=10"
e2e_check "healthd logged the quorum loss" grep -q "lost quorum" "$E2E_WORK/healthd.log"
serve 1 8082
e2e_check "quorum regained: rs1 rs2 back, sorry server gone" wait_dests 8082 "$rs1:8082/1 $rs2:8082/1" 40
e2e_check "10 connections to :8082 split rs1=5 rs2=5" expect_names 8082 10 "rs1=5 rs2=5"

# --- a config with errors changes nothing
before=$(e2e_in director ipvsadm -Sn)
bad=$E2E_WORK/bad.conf
cat >"$E2E_WORK/bad-vs.conf" <<CONF
virtual_server $E2E_VIP 9090 {
    lb_algo rr
    real_server $rs1 9090 {
        weight lots
    }
}
CONF
printf 'virtual_server %s 9091 {\n    delay_loop 1\n}\ninclude bad-vs.conf\n' "$E2E_VIP" >"$bad"
rc=0
err=$(e2e_in director ipvs-healthd --config "$bad" --socket "$IPVSD_SOCKET" 2>&1) || rc=$?
echo "        ipvs-healthd --config bad.conf: exit $rc: $err"
e2e_check "bad config: exit 2" e2e_expect_eq "exit code" "$rc" 2
e2e_check "bad config: message names the included file and line" grep -q "bad-vs.conf:4: 'lots' is not an integer" <<<"$err"
e2e_check "bad config: nothing changed in ipvsd" e2e_expect_eq "ipvsadm -Sn" "$(e2e_in director ipvsadm -Sn)" "$before"

# --- SIGHUP: a bad file is refused, a good one applied as a difference
cp "$bad" "$conf"
kill -HUP "$healthd_pid"
sleep 1
e2e_check "SIGHUP with a broken file: rejected, table unchanged" e2e_expect_eq "ipvsadm -Sn" "$(e2e_in director ipvsadm -Sn)" "$before"
e2e_check "SIGHUP with a broken file: logged with file:line" grep -q "reload rejected.*bad-vs.conf:4" "$E2E_WORK/healthd.log"
write_conf 3
kill -HUP "$healthd_pid"
e2e_check "SIGHUP: rs1's new weight 3 applied" wait_dests 8080 "$rs1:8080/3 $rs2:8080/1 $rs3:8080/1" 30
after=$(e2e_in director ipvsadm -Sn)
e2e_check "SIGHUP: the other services untouched" e2e_expect_eq "other lines" \
  "$(grep -v "$rs1:8080" <<<"$after")" "$(grep -v "$rs1:8080" <<<"$before")"
e2e_check "healthd alive after all that" kill -0 "$healthd_pid"

# --- SIGTERM: exit 0, services released
kill "$healthd_pid"
rc=0
wait "$healthd" || rc=$?
e2e_check "SIGTERM: healthd exits 0" e2e_expect_eq "exit code" "$rc" 0
e2e_check "SIGTERM: the services it created are gone" e2e_expect_eq "ipvsadm -Sn" "$(e2e_in director ipvsadm -Sn)" ""
if [ "$E2E_FAILS" != 0 ]; then
  echo "--- the healthd log"
  tail -n 60 "$E2E_WORK/healthd.log"
fi
e2e_finish
