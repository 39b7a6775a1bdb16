#!/usr/bin/env bash
# Dependencies point inward: the pure model and the engine must not pull in the AWS SDK, an
# async runtime or the Lambda runtime. Fails naming the crate and the offending dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for crate in uptime-schedule uptime-model uptime-core; do
  deps=$(cargo tree --offline -p "$crate" -e normal --prefix none --format '{p}' 2>/dev/null | awk '{print $1}' | sort -u)
  bad=$(grep -E '^(aws-|tokio$|lambda_runtime|hyper|reqwest)' <<<"$deps" || true)
  if [ -n "$bad" ]; then
    echo "layering: $crate must stay free of I/O crates but depends on: $(tr '\n' ' ' <<<"$bad")" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "layering: uptime-schedule, uptime-model and uptime-core are free of AWS SDK, tokio and lambda_runtime"
exit $status
