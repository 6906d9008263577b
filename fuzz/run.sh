#!/usr/bin/env bash
# Fuzzes patrolmap's readers of untrusted files for a bounded time each (cargo fuzz, libFuzzer):
#   fuzz/run.sh [SECONDS_PER_TARGET]      (default 120)
# Seeds: the demo scenario and a CSV (scenario); the first blocks of the demo city (osm_pbf).
# A crash leaves its input in fuzz/artifacts/TARGET/; each one found becomes a regression test
# in tests/integration/scenario.rs or osm_real.rs. The machine's one toolchain is stable:
# RUSTC_BOOTSTRAP lets cargo fuzz use the sanitizer flags it needs.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-120}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p corpus/scenario corpus/osm_pbf
cp ../data/demo-scenario.geojson corpus/scenario/demo.geojson
printf 'kind,lon,lat,id,class,mode,turnout_s\nunit,-54.6,-20.45,u1,patrol,car,30\ncheckpoint,-54.61,-20.46,c1,,,\n' \
    > corpus/scenario/units.csv
# The header block and the first data block of the demo city: a real, small PBF.
python3 - ../data/campo-grande.osm.pbf corpus/osm_pbf/head.osm.pbf <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
at = 0
for _ in range(2):
    header_len = struct.unpack('>I', data[at:at + 4])[0]
    header = data[at + 4:at + 4 + header_len]
    # BlobHeader: field 3 (datasize) is the varint after tag 0x18.
    i = header.index(b'\x18') + 1
    size, shift = 0, 0
    while True:
        b = header[i]; i += 1
        size |= (b & 0x7f) << shift; shift += 7
        if b < 0x80: break
    at += 4 + header_len + size
open(sys.argv[2], 'wb').write(data[:at])
PY
for target in scenario osm_pbf; do
    echo "== $target: $seconds s"
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=262144 -print_final_stats=1 2>&1 \
        | grep -E "^(#[0-9]+ +DONE|stat::|==|SUMMARY|INFO: Running|Done)|panicked|ERROR" || true
done
if compgen -G "artifacts/*/*" >/dev/null; then
    echo "crashes found:" && ls artifacts/*/*
    exit 1
fi
echo "no crashes"
