#!/usr/bin/env bash
# Load benchmark of POST /api/v1/choice-sessions/{id}/choices: prepares a
# fresh PostgreSQL database and MinIO bucket with the default synthetic world
# and the demo recommender, serves them on a free loopback port, pre-creates
# choice sessions, and drives their picks with wrk at a fixed target rate
# (scripts/bench-choices.lua follows each session through its rounds). Prints
# the achieved rate, latency percentiles, non-2xx count and the load average
# during the run; fails if more than 0.1% of the picks are not 2xx.
# Run through scripts/with-servers.sh (make bench-choices does).
#
# With the demo GAN active the rounds are generated probes, as the service
# serves them by default: a worker builds the probe pool of
# ATELIER_PROBE_POOL probes (default 300; 0 benchmarks catalog rounds)
# before the sessions are made, and stops.
#
# RATE (requests/s, default 300), DURATION (s, default 20), THREADS (wrk
# threads = connections, default 8), BIN (default bin/atelier).
set -euo pipefail
bin=${BIN:-bin/atelier}
rate=${RATE:-300}
duration=${DURATION:-20}
threads=${THREADS:-8}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || "$here/deps.sh" wrk

work=$(mktemp -d /tmp/atelier-bench-choices.XXXXXX)
db=atelier_bench_choices_$$
cleanup() {
	[ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid" 2>/dev/null || true
	[ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
	psql "$ATELIER_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

psql "$ATELIER_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db" >/dev/null
export ATELIER_DATABASE_URL=${ATELIER_TEST_POSTGRES_URL/\/postgres\?/\/$db?}
export ATELIER_BLOB_URL=${ATELIER_TEST_MINIO_URL/\?//$db?}
export ATELIER_BLOB_URL=${ATELIER_BLOB_URL//_/-}
export ATELIER_DATA_DIR=$work/data
export ATELIER_LOG_LEVEL=warn
export ATELIER_WORKERS=0
export ATELIER_PROBE_POOL=${ATELIER_PROBE_POOL:-300}
# The load comes from one address (127.0.0.1), which the default limits
# per client address would refuse (10 requests/s, 100 sessions held: see
# docs/limits.md): the benchmark measures the flow, not the limits, so it
# turns both off.
export ATELIER_RATE_ANON=0
export ATELIER_SESSIONS_PER_CLIENT=0

echo "bench: preparing the default world and the demo recommender" >&2
"$bin" demo --prepare-only >/dev/null 2>"$work/prepare.log" || { cat "$work/prepare.log" >&2; exit 1; }

# A free port below the ephemeral range (see with-servers.sh).
port=$(while :; do p=$((20000 + RANDOM % 12000)); (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; break; }; done)
base="http://127.0.0.1:$port"
ATELIER_ADDR=127.0.0.1:$port "$bin" serve >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do
	curl -fsS "$base/healthz" >/dev/null 2>&1 && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
	sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null

if [ "$ATELIER_PROBE_POOL" -gt 0 ]; then
	echo "bench: building a pool of $ATELIER_PROBE_POOL probes" >&2
	ATELIER_WORKERS=1 "$bin" worker >"$work/worker.log" 2>&1 &
	worker_pid=$!
	for _ in $(seq 1 600); do
		gen=$(curl -fsS -H "Content-Type: application/json" -d '{"rounds":1}' "$base/api/v1/choice-sessions" | jq -r '.options[0].generated')
		[ "$gen" = true ] && break
		kill -0 "$worker_pid" 2>/dev/null || { cat "$work/worker.log" >&2; exit 1; }
		sleep 1
	done
	kill "$worker_pid"; wait "$worker_pid" 2>/dev/null || true
	[ "$gen" = true ] || { echo "bench: no probes in the rounds after 10 minutes" >&2; cat "$work/worker.log" >&2; exit 1; }
fi

# Each session takes 3 picks (its rounds); 30% more sessions than the run
# needs at the target rate, so no thread runs out.
sessions=$((rate * duration * 13 / 30 + 100))
echo "bench: creating $sessions choice sessions" >&2
seq "$sessions" | xargs -P 4 -n 50 sh -c '
	for _ in "$@"; do
		curl -fsS -H "Content-Type: application/json" -d "{}" "$0/api/v1/choice-sessions" |
			jq -r "\"\(.id) \(.round) \(.options[0].item_id)\""
	done' "$base" >"$work/sessions.txt"
[ "$(wc -l <"$work/sessions.txt")" = "$sessions" ] || { echo "bench: session creation failed" >&2; exit 1; }

# The 1-minute load average, sampled each second while wrk runs.
(while :; do cut -d' ' -f1 /proc/loadavg; sleep 1; done) >"$work/load.txt" &
load_pid=$!
echo "bench: wrk -t$threads -c$threads -d${duration}s, target $rate requests/s" >&2
wrk -t"$threads" -c"$threads" -d"${duration}s" --latency -s "$here/bench-choices.lua" \
	"$base/api/v1/choice-sessions" -- "$work/sessions.txt" "$rate" "$threads" >"$work/wrk.txt"
kill "$load_pid"; wait "$load_pid" 2>/dev/null || true; load_pid=""

result=$(grep '^RESULT ' "$work/wrk.txt") || { cat "$work/wrk.txt" >&2; exit 1; }
get() { echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
load=$(awk '{s += $1; if ($1 > m) m = $1} END {printf "mean %.2f, max %.2f", s / NR, m}' "$work/load.txt")
cat <<OUT
choices: $(get requests) requests in $(get seconds) s = $(get rate) requests/s (target $rate, $threads connections)
latency: p50 $(get p50_ms) ms, p90 $(get p90_ms) ms, p99 $(get p99_ms) ms, max $(get max_ms) ms
non-2xx: $(get non2xx), socket errors: $(get socket_errors), sessions answered: $(get sessions)
load average (1 min) during the run: $load on $(nproc) CPUs
OUT
bad=$(($(get non2xx) + $(get socket_errors)))
if [ "$(get wrapped)" != 0 ] || [ $((bad * 1000)) -gt "$(get requests)" ]; then
	echo "bench: $bad failed requests of $(get requests) (wrapped sessions: $(get wrapped))" >&2
	exit 1
fi
