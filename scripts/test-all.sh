#!/usr/bin/env bash
# The whole test run of `make test` (inside scripts/with-servers.sh): every
# package's tests, then a short, bounded fuzz of the upload path.
set -euo pipefail
tags=${TAGS:-}
go test -tags "$tags" -count=1 -timeout 45m ./...
echo "fuzz: FuzzUpload for ${FUZZTIME:-15s}"
go test -tags "$tags" -run '^$' -fuzz '^FuzzUpload$' -fuzztime "${FUZZTIME:-15s}" ./api/
