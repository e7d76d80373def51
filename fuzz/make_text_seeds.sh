#!/bin/sh
# File: fuzz/make_text_seeds.sh
#
# Writes the seed corpora of the text harnesses into CORPUS_DIR (fuzz/corpus): real
# keepalived.conf files (health/config_test.cc's every-directive file and
# docs/examples/keepalived.conf), ipvsadm command lines from the cli golden tests
# (tests/golden/cli/*.cmd, one argv per seed with NUL between the words), agent load reports
# and the /proc and cgroup files the agent reads (as agent/load_probe_test.cc has them), and
# HTTP replies. The binary harnesses' seeds come from make_seeds.cc. Deterministic: rerunning
# leaves git clean unless a source changed.
#
#   fuzz/make_text_seeds.sh fuzz/corpus
set -eu
out=${1:?usage: make_text_seeds.sh CORPUS_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)

# ---- health_config ----------------------------------------------------------------------------
mkdir -p "$out/health_config"
# The every-directive file of config_test.cc (the raw string kFull).
python3 - "$root/src/health/config_test.cc" "$out/health_config/every_directive.conf" <<'EOF'
import sys
src = open(sys.argv[1]).read()
start = src.index('kFull = R"(') + len('kFull = R"(')
open(sys.argv[2], "w").write(src[start:src.index(')";', start)])
EOF
cp "$root/docs/examples/keepalived.conf" "$out/health_config/vrrp_only.conf"
cat >"$out/health_config/nat_http_get.conf" <<'EOF'
virtual_server 198.19.0.1 80 {
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.18.1.10 8080 {
        weight 2
        HTTP_GET {
            url {
                path /health
                status_code 200-299
            }
            connect_timeout 1
            retry 2
            delay_before_retry 0.5
        }
    }
}
EOF
cat >"$out/health_config/group_fwmark_feedback.conf" <<'EOF'
virtual_server_group pool {
    198.19.0.10-12 443
    2001:db8:f::1 443
    fwmark 5
}
virtual_server group pool {
    lvs_sched wlc
    lvs_method DR
    persistence_timeout
    quorum 2
    sorry_server 198.18.1.99 443
    real_server 198.18.1.11 443 {
        TCP_CHECK {
            connect_port 443
        }
    }
    real_server 198.18.1.12 443 {
        MISC_CHECK {
            misc_path "/bin/true"
            misc_dynamic
        }
    }
    dynamic_feedback {
        interval 3
        target 0.8
    }
}
EOF
# fuzz_health_config.cc's scratch directory holds rs.conf, empty.conf and loop.conf.
printf 'include rs.conf\ninclude empty*\n' >"$out/health_config/include.conf"

# ---- ipvsadm ---------------------------------------------------------------------------------
mkdir -p "$out/ipvsadm"
python3 - "$root/tests/golden/cli" "$out/ipvsadm" <<'EOF'
import glob, os, shlex, sys
seen = set()
for cmd in sorted(glob.glob(os.path.join(sys.argv[1], "*.cmd"))):
    base = os.path.basename(cmd)[:-4]
    n = 0
    for line in open(cmd):
        line = line.split(";")[0].split("|")[0].split("<")[0].split(">")[0].strip()
        if not line.startswith("ipvsadm "):
            continue
        try:
            words = shlex.split(line)[1:]
        except ValueError:
            continue
        key = tuple(words)
        # Five lines per golden case keep the corpus small and varied.
        if key in seen or n == 5:
            continue
        seen.add(key)
        n += 1
        with open(os.path.join(sys.argv[2], "%s_%d" % (base, n)), "wb") as f:
            f.write(b"\0".join(w.encode() for w in words))
EOF

# ---- load_report -----------------------------------------------------------------------------
mkdir -p "$out/load_report"
printf '{"cpu":0.4200,"runq":1.00,"ncpu":2.00,"mem":0.3100,"conns":12}\n' >"$out/load_report/agent_line"
printf ' { "cpu" : 1 , "disk": 3 } ' >"$out/load_report/minimal_unknown_key"
printf '{"cpu":7,"mem":55,"runq":1e300,"ncpu":0,"conns":1e20}' >"$out/load_report/lies_clamped"
printf 'cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\nintr 1 2 3\nprocs_running 3\n' \
  >"$out/load_report/proc_stat"
printf 'MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n' >"$out/load_report/meminfo"
printf 'usage_usec 123456\nuser_usec 100\nsystem_usec 23\n' >"$out/load_report/cpu_stat"
printf '50000 100000\n' >"$out/load_report/cpu_max"
printf '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1
   2: 0B0112C6:1F90 020012C6:C350 01 00000000:00000000 00:00000000 00000000     0        0 3
' >"$out/load_report/proc_net_tcp"
printf '43 (a (b) c) S 1 2' >"$out/load_report/task_stat"

# ---- http_reply (first byte: bit 0 digest of "ok\n", bit 1 two status ranges follow) ---------
mkdir -p "$out/http_reply"
printf '\000HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$out/http_reply/ok_any_2xx"
printf '\001HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n' >"$out/http_reply/digest_matches"
printf '\001HTTP/1.1 200 OK\n\nok\n' >"$out/http_reply/digest_bare_newlines"
printf '\002\144\145\200\210HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n' >"$out/http_reply/status_ranges"
printf '\000HTTP/1.1 503 Busy\r\n\r\n' >"$out/http_reply/busy"
