//! The native backend: its Cranelift IR for a few small templates, renders
//! from many threads at once, and code freed with its template set.

mod common;

use std::sync::Arc;

use injit_compiler::{Backend, CompileOptions, Functions, TemplateSet};
use injit_runtime::{Data, FunctionSet, NumberMode};

fn compile(source: &str, backend: Backend) -> TemplateSet {
    let options =
        CompileOptions { functions: Functions::new(FunctionSet::Sprig), backend, ..CompileOptions::default() };
    let set = TemplateSet::compile(source, &options).expect("test template compiles");
    assert_eq!(set.backend(), backend, "{:?}", set.jit_error());
    set
}

fn bench_inputs() -> (String, Data, String) {
    let root = common::data_dir().join("../../bench/conformance");
    let read = |name: &str| std::fs::read_to_string(root.join(name)).expect("bench input");
    let data = Data::from_json(read("pod.json").as_bytes(), NumberMode::Float).expect("pod.json");
    (read("sidecar.tmpl"), data, read("expected.out"))
}

#[test]
fn cranelift_ir_of_small_templates() {
    insta::glob!("inputs/clif/*.tmpl", |path| {
        let source = std::fs::read_to_string(path).expect("readable input");
        let set = compile(&source, Backend::Eval);
        insta::assert_snapshot!(set.clif().expect("code generation"));
    });
}

#[test]
fn one_compiled_template_renders_from_eight_threads() {
    let (source, data, expected) = bench_inputs();
    let set = Arc::new(compile(&source, Backend::Jit));
    let data = Arc::new(data);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (set, data) = (Arc::clone(&set), Arc::clone(&data));
            std::thread::spawn(move || {
                let mut out = Vec::new();
                for _ in 0..200 {
                    out.clear();
                    set.render(&data, &mut out).expect("renders");
                }
                String::from_utf8(out).expect("utf-8")
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread finishes"), expected);
    }
}

/// Resident memory in bytes (Linux).
fn resident() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[test]
fn dropping_a_template_set_frees_its_code() {
    let (source, data, expected) = bench_inputs();
    let generation = || {
        let set = compile(&source, Backend::Jit);
        let mut out = Vec::new();
        set.render(&data, &mut out).expect("renders");
        assert_eq!(out, expected.as_bytes());
    };
    for _ in 0..100 {
        generation();
    }
    let Some(before) = resident() else { return };
    for _ in 0..900 {
        generation();
    }
    let after = resident().unwrap_or(before);
    // Each generation's code and data are tens of kilobytes: leaking them
    // would add tens of megabytes here.
    let growth = after.saturating_sub(before);
    assert!(growth < 8 << 20, "resident memory grew by {growth} bytes over 900 generations");
}

#[test]
fn deep_recursion_runs_on_heap_stack_segments() {
    // 50 000 nested calls of native code, each on the thread's stack until
    // it runs low, then on segments the helper allocates.
    let source = r#"{{define "r"}}{{if .}}{{template "r" (sub . 1)}}{{end}}{{end}}{{template "r" .}}done"#;
    let set = compile(source, Backend::Jit);
    let data = Data::Number(50_000.0);
    let mut out = Vec::new();
    // A small thread stack, as a tokio worker's.
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || set.render(&data, &mut out).map(|()| out).map_err(|e| e.to_string()))
        .expect("thread starts");
    assert_eq!(handle.join().expect("no stack overflow").expect("renders"), b"done");
}
