#!/usr/bin/env bash
# make test-backends: internal/nn's agreement suite (every backend compiled
# in against the im2col one, forward and backward) and its finite-difference
# gradient checks, plus the networks' own tests (gan, recommender), built
# with each combination of the backends installed: pure Go, OpenBLAS,
# oneDNN, both.
set -euo pipefail
cd "$(dirname "$0")/.."
have=" $(scripts/tags.sh) "
combos=("")
[[ $have == *" openblas "* ]] && combos+=("openblas")
[[ $have == *" onednn "* ]] && combos+=("onednn")
[[ $have == *" onednn "* && $have == *" openblas "* ]] && combos+=("onednn openblas")
for tags in "${combos[@]}"; do
	echo "test-backends: tags '${tags}'"
	go test -count=1 -tags "$tags" ./internal/nn/ ./gan/ ./recommender/
done
