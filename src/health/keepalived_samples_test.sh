#!/usr/bin/env bash
# keepalived's own sample configurations (Debian's keepalived package installs them; `make deps`
# installs the package) through `ipvs-healthd --check`: every sample with a virtual_server must
# pass, and every real server in it must come out with its checkers, as many as the sample has
# checker blocks (an SMTP_CHECK with host blocks counts once per host) and of the same kinds.
# A sample with BFD_CHECK or FILE_CHECK must instead fail with file:line. Without the samples
# the test exits 77, which ctest reports as skipped.
#
# Usage: keepalived_samples_test.sh IPVS_HEALTHD [SAMPLES_DIR]
set -u
healthd=$1
samples=${2:-/usr/share/doc/keepalived/samples}

if [ ! -d "$samples" ]; then
  echo "SKIPPED: $samples is absent (install Debian's keepalived package)"
  exit 77
fi

# The sample's lines without comments (# or ! to the end of the line), for counting.
uncommented() { sed -e 's/[#!].*//' "$1"; }

# Checker blocks in the sample, one line per checker healthd makes: an SMTP_CHECK with N host
# blocks makes N (keepalived 2 splits them the same way).
expected_checkers() {
  uncommented "$1" | awk '
    /^[ \t]*(TCP_CHECK|HTTP_GET|SSL_GET|MISC_CHECK|SMTP_CHECK|UDP_CHECK|DNS_CHECK|PING_CHECK)[ \t]*\{/ {
      if (smtp) { print "SMTP_CHECK"; if (hosts > 1) for (i = 1; i < hosts; i++) print "SMTP_CHECK" }
      smtp = 0; hosts = 0
      match($0, /[A-Z_]+/); kind = substr($0, RSTART, RLENGTH)
      if (kind == "SMTP_CHECK") smtp = 1; else print kind
      next
    }
    smtp && /^[ \t]*host[ \t]*\{/ { hosts++ }
    /^[ \t]*real_server[ \t]/ || /^[ \t]*virtual_server[ \t]/ {
      if (smtp) { print "SMTP_CHECK"; if (hosts > 1) for (i = 1; i < hosts; i++) print "SMTP_CHECK" }
      smtp = 0; hosts = 0
    }
    END { if (smtp) { print "SMTP_CHECK"; if (hosts > 1) for (i = 1; i < hosts; i++) print "SMTP_CHECK" } }' | sort
}

checked=0
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

for sample in "$samples"/keepalived.conf.*; do
  uncommented "$sample" | grep -qE '^[[:space:]]*virtual_server[[:space:]]' || continue
  name=$(basename "$sample")
  checked=$((checked + 1))
  errfile=$(mktemp)
  out=$("$healthd" --config "$sample" --check 2>"$errfile")
  rc=$?
  err=$(cat "$errfile")
  rm -f /tmp/healthd_samples_err.$$
  if uncommented "$sample" | grep -qE '^[[:space:]]*(BFD_CHECK|FILE_CHECK)'; then
    if [ "$rc" -ne 2 ] || ! grep -qE "^$sample:[0-9]+: (BFD_CHECK|FILE_CHECK) is not supported" <<<"$err"; then
      fail "$name: has BFD_CHECK or FILE_CHECK but --check did not fail with file:line (exit $rc): $err"
    else
      echo "ok   $name: refused as it must be: $err"
    fi
    continue
  fi
  if [ "$rc" -ne 0 ]; then
    fail "$name: --check exited $rc: $err"
    continue
  fi
  failures_before=$failures
  want_rs=$(uncommented "$sample" | grep -cE '^[[:space:]]*real_server[[:space:]]')
  got_rs=$(grep -c '^  real_server ' <<<"$out")
  [ "$want_rs" -eq "$got_rs" ] || fail "$name: $want_rs real_server blocks, --check shows $got_rs"
  if grep -q '^  real_server .*no checkers' <<<"$out"; then
    fail "$name: a real server without checkers: $(grep '^  real_server .*no checkers' <<<"$out")"
  fi
  want_checkers=$(expected_checkers "$sample" | tr '\n' ' ')
  got_checkers=$(grep '^  real_server ' <<<"$out" | grep -oE '(TCP_CHECK|HTTP_GET|SSL_GET|MISC_CHECK|SMTP_CHECK|UDP_CHECK|DNS_CHECK|PING_CHECK) at ' |
                 sed 's/ at $//' | sort | tr '\n' ' ')
  [ "$want_checkers" = "$got_checkers" ] || fail "$name: checkers in the file: [$want_checkers], --check shows [$got_checkers]"
  [ "$failures" -eq "$failures_before" ] && echo "ok   $name: $got_rs real servers, checkers: $got_checkers"
done

if [ "$checked" -eq 0 ]; then
  echo "SKIPPED: no sample with a virtual_server in $samples"
  exit 77
fi
echo "$checked samples checked, $failures failures"
[ "$failures" -eq 0 ]
