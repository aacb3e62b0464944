//! `kube-inject` of Istio's `hello.yaml` with Istio's default
//! configuration: decode, render the sidecar template, merge, post-process
//! and write the Deployment back — on native code and on the evaluator.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use injit_compiler::Backend;
use injit_inject::{Options, Sources, kube_inject};

// The allocator the CLI runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let input = std::fs::read_to_string(root.join("snapshots/tests/istio/testdata/hello.yaml")).expect("hello.yaml");
    let golden =
        std::fs::read_to_string(root.join("snapshots/tests/istio/testdata/hello.yaml.injected")).expect("golden");
    let mut group = c.benchmark_group("kube-inject/hello.yaml");
    for backend in [Backend::Jit, Backend::Eval] {
        let injector = Sources::default().build(Options { backend, ..Options::default() }).expect("the default config");
        let output = kube_inject(&injector, "hello.yaml", &input).expect("injects").output;
        assert_eq!(output.trim(), golden.trim(), "the bench injects what Istio does");
        group.bench_function(backend.name(), |b| {
            b.iter(|| kube_inject(&injector, "hello.yaml", std::hint::black_box(&input)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
