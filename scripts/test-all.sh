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
# A count, not a duration: Go 1.26's fuzzing coordinator can report its own
# -fuzztime deadline as a failure ("context deadline exceeded", no crasher)
# when a worker is mid-input at the deadline, which a loaded machine makes
# likely (go.dev/issue/75804, fixed in Go 1.27). -timeout bounds the run.
echo "fuzz: FuzzUpload for ${FUZZTIME:-8000x}"
go test -tags "$tags" -run '^$' -fuzz '^FuzzUpload$' -fuzztime "${FUZZTIME:-8000x}" -timeout 10m ./api/
