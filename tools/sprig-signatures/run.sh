#!/usr/bin/env bash
# Regenerates runtime/src/funcs/sprig_signatures.rs (or $OUT) from Debian's
# sprig 3.2.3 with Go 1.23, built like the conformance oracle: GOPATH mode
# against /usr/share/gocode, no module proxy. tools/install-go.sh installs
# both; GO=/path/to/go picks another Go.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
out="${OUT:-$root/$("$root/tools/generated.sh" output sprig-signatures)}"
go="${GO:-/usr/lib/go-1.23/bin/go}"
# The header names sprig 3.2.3: refuse any other.
sprig=$(dpkg-query -W -f='${Version}' golang-github-masterminds-sprig-dev 2>/dev/null || true)
case $sprig in
3.2.3-*) ;;
*) echo "sprig-signatures: needs Debian's golang-github-masterminds-sprig-dev 3.2.3, found '${sprig:-none}'" >&2; exit 1 ;;
esac
gp=$(mktemp -d)
trap 'rm -rf "$gp"' EXIT
mkdir -p "$gp/src/sigs"
cp "$here/main.go" "$gp/src/sigs/"
# Only for GOPATH mode's "minimal module compatibility": maps the import
# path github.com/Masterminds/sprig/v3 onto Debian's github.com/Masterminds/sprig.
printf 'module sigs\n\ngo 1.19\n\nrequire github.com/Masterminds/sprig/v3 v3.2.3\n' >"$gp/src/sigs/go.mod"
(cd "$gp/src/sigs" && GO111MODULE=off GOPATH="$gp:/usr/share/gocode" GOCACHE="${GOCACHE:-$gp/cache}" GOFLAGS= \
    GOTOOLCHAIN=local "$go" run .) >"$gp/sprig_signatures.rs"
# Checked in as rustfmt leaves it (`cargo fmt --check` runs in CI).
rustfmt --edition 2024 --config-path "$root/rustfmt.toml" "$gp/sprig_signatures.rs"
cp "$gp/sprig_signatures.rs" "$out"
