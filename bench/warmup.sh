#!/bin/sh
# How fast `injit serve` reaches its full throughput from a cold start,
# for each backend: a server starts, and injit's load generator
# (bench/loadgen.rs, which checks every answer) sends every pod different
# (full injections, no answer reused) over 16 TLS keep-alive connections
# in consecutive one-second windows, printing each window's rate. Under
# `--backend auto` (the default) the templates start on the evaluator and
# move to native code once hot, off the request path; `jit` compiles them
# before the first request; `eval` never does. BACKENDS sets the order,
# and may repeat one to alternate them (this machine drifts from one
# server to the next): BACKENDS="jit auto jit auto".
#
#   [BACKENDS="auto jit eval"] bench/warmup.sh [WINDOWS] [PROFILE]
set -eu
cd "$(dirname "$0")/.."
windows=${1:-8}
profile=${2:-dist}
cargo build --profile "$profile" --quiet --bin injit --example loadgen
dir=./target/$profile
[ "$profile" = dev ] && dir=./target/debug
injit=$dir/injit
loadgen=$dir/examples/loadgen
work=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

"$injit" certs --out-dir "$work" --name localhost >/dev/null
sed 's/"pod-template-hash":"5d8c6b7f9"}/"pod-template-hash":"5d8c6b7f9","bench":"BENCHSEQ"}/' \
    webhook/benches/sleep-review.json >"$work/review.json"
grep -q BENCHSEQ "$work/review.json"

for backend in ${BACKENDS:-auto jit eval}; do
    "$injit" serve --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --backend "$backend" \
        --address 127.0.0.1 --port 0 --log-format json --log-level warn,injit::commands=info 2>"$work/server.log" &
    server=$!
    for _ in $(seq 100); do grep -q '"address"' "$work/server.log" 2>/dev/null && break; sleep 0.1; done
    addr=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' "$work/server.log" | head -1)
    printf '%s:' "$backend"
    for window in $(seq "$windows"); do
        # Pods of other windows differ too: no answer is reused.
        sed "s/BENCHSEQ/$backend-$window-BENCHSEQ/" "$work/review.json" >"$work/window.json"
        rate=$("$loadgen" --addr "$addr" --ca "$work/ca.crt" --body "$work/window.json" --duration 1s \
            --connections 16 --unique | sed -n 's/.* \([0-9]*\) req\/s.*/\1/p')
        printf ' %s' "$rate"
    done
    echo " req/s"
    kill "$server"
    wait "$server" 2>/dev/null || true
done
