#!/usr/bin/env bash
# make bench-peer: our networks (gorgonia + internal/nn, with the build's
# tags) and the same networks in PyTorch (scripts/peer/networks.py, Debian's
# python3-torch with oneDNN), on this machine, interleaved round by round,
# at one thread and at all threads. Prints, per measure, the best run of
# each side and the ratio ours / PyTorch. Best, not median: in some
# processes PyTorch's first convolution (3 input channels) lands on a kernel
# 30 times slower than in others, and a median over few processes would
# flatter us. Installs python3-torch when missing;
# writes nothing outside a temporary folder.
#
# ROUNDS (default 3), SECONDS_EACH (seconds per measure and run, default 2),
# TAGS (Go build tags, default none).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
secs=${SECONDS_EACH:-2}
all=$(nproc)
py=/usr/bin/python3 # Debian's, where python3-torch installs
$py -c 'import torch' 2>/dev/null || scripts/deps.sh torch

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -tags "${TAGS:-}" -o "$work/gan.test" ./gan
go test -c -tags "${TAGS:-}" -o "$work/recommender.test" ./recommender

# ours THREADS prints "measure rate" lines.
ours() {
	local t=$1 workers=1
	[ "$t" -gt 1 ] && workers=2
	{
		(cd gan && OPENBLAS_NUM_THREADS=1 ATELIER_THREADS=$t GOMAXPROCS=$t "$work/gan.test" -test.run '^$' \
			-test.bench 'BenchmarkGenerator(Forward8|BackwardLatent8|BackwardWeights8)$' -test.benchtime "${secs}s")
		(cd recommender && OPENBLAS_NUM_THREADS=1 ATELIER_THREADS=$t GOMAXPROCS=$t "$work/recommender.test" -test.run '^$' \
			-test.bench "BenchmarkDVBPR(Features|TrainStep)/workers=$workers\$" -test.benchtime "${secs}s")
	} | awk '
		/images\/s|triplets\/s/ {
			name = $1; sub(/-[0-9]+$/, "", name)
			for (i = 2; i < NF; i++) if ($(i+1) == "images/s" || $(i+1) == "triplets/s") v = $i
			m = ""
			if (name ~ /GeneratorForward8/) m = "g_forward_8"
			if (name ~ /GeneratorBackwardLatent8/) m = "g_backward_z_8"
			if (name ~ /GeneratorBackwardWeights8/) m = "g_backward_weights_8"
			if (name ~ /DVBPRFeatures/) m = "phi_forward_32"
			if (name ~ /DVBPRTrainStep/) m = "dvbpr_step_64"
			if (m != "") print m, v
		}'
}

# peer THREADS prints the same lines for PyTorch.
peer() {
	$py scripts/peer/networks.py --threads "$1" --seconds "$secs" |
		$py -c 'import json,sys; [print(k, v) for k, v in json.load(sys.stdin).items() if k != "onednn"]'
}

for r in $(seq "$rounds"); do
	for t in 1 "$all"; do
		echo "bench-peer: round $r of $rounds, $t thread(s)" >&2
		peer "$t" | sed "s/^/$t pytorch /" >>"$work/results"
		ours "$t" | sed "s/^/$t ours /" >>"$work/results"
	done
done

$py - "$work/results" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
vals = {}
for threads, side, measure, v in rows:
    vals.setdefault((int(threads), measure, side), []).append(float(v))
names = {
    "g_forward_8": "G forward, batch 8 (images/s)",
    "g_backward_z_8": "G forward + backward to z, batch 8",
    "g_backward_weights_8": "G forward + backward to the weights, batch 8",
    "phi_forward_32": "φ forward, batch 32",
    "dvbpr_step_64": "DVBPR training step, 64 triplets (triplets/s)",
}
for threads in sorted({k[0] for k in vals}):
    print(f"\n{threads} thread(s), best of {len(next(iter(vals.values())))} interleaved runs")
    print(f"| measure | PyTorch | ours | ours / PyTorch |\n|---|---|---|---|")
    for m, label in names.items():
        p = max(vals.get((threads, m, "pytorch"), [float("nan")]))
        o = max(vals.get((threads, m, "ours"), [float("nan")]))
        print(f"| {label} | {p:,.0f} | {o:,.0f} | {o / p:.2f} |")
PY
