#!/usr/bin/env bash
# scripts/bench-against.sh REV: the two jobs the networks' speed shows in
# most, built from REV and from this checkout, run interleaved on this
# machine: a default redesign job (n = 8, 100 + 100 steps, Keep terms on,
# the demo models, a catalog photo of the default world, segment
# warm-pattern) and 200 steps of the stage-1 GAN recipe (`atelier train
# gan` with its defaults). REV is built with the tags its own Makefile
# would pick (openblas before the oneDNN backend existed) and runs with
# OPENBLAS_NUM_THREADS=1; this checkout runs at ATELIER_THREADS=1 and 2.
# Prints each run's seconds, per job the best of each side with the ratios,
# and the ratios round by round with their median. Writes nothing outside
# a temporary folder.
#
# ROUNDS (default 2). Takes about 12 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/bench-against.sh REV}
rounds=${ROUNDS:-2}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git worktree add --detach -q "$work/base" "$rev"
# ldconfig's list is read whole first: piped into grep -q, ldconfig can die
# of SIGPIPE once grep has its match, and under pipefail the old code was
# then built without OpenBLAS (pure Go, four times slower: a false speed-up).
libs=$(ldconfig -p)
base_tags=$(grep -q onednn "$work/base/Makefile" && scripts/tags.sh || (grep -q 'libopenblas\.so ' <<<"$libs" && echo openblas || true))
echo "bench-against: $rev built with tags '$base_tags'" >&2
(cd "$work/base" && go build -tags "$base_tags" -o "$work/old" ./cmd/atelier)
go build -tags "$(scripts/tags.sh)" -o "$work/new" ./cmd/atelier
"$work/new" synth --out "$work/world" --seed 1 >/dev/null

m=models/demo
photos=("$work/world/images"/*) # the first, by name (a glob: `ls | head` dies of SIGPIPE under pipefail)
photo=$(basename "${photos[0]}")
redesign() { "$@" redesign --gan $m/gan.safetensors --recommender $m/recommender.safetensors \
	--dataset "$work/world" --segment warm-pattern --image "$work/world/images/$photo" --out "$work/out"; }
gan() { "$@" train gan --dataset "$work/world" --out "$work/gan.safetensors" --steps 200; }
timed() { # timed JOB SIDE CMD...: one line "JOB SIDE SECONDS"
	local job=$1 side=$2 s e
	shift 2
	s=$(date +%s.%N)
	"$job" "$@" >/dev/null 2>&1
	e=$(date +%s.%N)
	echo "$job $side $(echo "$e - $s" | bc)" | tee -a "$work/times" >&2
}
for r in $(seq "$rounds"); do
	for job in redesign gan; do
		timed $job old env OPENBLAS_NUM_THREADS=1 "$work/old"
		timed $job new1 env ATELIER_THREADS=1 "$work/new"
		timed $job new2 env ATELIER_THREADS=2 "$work/new"
	done
done
awk -v rev="$rev" '
	{ if (!(($1, $2) in best) || $3 < best[$1, $2]) best[$1, $2] = $3 }
	END {
		printf "best of each, seconds (%s vs this checkout)\n", rev
		print "| job | " rev " | 1 thread | 2 threads | speed-up, 1 thread | speed-up, 2 threads |"
		print "|---|---|---|---|---|---|"
		split("redesign gan", jobs, " ")
		names["redesign"] = "default redesign job"; names["gan"] = "GAN stage 1, 200 steps"
		for (i = 1; i <= 2; i++) {
			j = jobs[i]; o = best[j, "old"]; a = best[j, "new1"]; b = best[j, "new2"]
			printf "| %s | %.1f | %.1f | %.1f | %.2f | %.2f |\n", names[j], o, a, b, o / a, o / b
		}
	}' "$work/times"
# Round by round: each new run against the old run just before it, which
# the machine's drift (up to 20% within minutes) affects least.
awk '
	$2 == "old" { old[$1] = $3; next }
	{ r = old[$1] / $3; printf "%s %s %.2f\n", $1, $2, r }' "$work/times" |
	sort -k1,2 -k3n | awk '
	{ key = $1 " " $2; v[key, ++n[key]] = $3 }
	END {
		print "speed-up round by round (old run / the new run after it), median in brackets:"
		for (key in n) {
			line = ""
			for (i = 1; i <= n[key]; i++) line = line " " v[key, i]
			m = n[key] % 2 ? v[key, (n[key] + 1) / 2] : (v[key, n[key] / 2] + v[key, n[key] / 2 + 1]) / 2
			printf "  %s:%s [%.2f]\n", key, line, m
		}
	}' 
