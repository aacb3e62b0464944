#!/usr/bin/env bash
# Regenerates runtime/src/funcs/sprig_signatures.rs from Debian's sprig 3.2.3
# (the same build setup as the conformance oracle: GOPATH mode, no module proxy).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gp=$(mktemp -d)
trap 'rm -rf "$gp"' EXIT
mkdir -p "$gp/src/sigs"
cp "$here/main.go" "$gp/src/sigs/"
printf 'module sigs\n\ngo 1.19\n\nrequire github.com/Masterminds/sprig/v3 v3.2.3\n' >"$gp/src/sigs/go.mod"
go="${GO:-/usr/lib/go-1.23/bin/go}"
(cd "$gp/src/sigs" && GO111MODULE=off GOPATH="$gp:/usr/share/gocode" GOCACHE="$gp/cache" GOFLAGS= "$go" run .) \
    >"$here/../../runtime/src/funcs/sprig_signatures.rs"
