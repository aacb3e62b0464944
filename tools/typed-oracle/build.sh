#!/usr/bin/env bash
# Builds tools/typed-oracle/build/oracle (or $OUT) from checkouts of the
# real types and the libraries Debian lacks, at the commits pinned below,
# made as README.md shows:
#   tools/typed-oracle/build.sh SRC
# Needs git, Go 1.23 (tools/install-go.sh; GO=/path/to/go picks another)
# and, as root on Debian 12, the apt packages README.md lists.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${OUT:-$here/build/oracle}"
go="${GO:-/usr/lib/go-1.23/bin/go}"
[ $# -eq 1 ] || { sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }
src="$(cd "$1" && pwd)"
# checkout               commit                                     import path                          upstream
pins='
api                      10b39a39bcee995dfe7cd5e8e7b922be5e46f1e2  k8s.io/api                           https://github.com/kubernetes/api
apimachinery             eed236ceee2c19c2753a3d93ac0631dc20750454  k8s.io/apimachinery                  https://github.com/kubernetes/apimachinery
istio-api                b8f8791d9653b2edc77a071d48887e582cfe84bf  istio.io/api                         https://github.com/istio/api
utils                    be93311217bd4e42d0aa42a5987d08e8f5581ec0  k8s.io/utils                         https://github.com/kubernetes/utils
kube-openapi             d427ff9ee9ad05f5da435abbb7c5929cb713ac56  k8s.io/kube-openapi                  https://github.com/kubernetes/kube-openapi
klog                     ef4b370a5578b77a401416e4d12f5900cc8850cb  k8s.io/klog/v2                       https://github.com/kubernetes/klog (v2.140.0)
randfill                 1b6128de8ceabf6d20c4d81d770bf439c1494960  sigs.k8s.io/randfill                 https://github.com/kubernetes-sigs/randfill (v1.0.0)
structured-merge-diff    15d075473efece0367330fd20a7cc2aad2eeb998  sigs.k8s.io/structured-merge-diff/v6 https://github.com/kubernetes-sigs/structured-merge-diff (v6.4.2)
cbor                     63d1c6649d4235ae97b78c40888d9b2a0b426878  github.com/fxamacker/cbor/v2         https://github.com/fxamacker/cbor (v2.9.1)
float16                  cb9afec31f2649663ebb64da5c6c32c3d365c3ca  github.com/x448/float16              https://github.com/x448/float16 (v0.8.4)
logr                     38a1c47ef633fa6b2eee6b8f2e1371ba8626e557  github.com/go-logr/logr               https://github.com/go-logr/logr (v1.4.3)
'
gocode=/usr/share/gocode
for need in github.com/Masterminds/sprig/functions.go google.golang.org/protobuf/proto/proto.go \
    github.com/golang/protobuf/jsonpb/json.go sigs.k8s.io/json/json.go sigs.k8s.io/yaml/yaml.go \
    gopkg.in/inf.v0/dec.go gopkg.in/yaml.v2/yaml.go; do
    [ -f "$gocode/src/$need" ] || { echo "typed-oracle: $gocode/src/$need is missing; install the apt packages README.md lists" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gp="$tmp/gopath"
while read -r dir pin path _; do
    [ -n "$dir" ] || continue
    at=$(git -C "$src/$dir" rev-parse HEAD 2>/dev/null || echo "no checkout")
    [ "$at" = "$pin" ] || { echo "typed-oracle: $src/$dir is at $at, not the pinned $pin" >&2; exit 1; }
    mkdir -p "$(dirname "$gp/src/$path")"
    ln -s "$src/$dir" "$gp/src/$path"
done <<<"$pins"
# go.yaml.in/yaml/v2 is go-yaml v2's new import path; Debian has the same
# code as gopkg.in/yaml.v2.
mkdir -p "$gp/src/go.yaml.in/yaml"
ln -s "$gocode/src/gopkg.in/yaml.v2" "$gp/src/go.yaml.in/yaml/v2"
# istio.io/api's messages import genproto's field-behavior annotations.
# Debian 12's golang-google-genproto-dev cannot be installed (it depends
# on a protobuf package bookworm no longer has), so the one package is
# taken from its .deb.
(cd "$tmp" && apt-get download golang-google-genproto-dev >/dev/null 2>&1 &&
    dpkg-deb -x golang-google-genproto-dev_*.deb deb) ||
    { echo "typed-oracle: could not download golang-google-genproto-dev (apt-get update?)" >&2; exit 1; }
mkdir -p "$gp/src/google.golang.org/genproto/googleapis/api"
cp -r "$tmp/deb$gocode/src/google.golang.org/genproto/googleapis/api/annotations" \
    "$gp/src/google.golang.org/genproto/googleapis/api/"
# go.mod is only there so that GOPATH mode maps github.com/Masterminds/sprig/v3
# onto Debian's github.com/Masterminds/sprig (as the kit's oracle does).
mkdir -p "$gp/src/injit-typed-oracle"
cp "$here"/*.go "$here/go.mod" "$gp/src/injit-typed-oracle/"
mkdir -p "$(dirname "$out")"
(cd "$gp/src/injit-typed-oracle" && GO111MODULE=off GOPATH="$gp:$gocode" GOCACHE="${GOCACHE:-$here/build/gocache}" \
    GOFLAGS= GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -trimpath -o "$out" .)
echo "built $out with $("$go" version | cut -d' ' -f3)" >&2
