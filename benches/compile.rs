//! Compile time of Istio's shipped templates, from text to native code:
//! what a config load costs per template.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use injit_compiler::{Backend, CompileOptions, FunctionSet, TemplateSet};
use injit_runtime::Library;

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("snapshots/tests/istio/templates/injection-template.yaml");
    let source = std::fs::read_to_string(&path).expect("Istio's injection template");
    let mut group = c.benchmark_group("compile/injection-template.yaml");
    for backend in [Backend::Eval, Backend::Jit] {
        let options =
            CompileOptions { functions: FunctionSet::new(Library::Istio), backend, ..CompileOptions::default() };
        let set = TemplateSet::compile(&source, &options).expect("compiles");
        assert_eq!(set.backend(), backend);
        group.bench_function(backend.name(), |b| {
            b.iter(|| TemplateSet::compile(std::hint::black_box(&source), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
