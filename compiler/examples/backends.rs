//! Both backends side by side on one template, interleaved: batches of
//! renders alternate between them and each reports its fastest batch. On a
//! shared or throttling machine this gives a much steadier ratio than two
//! separate benchmark runs.
//!
//! `cargo run --release -p injit-compiler --example backends [TEMPLATE DATA]`
//! (default: the conformance kit's bench template and pod).

use std::time::Instant;

use injit_compiler::{Backend, CompileOptions, Functions, TemplateSet};
use injit_runtime::FunctionSet;
use injit_runtime::data::{Data, NumberMode};

// The allocator of the `injit` binary and the webhook.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/conformance/");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (template, data) = match args.as_slice() {
        [t, d] => (t.clone(), d.clone()),
        _ => (format!("{root}sidecar.tmpl"), format!("{root}pod.json")),
    };
    let source = std::fs::read_to_string(&template).expect("template");
    let json = std::fs::read(&data).expect("data");
    let data = Data::from_json(&json, NumberMode::Float).expect("data is JSON");
    let compile = |backend| {
        let options =
            CompileOptions { functions: Functions::new(FunctionSet::Sprig), backend, ..CompileOptions::default() };
        TemplateSet::compile(&source, &options).expect("template compiles")
    };
    let sets = [("eval", compile(Backend::Eval)), ("jit", compile(Backend::Jit))];
    let mut best = [f64::MAX; 2];
    let mut out = Vec::new();
    const BATCH: usize = 2_000;
    for _ in 0..30 {
        for (i, (_, set)) in sets.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..BATCH {
                out.clear();
                set.render(&data, &mut out).expect("renders");
            }
            best[i] = best[i].min(start.elapsed().as_secs_f64() * 1e9 / BATCH as f64);
        }
    }
    for (i, (name, _)) in sets.iter().enumerate() {
        println!("{name:5} {:8.0} ns/render", best[i]);
    }
    println!("jit/eval speedup {:.2}x", best[0] / best[1]);
}
