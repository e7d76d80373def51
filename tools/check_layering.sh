#!/usr/bin/env bash
# Checks that every #include "<layer>/..." in src/ points the allowed way (DESIGN.md):
#   base <- net <- core <- {sched, fwd} <- {dataplane, ctl, sync, health} <- {daemon, cli};
#   metrics (HTTP and the Prometheus format) depends only on net and base, for daemon and health;
#   io depends only on net and base; cli never on core, dataplane or io.
# Unit tests (*_test.cc, *_test_util.h) may also include the shared helpers under tests/.
# Prints each violation as file:line and exits 1 if there is any.
set -u
src=${1:-$(dirname "$0")/../src}
declare -A allowed=(
  [base]="base"
  [net]="base net"
  [core]="base net core"
  [sched]="base net core sched"
  [fwd]="base net core fwd"
  [io]="base net io"
  [dataplane]="base net core sched fwd io dataplane"
  [ctl]="base net core sched ctl"
  [sync]="base net core sync"
  [metrics]="base net metrics"
  [health]="base net ctl metrics health"
  # The daemon reads its saved rules with ipvsadm's own grammar (cli/rules.h).
  [daemon]="base net core sched fwd io dataplane ctl sync metrics health cli daemon"
  [cli]="base net ctl cli"
  [agent]="base net agent"
)
status=0
while IFS= read -r -d '' f; do
  layer=${f#"$src"/}
  layer=${layer%%/*}
  ok=${allowed[$layer]:-}
  # Tests and their helpers may also use the shared test helpers in tests/.
  case "$f" in *_test.cc|*_test_util.h) ok="$ok tests" ;; esac
  [ -n "$ok" ] || { echo "$f: unknown layer '$layer'"; status=1; continue; }
  while IFS=: read -r line inc; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
    case " $ok " in *" $target "*) ;; *) echo "$f:$line: layer '$layer' must not include '$target/'"; status=1 ;; esac
  done < <(grep -n '^#include "[a-z_]*/' "$f" || true)
done < <(find "$src" \( -name '*.h' -o -name '*.cc' \) -print0)
[ $status -eq 0 ] && echo "layering: ok"
exit $status
