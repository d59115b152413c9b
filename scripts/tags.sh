#!/usr/bin/env bash
# Prints the Go build tags of the fastest neural-network backends installed
# on this machine: onednn (libdnnl-dev: convolutions and activations) and
# openblas (libopenblas-dev: matrix products). The Makefile asks after
# scripts/deps.sh has installed them, so a fresh machine's first build
# already uses them.
set -euo pipefail
libs=$(ldconfig -p) # read whole: grep -q could SIGPIPE ldconfig under pipefail
tags=()
if grep -q 'libdnnl\.so ' <<<"$libs" && [ -f /usr/include/oneapi/dnnl/dnnl.h ]; then
	tags+=(onednn)
fi
if grep -q 'libopenblas\.so ' <<<"$libs"; then
	tags+=(openblas)
fi
echo "${tags[*]}"
