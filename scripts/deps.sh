#!/usr/bin/env bash
# Installs, once, what the build and the tests need on a fresh Debian machine:
# oneDNN and OpenBLAS (faster neural networks), PostgreSQL, and a MinIO server built from
# source into a cache outside the repository. Safe to run again: each step is
# skipped when its result is already there.
set -euo pipefail

CACHE=${ATELIER_CACHE:-$HOME/.cache/atelier}
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
want=${1:-all}

apt_install() {
	if [ "$(id -u)" != 0 ]; then
		echo "deps: need root to apt-get install $*; install them by hand" >&2
		return 1
	fi
	if [ ! -f "$CACHE/.apt-updated" ]; then
		apt-get update -qq
		mkdir -p "$CACHE" && touch "$CACHE/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

openblas() {
	# grep reads the whole listing (no -q): under pipefail, a grep that
	# quits at the first match can fail the pipeline with ldconfig's SIGPIPE.
	ldconfig -p | grep 'libopenblas\.so ' >/dev/null && return 0
	echo "deps: installing OpenBLAS" >&2
	apt_install libopenblas-dev
}

# oneDNN, the library PyTorch uses on CPUs: direct convolutions several
# times faster than im2col + BLAS (internal/nn, -tags onednn).
onednn() {
	ldconfig -p | grep 'libdnnl\.so ' >/dev/null && [ -f /usr/include/oneapi/dnnl/dnnl.h ] && return 0
	echo "deps: installing oneDNN" >&2
	apt_install libdnnl-dev
}

# The neural-network backends; a machine without root builds without them.
backends() {
	onednn || true
	openblas || true
}

postgres() {
	command -v pg_lsclusters >/dev/null && [ -n "$(pg_lsclusters -h 2>/dev/null)" ] && return 0
	echo "deps: installing PostgreSQL" >&2
	apt_install postgresql
}

minio() {
	[ -x "$CACHE/bin/minio" ] && return 0
	echo "deps: building the MinIO server $MINIO_VERSION (takes minutes, once)" >&2
	mkdir -p "$CACHE/bin"
	GOBIN="$CACHE/bin" GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$MINIO_VERSION"
}

# The checks look the programs up with type -P: command -v would find the
# functions of the same name below and install nothing.
wrk() {
	type -P wrk >/dev/null && return 0
	echo "deps: installing wrk for load benchmarks" >&2
	apt_install wrk
}

# PyTorch from Debian (with oneDNN), the peer `make bench-peer` measures
# our networks against.
torch() {
	/usr/bin/python3 -c 'import torch' 2>/dev/null && return 0
	echo "deps: installing python3-torch for make bench-peer" >&2
	apt_install python3-torch
}

chromium() {
	type -P chromium >/dev/null && return 0
	echo "deps: installing Chromium for browser tests" >&2
	apt_install chromium
}

case $want in
all) backends; postgres; minio; chromium ;;
*) "$want" ;;
esac
