//! Parse speed on the conformance kit's bench template (an Istio-shaped
//! 5 KB sidecar template) and on Istio's real `injection-template.yaml`.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use injit_grammar::{ParseOptions, parse};

// The allocator the `injit` binary parses with (a parse allocates one small
// string per name in the tree).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn read(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn bench(c: &mut Criterion) {
    // Every name is a function: the bench measures the parser, not a lookup table.
    let functions = |_: &str| true;
    let options = ParseOptions::new("t", &functions);
    for (label, path) in [
        ("parse/sidecar.tmpl", "bench/conformance/sidecar.tmpl"),
        ("parse/injection-template.yaml", "snapshots/tests/istio/templates/injection-template.yaml"),
    ] {
        let text = read(path);
        parse(&text, &options).expect("bench template parses");
        c.bench_function(label, |b| b.iter(|| parse(std::hint::black_box(&text), &options)));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
