#!/usr/bin/env bash
# Regenerates strconv/src/tables.rs (or $OUT) with Go 1.23: Go's Unicode
# tables, not Rust's. tools/install-go.sh installs Go; GO=/path/to/go picks another.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
out="${OUT:-$root/$("$root/tools/generated.sh" output unicode-tables)}"
go="${GO:-/usr/lib/go-1.23/bin/go}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$here" && GO111MODULE=off GOPATH="$tmp" GOCACHE="${GOCACHE:-$tmp/cache}" GOFLAGS= GOTOOLCHAIN=local \
    "$go" run main.go) >"$tmp/tables.rs"
# Checked in as rustfmt leaves it (`cargo fmt --check` runs in CI).
rustfmt --edition 2024 --config-path "$root/rustfmt.toml" "$tmp/tables.rs"
cp "$tmp/tables.rs" "$out"
