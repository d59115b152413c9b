#!/usr/bin/env bash
# make test-backends: internal/nn's agreement suite (every backend compiled
# in against the im2col one, forward and backward) and its finite-difference
# gradient checks, plus the networks' own tests (gan, recommender), built
# with each combination of the backends installed: pure Go, OpenBLAS,
# oneDNN, both. On an AVX-512 CPU the oneDNN build runs a second time as on
# an AVX2 one (DNNL_MAX_CPU_ISA=AVX2): oneDNN picks other kernels and
# layouts there (channels blocked by 8, not 16; no Winograd), and our code
# around them has broken on one kind while passing on the other.
set -euo pipefail
cd "$(dirname "$0")/.."
all=$(scripts/tags.sh)
have=" $all "
combos=("")
[[ $have == *" openblas "* ]] && combos+=("openblas")
[[ $have == *" onednn "* ]] && combos+=("onednn")
[[ $have == *" onednn "* && $have == *" openblas "* ]] && combos+=("onednn openblas")
for tags in "${combos[@]}"; do
	echo "test-backends: tags '${tags}'"
	go test -count=1 -tags "$tags" ./internal/nn/ ./gan/ ./recommender/
done
if [[ $have == *" onednn "* ]] && grep -qw avx512f /proc/cpuinfo; then
	echo "test-backends: tags '$all' as on an AVX2 CPU (DNNL_MAX_CPU_ISA=AVX2)"
	DNNL_MAX_CPU_ISA=AVX2 go test -count=1 -tags "$all" ./internal/nn/ ./gan/ ./recommender/
fi
