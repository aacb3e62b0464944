#!/bin/sh
# Istio's real sidecar template on a typical pod (bench/istio/pod.json),
# injit against Go in one run:
#  - injit: the embedded default configs, `.Values` bound when the config
#    loads (as the injector does), both backends interleaved
#    (inject/examples/sidecar_render.rs);
#  - Go 1.23: text/template + sprig + Istio's template functions over the
#    same SidecarTemplateData (bench/istio/harness), decoded into Go types
#    with the field sets of the real Kubernetes and Istio ones (generated
#    from injit's schema by runtime/examples/go_types.rs), built in GOPATH
#    mode against Debian's Go sources (golang-1.23-go,
#    golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v2-dev).
# Both render the same text: the script checks it byte for byte.
#
#   bench/istio.sh [N]     N Go executions (default 20000)
set -eu
cd "$(dirname "$0")/.."
n=${1:-20000}
work=target/istio-bench
go=${GO:-/usr/lib/go-1.23/bin/go}
[ -x "$go" ] || go=go

cargo run --profile dist --quiet -p injit-inject --example sidecar_render -- --dump "$work" --rounds 60 | tee "$work.injit"

gopath="$work/gopath"
pkg="$gopath/src/injit-istio-harness"
rm -rf "$pkg" && mkdir -p "$pkg"
cp bench/istio/harness/*.go bench/istio/harness/go.mod "$pkg/"
cargo run --release --quiet -p injit-runtime --example go_types -- inject.SidecarTemplateData >"$pkg/types_gen.go"
(cd "$pkg" && GO111MODULE=off GOPATH="$PWD/../..:/usr/share/gocode" GOFLAGS= CGO_ENABLED=0 \
    GOTOOLCHAIN=local GOCACHE="${GOCACHE:-$PWD/../../../gocache}" "$go" build -o ../../../harness .)

"$work/harness" -bench "$n" "$work/template.txt" "$work/data.json" >"$work/go.out" 2>"$work/go.err"
if ! cmp -s "$work/go.out" "$work/expected.out"; then
    echo "Go and injit render different text:" >&2
    diff "$work/go.out" "$work/expected.out" >&2 || true
    exit 1
fi
go_ns=$(sed -n 's/.*exec_ns_per_op=\([0-9]*\).*/\1/p' "$work/go.err")
echo "go     $go_ns ns/render (text/template + sprig + Istio's functions; same output)"
for backend in jit eval; do
    ns=$(awk -v b="$backend" '$1 == b {print $2}' "$work.injit")
    awk -v b="$backend" -v g="$go_ns" -v n="$ns" 'BEGIN {printf "%s is %.1fx faster than Go\n", b, g / n}'
done
