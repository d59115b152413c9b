#!/usr/bin/env bash
# The whole test run of `make test` (inside scripts/with-servers.sh): every
# package's tests, summarised with the number of subtests that ran against
# each storage backend (PostgreSQL, MinIO, SQLite, local folder: all are
# required), then a short, bounded fuzz of the upload path.
set -euo pipefail
tags=${TAGS:-}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/testsummary" ./scripts/testsummary
go test -json -tags "$tags" -count=1 -timeout 45m ./... |
	"$bin/testsummary" -require postgres,minio,sqlite,local
echo "fuzz: FuzzUpload for ${FUZZTIME:-15s}"
go test -tags "$tags" -run '^$' -fuzz '^FuzzUpload$' -fuzztime "${FUZZTIME:-15s}" ./api/
