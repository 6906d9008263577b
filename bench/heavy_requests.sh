#!/usr/bin/env bash
# The heavy requests of issue 15 against Porto (../shared/data) with 200 seeded units, a release
# build, on loopback: each request's status, time to answer and the server's peak resident
# memory during it (VmHWM, reset before each with /proc/PID/clear_refs, which needs root or the
# server's owner), then the memory it keeps when idle. Results in BENCHMARKS.md.
#
#   bench/heavy_requests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
porto=../shared/data/porto.osm.pbf
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release --quiet --bin patrolmap
bin=target/release/patrolmap
"$bin" scenario random --roads "$porto" --units 200 --checkpoints 50 --seed 7 -o "$work/s.geojson" >/dev/null
token="$("$bin" user add bench --role planner --db "$work/s.db" 2>/dev/null)"
"$bin" serve --roads "$porto" --scenario "$work/s.geojson" --db "$work/s.db" --addr 127.0.0.1:0 \
    >"$work/out" 2>"$work/log" &
server=$!
for _ in $(seq 1 240); do grep -q "command map" "$work/out" 2>/dev/null && break; sleep 0.5; done
url="$(head -1 "$work/out" | awk '{print $NF}' | sed 's#/$##')"
mb() { grep "$1" "/proc/$server/status" | awk '{printf "%.0f", $2/1024}'; }
echo "server at $url; ready: resident $(mb VmRSS) MB"
# The whole city as an event venue.
python3 - "$work/s.geojson" "$work/event.geojson" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
xs = [c for f in s["features"] for c in [f["geometry"]["coordinates"]] if f["geometry"]["type"] == "Point"]
x0, x1 = min(p[0] for p in xs), max(p[0] for p in xs)
y0, y1 = min(p[1] for p in xs), max(p[1] for p in xs)
ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
s["features"].append({"type": "Feature", "properties": {"kind": "event_area", "id": "city", "standard": "60:2,180:3"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
json.dump(s, open(sys.argv[2], "w"))
EOF
request() { # NAME PATH BODY_FILE [CURL_ARGS...]
    local name="$1" path="$2" body="$3"
    shift 3
    echo 5 >"/proc/$server/clear_refs"
    local out
    out="$(curl -s -o "$work/reply" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' --data-binary "@$body" "$@" "$url$path" || true)"
    printf '| %s | `%s` | %s | %.2f s | %s MB |\n' "$name" "$path" "${out%% *}" "${out##* }" "$(mb VmHWM)"
}
echo "| request | path | status | time | peak resident |"
echo "|---|---|---|---|---|"
request "25 posts, 2,000 candidates, 3 min" "/api/optimize?add=25&budget_s=180&candidates=random:2000:6" "$work/s.geojson"
request "10 posts, every node, 15 min" "/api/optimize?add=10&budget_s=900&time_limit_s=60" "$work/s.geojson"
request "10 posts, every node, 1 h" "/api/optimize?add=10&budget_s=3600&time_limit_s=60" "$work/s.geojson"
request "fewest posts for every road, 3 min, 1 s allowed" "/api/optimize?cover=roads&budget_s=180&time_limit_s=1" "$work/s.geojson"
request "fewest posts for every road, 3 min, 10 s allowed" "/api/optimize?cover=roads&budget_s=180&time_limit_s=10" "$work/s.geojson"
request "event over the whole city, 5 s allowed" "/api/event/plan?area=city&time_limit_s=5" "$work/event.geojson"
# A plan given up after 1 s, then at once another plan: served, not 503.
request "a 60 s plan, given up after 1 s" "/api/optimize?cover=roads&budget_s=180&time_limit_s=60" "$work/s.geojson" --max-time 1
request "the next plan, at once" "/api/optimize?add=5&budget_s=120&candidates=random:500:1&time_limit_s=5" "$work/s.geojson"
# What-ifs answer while a plan runs.
curl -s -o /dev/null -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary "@$work/s.geojson" "$url/api/optimize?cover=roads&budget_s=180&time_limit_s=10" &
plan=$!
sleep 0.5
request "a what-if during a 10 s plan" "/api/whatif" "$work/s.geojson"
wait "$plan" || true
# A closure of 300,000 vertices.
python3 - "$work/s.geojson" "$work/big.geojson" <<'EOF'
import json, math, sys
s = json.load(open(sys.argv[1]))
ring = [[-8.61 + 0.02 * math.cos(i / 300000 * 2 * math.pi), 41.15 + 0.02 * math.sin(i / 300000 * 2 * math.pi)] for i in range(300000)]
ring.append(ring[0])
s["features"].append({"type": "Feature", "properties": {"kind": "closure", "id": "perimeter"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
json.dump(s, open(sys.argv[2], "w"))
EOF
request "a what-if with a 300,000-vertex closure" "/api/whatif" "$work/big.geojson"
# A hundred wrong secrets under a real token id, all at once.
echo 5 >"/proc/$server/clear_refs"
start=$(date +%s%N)
pids=()
for i in $(seq 1 100); do
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer ${token:0:15}$(printf '%036x' "$i")" "$url/api/info" >>"$work/codes" &
    pids+=($!)
done
wait "${pids[@]}"
codes="$(sort "$work/codes" | uniq -c | awk '{printf "%s x %s, ", $1, $2}')"
printf '| 100 wrong tokens at once | `/api/info` | %s| %.2f s | %s MB |\n' "$codes" "$(( ($(date +%s%N) - start) / 1000000 ))e-3" "$(mb VmHWM)"
sleep 2
echo "idle afterwards: resident $(mb VmRSS) MB"
