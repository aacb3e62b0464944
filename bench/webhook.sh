#!/bin/sh
# Load on `injit serve` over TLS keep-alive on loopback, in one run, with
# oha (crates.io; installed with `cargo install oha --locked` when
# missing): closed-loop throughput and open-loop latency at a fixed rate,
# for the sleep pod as a ReplicaSet sends it (identical pods) and for
# pods that all differ; then injit's own load generator (bench/loadgen.rs,
# which checks every answer) while the certificate and the config are
# replaced every 0.5 s: reloads must cost no failed request. The load
# generator shares the machine with the server: on a 2-core box, both
# compete for the cores.
#
#   bench/webhook.sh [SECONDS] [RATE] [UNIQUE_RATE]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
rate=${2:-5000}
unique_rate=${3:-1000}
cargo build --profile dist --quiet --bin injit --example loadgen
command -v oha >/dev/null || cargo install oha --locked
injit=./target/dist/injit
loadgen=./target/dist/examples/loadgen
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

"$injit" certs --out-dir "$work/a" --name localhost >/dev/null
"$injit" certs --out-dir "$work/b" --name localhost >/dev/null
# Clients trust both CAs, as a caBundle does during a rotation.
cat "$work/a/ca.crt" "$work/b/ca.crt" >"$work/ca.crt"
cp "$work/a/tls.crt" "$work/a/tls.key" "$work/"
mkdir "$work/config"
cp inject/defaults/config.yaml "$work/config/config"
cp inject/defaults/values.json "$work/config/values"
cp inject/defaults/mesh.yaml "$work/config/mesh"
sed 's/"tag": "[^"]*"/"tag": "reloaded"/' inject/defaults/values.json >"$work/values.other"
cp inject/defaults/values.json "$work/values.first"

# The seed's sleep pod, as its ReplicaSet creates it (the criterion
# bench's review), with a label --unique / -Z runs number.
sed 's/"pod-template-hash":"5d8c6b7f9"}/"pod-template-hash":"5d8c6b7f9","bench":"BENCHSEQ"}/' \
    webhook/benches/sleep-review.json >"$work/review.json"
grep -q BENCHSEQ "$work/review.json"

"$injit" serve --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --config-dir "$work/config" \
    --address 127.0.0.1 --port 0 --log-format json --log-level warn,injit::commands=info,injit_webhook::reload=info \
    --reload-interval 200ms 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do grep -q '"address"' "$work/server.log" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' "$work/server.log" | head -1)
run() { "$loadgen" --addr "$addr" --ca "$work/ca.crt" --body "$work/review.json" --duration "${secs}s" "$@"; }
port=${addr##*:}
# 20,000 different pods, one review per line (oha -Z): the seed's sleep
# pod as its ReplicaSet writes it, and as an API server sends it to
# webhooks (defaulted, the service account's token volume mounted, every
# field Go writes: webhook/benches/sleep-review-sent.json), each with a
# label of its own, in the place Go's encoder sorts it to.
numbered() { awk '{ for (i = 1; i <= 20000; i++) { line = $0; gsub(/BENCHSEQ/, "p" i, line); print line } }' "$1"; }
numbered "$work/review.json" >"$work/unique.jsonl"
sed 's/"app":"sleep",/"app":"sleep","bench":"BENCHSEQ",/' webhook/benches/sleep-review-sent.json >"$work/sent.json"
grep -q BENCHSEQ "$work/sent.json"
numbered "$work/sent.json" >"$work/unique-sent.jsonl"
load() {
    oha --no-tui -z "${secs}s" -m POST -T application/json --cacert "$work/ca.crt" "$@" \
        "https://localhost:$port/inject" | grep -E 'Success rate|Requests/sec|50.00%|90.00%|99.00%|99.90%|responses|aborted'
}

# Identical pods are what a rollout sends (a ReplicaSet's replicas): the
# server reuses their answer. Different pods are full injections.
echo "== oha: closed loop, 16 keep-alive connections, the sleep pod"
load -c 16 -D "$work/review.json"
echo "== oha: open loop, $rate req/s, 32 connections, the sleep pod"
load -c 32 -q "$rate" --latency-correction -D "$work/review.json"
echo "== oha: closed loop, 16 keep-alive connections, every pod different"
load -c 16 -Z "$work/unique.jsonl"
echo "== oha: closed loop, 16 keep-alive connections, every pod different, as an API server sends pods"
load -c 16 -Z "$work/unique-sent.jsonl"
echo "== oha: open loop, $unique_rate req/s, 32 connections, every pod different"
load -c 32 -q "$unique_rate" --latency-correction -Z "$work/unique.jsonl"
echo "== closed loop while the certificate and the config are replaced every 0.5 s"
(
    i=0
    end=$(($(date +%s) + secs))
    while [ "$(date +%s)" -lt "$end" ]; do
        i=$((i + 1))
        if [ $((i % 2)) -eq 0 ]; then set -- a values.first; else set -- b values.other; fi
        cp "$work/$1/tls.crt" "$work/tls.crt.new" && cp "$work/$1/tls.key" "$work/tls.key.new"
        mv "$work/tls.crt.new" "$work/tls.crt" && mv "$work/tls.key.new" "$work/tls.key"
        cp "$work/$2" "$work/config/values.new" && mv "$work/config/values.new" "$work/config/values"
        sleep 0.5
    done
) &
rotator=$!
# A new connection (and TLS handshake) every 20 requests, so that the
# certificate swaps are met.
run --connections 16 --requests-per-connection 20 --unique
wait $rotator
echo "reloads: $(grep -c 'serving the new config' "$work/server.log") configs, $(grep -c 'serving the new certificate' "$work/server.log") certificates, $(grep -c 'kept the previous\|rejected' "$work/server.log") rejected"
