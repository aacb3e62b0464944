#!/bin/sh
# Availability attacks on `injit serve` on loopback (docs/security.md,
# "Availability"), each bounded to SECONDS, with a legitimate client
# alongside: idle HTTP/2 connections, 150 stalled 6 MiB bodies, 6 x 6 MB
# arrays of zeros (and 6 x 999,000 zeros, under the value limit), and one
# pod of 20,000 containers. Prints what the attacker held, what the
# legitimate client saw, and the server's peak RSS (VmHWM) in each.
#
#   bench/attack.sh [SECONDS] [ATTACK...]      (attacks: idle-h2 stalled arrays big-pod)
#
# INJIT=path/to/injit measures another build (the default is this tree's
# release build); SERVE_ARGS adds flags to `injit serve`.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
[ $# -gt 0 ] && shift
cargo build --release --quiet --bin injit --example attack
injit=${INJIT:-./target/release/injit}
attack=./target/release/examples/attack
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT

"$injit" certs --out-dir "$work" --name localhost >/dev/null
# shellcheck disable=SC2086
"$injit" serve --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --address 127.0.0.1 --port 0 \
    --metrics-port 0 --log-format json --log-level warn,injit::commands=info ${SERVE_ARGS:-} 2>"$work/server.log" &
server=$!
for _ in $(seq 300); do grep -q '"address"' "$work/server.log" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/.*"address":"\([^"]*\)".*/\1/p' "$work/server.log" | head -1)
metrics=$(sed -n 's/.*"monitoring":"\([^"]*\)".*/\1/p' "$work/server.log" | head -1)
[ -n "$addr" ] || { cat "$work/server.log"; exit 1; }
echo "injit serve ($injit) on $addr, pid $server"
timeout $((secs * 8 + 120)) "$attack" --addr "$addr" --ca "$work/ca.crt" --review webhook/benches/sleep-review.json \
    --pid "$server" --seconds "$secs" "$@"
if [ -n "$metrics" ]; then
    echo "== server metrics"
    curl -s "http://$metrics/metrics" | grep -E '^injit_(connections|requests_refused)' || true
fi
echo "== server warnings: $(grep -c '"WARN"' "$work/server.log") ($(grep '"WARN"' "$work/server.log" | sed -n 's/.*"message":"\([^"]*\)".*/\1/p' | cut -c1-60 | sort | uniq -c | sort -rn | head -3 | tr '\n' ';'))"
