#!/bin/sh
# Side-by-side render figures on the conformance kit's bench template:
# injit's reference evaluator, the gotmpl crate (criterion), and Go 1.23's
# text/template + sprig through the kit's oracle, in one run.
#
#   bench/run.sh [ORACLE]     ORACLE defaults to $INJIT_ORACLE or ./oracle
set -eu
cd "$(dirname "$0")/.."
oracle=${1:-${INJIT_ORACLE:-./oracle}}
tmpl=bench/conformance/sidecar.tmpl
data=bench/conformance/pod.json
n=20000

cargo build --profile dist --quiet
cargo bench --quiet -p injit-compiler --bench render -- --warm-up-time 1 --measurement-time 5 2>&1 |
    grep -E '^render/|time:'
echo "injit render --bench (parse = parse + lower):"
./target/dist/injit render --funcs sprig --backend jit --bench $n $tmpl $data >/dev/null
if [ -x "$oracle" ]; then
    echo "Go 1.23 (oracle --sprig --bench):"
    "$oracle" --sprig --bench $n $tmpl $data >/dev/null
else
    echo "no oracle at $oracle: build ../shared/conformance/oracle with its build.sh" >&2
fi
