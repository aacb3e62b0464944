#!/usr/bin/env bash
# Regenerates the typed corpus (snapshots/tests/typed_corpus/): the data
# injit gives Istio's sidecar template for a few test inputs, the cases
# (gen_cases.py) and Go's results over the real types (the oracle):
#   tools/typed-oracle/run.sh SRC
# SRC holds the checkouts build.sh needs (README.md). Afterwards, run the
# test with INJIT_TYPED_CORPUS_WRITE=1 to rewrite known_differences.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ $# -eq 1 ] || { sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2; }
corpus="$root/snapshots/tests/typed_corpus"
istio="$root/snapshots/tests/istio/testdata"
oracle="$here/build/oracle"

OUT="$oracle" "$here/build.sh" "$1"
# The inputs gen_cases.py names (its data sets), in its order.
rm -rf "$corpus/data"
(cd "$root" && cargo run --release --quiet -p injit-inject --example template_data -- "$corpus/data" \
    "$corpus/inputs/productpage.json" "$corpus/inputs/productpage-created.json" \
    "$istio/named_port.yaml" "$istio/hello-probes.yaml" "$istio/proxy-override.yaml" \
    "$istio/multi-init.yaml" "$istio/explicit-security-context.yaml" "$istio/user-volume.yaml")
python3 "$here/gen_cases.py" cases "$corpus/cases.jsonl"
python3 "$here/gen_cases.py" batch "$corpus/cases.jsonl" "$corpus/data" | "$oracle" >"$corpus/expected.jsonl"
# A heap address in a result would make the case depend on the allocator.
if grep -n '0xc0[0-9a-f]\{7\}' "$corpus/expected.jsonl" >&2; then
    echo "typed-oracle: results above print a pointer's address; change those cases in gen_cases.py" >&2
    exit 1
fi
echo "typed-oracle: $(wc -l <"$corpus/cases.jsonl") cases in $corpus" >&2
