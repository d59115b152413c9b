#!/usr/bin/env bash
# Times `atelier import` of the default synthetic world into a fresh
# PostgreSQL database and MinIO bucket, twice: the first run loads
# everything, the second must change nothing. Run through
# scripts/with-servers.sh (make bench-import does).
set -euo pipefail
bin=${BIN:-bin/atelier}
world=$(mktemp -d /tmp/atelier-world.XXXXXX)
db=atelier_bench_$$
trap 'rm -rf "$world"; psql "$ATELIER_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT

"$bin" synth --out "$world/w" --seed 1 >/dev/null
psql "$ATELIER_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db" >/dev/null
export ATELIER_DATABASE_URL=${ATELIER_TEST_POSTGRES_URL/\/postgres\?/\/$db?}
export ATELIER_BLOB_URL=${ATELIER_TEST_MINIO_URL/\?//$db?}
export ATELIER_BLOB_URL=${ATELIER_BLOB_URL//_/-}
for run in first second; do
	start=$(date +%s%N)
	summary=$("$bin" import --json "$world/w" 2>/dev/null)
	ms=$((($(date +%s%N) - start) / 1000000))
	new=$(echo "$summary" | grep -o '"new": [0-9]*' | awk '{n += $2} END {print n}')
	echo "import $run run: $((ms / 1000)).$((ms % 1000 / 100)) s, $new new rows"
done
