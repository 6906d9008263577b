#!/usr/bin/env bash
# Fuzzes the HTTP API from its own OpenAPI document with schemathesis (PyPI), against the demo
# city served on loopback with a fresh store, signed in as its first admin:
#   bench/fuzz_api.sh [MAX_EXAMPLES] [MAX_SECONDS]        (default 25 examples, 600 s)
# Checks: no 5xx, status codes, content types and bodies as the document says. Results in
# BENCHMARKS.md ("API fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-25}" budget="${2:-600}"
command -v schemathesis >/dev/null || python3 -m pip install --quiet -r bench/requirements-fuzz.txt
bin="${PATROLMAP_BIN:-target/release/patrolmap}"
[ -x "$bin" ] || cargo build --release --quiet --bin patrolmap
work="$(mktemp -d)"
"$bin" serve --addr 127.0.0.1:0 --db "$work/s.db" >"$work/out" 2>"$work/log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do [ "$(wc -l <"$work/out")" -ge 2 ] && break; sleep 0.5; done
url="$(head -1 "$work/out" | awk '{print $NF}' | sed 's#/$##')"
token="$(sed -n 2p "$work/out" | sed 's/.*#token=//')"
echo "fuzzing $url/api/openapi.json ($examples examples an operation, at most $budget s)"
status=0
schemathesis run "$url/api/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$examples" --max-time "$budget" --workers 2 --request-timeout 120 \
    --phases examples,coverage,fuzzing --no-color \
    `# the event stream lasts two minutes a request; its status and type are tested in server.rs` \
    --exclude-path /api/events || status=$?
if kill -0 "$server" 2>/dev/null; then echo "the server is still up"; else echo "the server died"; status=1; fi
grep -c " 500 \|status=5" "$work/log" | sed 's/^/server log lines with a 5xx: /' || true
exit "$status"
