#!/usr/bin/env bash
# Regenerates runtime/src/types/go_types.rs (or $OUT) from checkouts of its
# inputs at the commits pinned below, made as README.md shows:
#   tools/k8s-schema/run.sh SRC
# SRC holds api, apimachinery, istio-api, istio-api-1.1 and openshift-api.
# Needs git, Go 1.23 (tools/install-go.sh; GO=/path/to/go picks another) and
# rustfmt. To move to newer inputs, change the pins here and in README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
out="${OUT:-$root/$("$root/tools/generated.sh" output k8s-schema)}"
go="${GO:-/usr/lib/go-1.23/bin/go}"
[ $# -eq 1 ] || { sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }
src="$(cd "$1" && pwd)"
pins='
api            10b39a39bcee995dfe7cd5e8e7b922be5e46f1e2  https://github.com/kubernetes/api
apimachinery   eed236ceee2c19c2753a3d93ac0631dc20750454  https://github.com/kubernetes/apimachinery
istio-api      b8f8791d9653b2edc77a071d48887e582cfe84bf  https://github.com/istio/api
istio-api-1.1  a68257e399a822e1797317563da8cc78edbde8c1  https://github.com/istio/api (tag 1.1.0)
openshift-api  2a3d73913b5a7caec4c57d5c3d04f51106ec4da3  https://github.com/openshift/api
'
while read -r dir pin _; do
    [ -n "$dir" ] || continue
    at=$(git -C "$src/$dir" rev-parse HEAD 2>/dev/null || echo "no checkout")
    [ "$at" = "$pin" ] || { echo "k8s-schema: $src/$dir is at $at, not the pinned $pin" >&2; exit 1; }
done <<<"$pins"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$here" && GOPATH="$tmp" GOCACHE="${GOCACHE:-$tmp/cache}" GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
    "$go" run . "$src/api" "$src/apimachinery" "$src/istio-api" "$src/istio-api-1.1" "$src/openshift-api") \
    >"$tmp/go_types.rs"
# Checked in as rustfmt leaves it (`cargo fmt --check` runs in CI).
rustfmt --edition 2024 --config-path "$root/rustfmt.toml" "$tmp/go_types.rs"
"$root/tools/generated.sh" stamp k8s-schema "$tmp/go_types.rs"
cp "$tmp/go_types.rs" "$out"
