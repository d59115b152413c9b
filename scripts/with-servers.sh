#!/usr/bin/env bash
# Runs a command with real test servers: PostgreSQL (started if installed but
# stopped) and a throw-away MinIO on a free loopback port with a temporary data
# directory. Exports ATELIER_TEST_POSTGRES_URL, ATELIER_TEST_MINIO_URL and
# ATELIER_TEST_REQUIRE_SERVERS=1 for the command, and stops what it started.
set -euo pipefail

CACHE=${ATELIER_CACHE:-$HOME/.cache/atelier}
here=$(cd "$(dirname "$0")" && pwd)
"$here/deps.sh" postgres
"$here/deps.sh" minio

started_pg=""
cleanup() {
	[ -n "${minio_pid:-}" ] && kill "$minio_pid" 2>/dev/null && wait "$minio_pid" 2>/dev/null || true
	[ -n "${minio_dir:-}" ] && rm -rf "$minio_dir"
	[ -n "$started_pg" ] && pg_ctlcluster --skip-systemctl-redirect $started_pg stop || true
}
trap cleanup EXIT

# PostgreSQL: start the first cluster if it is down.
read -r pg_ver pg_name pg_port pg_status _ < <(pg_lsclusters -h | head -n1)
if [ "$pg_status" != online ]; then
	pg_ctlcluster --skip-systemctl-redirect "$pg_ver" "$pg_name" start
	started_pg="$pg_ver $pg_name"
fi
pg_url="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
if ! psql "$pg_url" -qtAc 'select 1' >/dev/null 2>&1; then
	# A stock Debian install asks for a password over TCP: give the postgres
	# role one through the local socket (peer authentication as postgres).
	su postgres -c "psql -p $pg_port -qc \"ALTER ROLE postgres PASSWORD 'postgres'\"" >/dev/null
	pg_url="postgres://postgres:postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
	psql "$pg_url" -qtAc 'select 1' >/dev/null
fi

# MinIO on a free port: below the kernel's ephemeral range (32768 and up
# here), where a port that refuses a connection may still be some
# outgoing connection's local port, and binding it fails.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		(echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
port=$(free_port)
console=$(free_port)
minio_dir=$(mktemp -d /tmp/atelier-minio.XXXXXX)
MINIO_ROOT_USER=atelier MINIO_ROOT_PASSWORD=atelier-test-secret MINIO_BROWSER=off \
	"$CACHE/bin/minio" server "$minio_dir/data" --address "127.0.0.1:$port" \
	--console-address "127.0.0.1:$console" >"$minio_dir/minio.log" 2>&1 &
minio_pid=$!
for _ in $(seq 1 100); do
	curl -fsS "http://127.0.0.1:$port/minio/health/live" >/dev/null 2>&1 && break
	kill -0 "$minio_pid" 2>/dev/null || { cat "$minio_dir/minio.log" >&2; exit 1; }
	sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/minio/health/live" >/dev/null

export ATELIER_TEST_POSTGRES_URL=$pg_url
export ATELIER_TEST_MINIO_URL="minio://atelier:atelier-test-secret@127.0.0.1:$port?tls=false"
export ATELIER_TEST_REQUIRE_SERVERS=1
echo "test servers: postgres 127.0.0.1:$pg_port, minio 127.0.0.1:$port" >&2
"$@"
