//! Both backends side by side on one template, interleaved: batches of
//! renders alternate between them and each reports its fastest batch. On a
//! shared or throttling machine this gives a much steadier ratio than two
//! separate benchmark runs.
//!
//! `cargo run --release -p injit-compiler --example backends [--only eval|jit]
//! [TEMPLATE DATA]` (default: the conformance kit's bench template and pod;
//! `--only` runs one backend, for a profiler).

use std::time::Instant;

use injit_compiler::{Backend, CompileOptions, FunctionSet, TemplateSet};
use injit_runtime::Library;
use injit_runtime::{Data, NumberMode};

// The allocator of the `injit` binary and the webhook.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/conformance/");
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let only = match args.iter().position(|a| a == "--only") {
        Some(at) if at + 1 < args.len() => Some(args.drain(at..at + 2).nth(1).expect("two drained")),
        _ => None,
    };
    let (template, data) = match args.as_slice() {
        [t, d] => (t.clone(), d.clone()),
        _ => (format!("{root}sidecar.tmpl"), format!("{root}pod.json")),
    };
    let source = std::fs::read_to_string(&template).expect("template");
    let json = std::fs::read(&data).expect("data");
    let data = Data::from_json(&json, NumberMode::Float).expect("data is JSON");
    let compile = |backend| {
        let options =
            CompileOptions { functions: FunctionSet::new(Library::Sprig), backend, ..CompileOptions::default() };
        TemplateSet::compile(&source, &options).expect("template compiles")
    };
    let sets = [("eval", compile(Backend::Eval)), ("jit", compile(Backend::Jit))];
    let mut best = [f64::MAX; 2];
    let mut out = Vec::new();
    const BATCH: usize = 2_000;
    for _ in 0..30 {
        for (i, (name, set)) in sets.iter().enumerate() {
            if only.as_deref().is_some_and(|only| only != *name) {
                continue;
            }
            let start = Instant::now();
            for _ in 0..BATCH {
                out.clear();
                set.render(&data, &mut out).expect("renders");
            }
            best[i] = best[i].min(start.elapsed().as_secs_f64() * 1e9 / BATCH as f64);
        }
    }
    for (i, (name, _)) in sets.iter().enumerate() {
        if best[i] == f64::MAX {
            continue;
        }
        println!("{name:5} {:8.0} ns/render", best[i]);
    }
    if only.is_none() {
        println!("jit/eval speedup {:.2}x", best[0] / best[1]);
    }
}
