#!/usr/bin/env bash
# Fault scenarios (make chaos; docs/chaos.md): each runs `atelier serve`
# (and `atelier worker` where jobs are involved) on loopback against
# servers of its own, drives real traffic, injects one fault and checks
# the outcome. Prints one table; exits non-zero if any scenario lost
# acknowledged writes, left orphans or failed a check. Not part of
# make test. Bounded: the whole run is killed after CHAOS_TIMEOUT
# seconds (default 900); a scenario takes one to four minutes.
#
# BIN (default bin/atelier); CHAOS_ONLY: comma-separated scenario names;
# PG_BIN: PostgreSQL's programs (default the newest /usr/lib/postgresql/*/bin).
# Runs as root (the disk-full scenario mounts a tmpfs; PostgreSQL then
# runs as the postgres user).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${BIN:-bin/atelier}
"$here/deps.sh" minio
work=$(mktemp -d /tmp/atelier-chaos.XXXXXX)
# The scenarios' directories go under $work (TMPDIR), which the postgres
# user must be able to enter.
chmod 755 "$work"
cleanup() {
	[ -n "${chaos_pid:-}" ] && kill "$chaos_pid" 2>/dev/null && wait "$chaos_pid" 2>/dev/null || true
	# A tmpfs the program could not unmount (killed before it could).
	for m in $(grep -o " $work/[^ ]*" /proc/mounts || true); do umount "$m" || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd "$here/.." && go build -o "$work/chaos" ./scripts/chaos)
# The program stops what it starts when it is signalled; timeout sends
# SIGTERM at the limit and SIGKILL 30 s later.
TMPDIR=$work timeout -k 30 "${CHAOS_TIMEOUT:-900}" "$work/chaos" -bin "$bin" -only "${CHAOS_ONLY:-}" &
chaos_pid=$!
wait "$chaos_pid"
