//! Istio's sidecar template alone, as the injector runs it: embedded
//! default configs, the form compiled for the pod (for a pod without a
//! `proxy.istio.io/config` annotation, `.Values`, `.MeshConfig` and
//! `.ProxyConfig` bound at compile time), one typical pod's
//! `SidecarTemplateData`. Both backends run interleaved (batches alternate;
//! each reports its fastest), so the ratio holds on a noisy machine.
//!
//! `cargo run --release -p injit-inject --example sidecar_render -- [POD.json] [--dump DIR] [--only jit|eval] [--rounds N]`
//!
//! `--only` runs one backend (for a profiler); `--rounds` sets how many
//! batches each backend runs (default 20).
//!
//! `--dump DIR` also writes what a Go harness needs to render the same
//! thing (`bench/istio/`): `template.txt`, `data.json` (the data as Go's
//! `json.Marshal` of `SidecarTemplateData` writes it) and `expected.out`.

use std::time::Instant;

use injit_compiler::Backend;
use injit_inject::{Caller, Injector, Options, Request, Sources, Workload};
use injit_runtime::encoding::json::typed;
use injit_runtime::types::GoType;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TEMPLATE: &str = "sidecar";

fn main() {
    let mut args = std::env::args().skip(1);
    let mut pod_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/istio/pod.json").to_owned();
    let (mut dump, mut only, mut rounds) = (None, None, 20);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dump" => dump = Some(args.next().expect("--dump DIR")),
            "--only" => only = Some(args.next().expect("--only jit|eval")),
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()).expect("--rounds N"),
            _ => pod_path = arg,
        }
    }
    let pod: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&pod_path).expect("the pod file")).expect("the pod is JSON");
    let injector = |backend| {
        Sources::default().build(Options { backend, ..Options::default() }).expect("the embedded defaults build")
    };
    let backends = match only.as_deref() {
        None => [("eval", Backend::Eval), ("jit", Backend::Jit)],
        Some("jit") => [("jit", Backend::Jit); 2],
        Some("eval") => [("eval", Backend::Eval); 2],
        Some(other) => panic!("--only {other}: jit or eval"),
    };
    let injectors: [(&str, Injector); 2] = backends.map(|(name, backend)| (name, injector(backend)));
    let workload = Workload::of_pod(&pod);
    let request = Request::new(&workload, &pod, Caller::Webhook);
    let data = injectors[1].1.template_data(&request).expect("template data");

    let mut outputs = Vec::new();
    for (_, injector) in &injectors {
        let mut out = Vec::new();
        injector.template(TEMPLATE, &pod).expect("the sidecar template").render(&data, &mut out).expect("renders");
        outputs.push(out);
    }
    assert_eq!(outputs[0], outputs[1], "the backends disagree");

    if let Some(dir) = dump {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).expect("the dump directory");
        let config = injectors[1].1.config();
        let source = config.templates.iter().find(|t| t.name == TEMPLATE).expect("the sidecar template");
        std::fs::write(dir.join("template.txt"), &source.text).expect("template.txt");
        let mut encoded = Vec::new();
        let data_type = GoType::named("inject.SidecarTemplateData").expect("the schema has SidecarTemplateData");
        typed::write(&mut encoded, data_type, Some(&data), false).expect("the data encodes");
        std::fs::write(dir.join("data.json"), encoded).expect("data.json");
        std::fs::write(dir.join("expected.out"), &outputs[1]).expect("expected.out");
    }

    let mut best = [f64::MAX; 2];
    let mut out = Vec::new();
    const BATCH: usize = 500;
    for _ in 0..rounds {
        for (i, (_, injector)) in injectors.iter().enumerate() {
            let set = injector.template(TEMPLATE, &pod).expect("the sidecar template");
            let start = Instant::now();
            for _ in 0..BATCH {
                out.clear();
                set.render(&data, &mut out).expect("renders");
            }
            best[i] = best[i].min(start.elapsed().as_secs_f64() * 1e9 / BATCH as f64);
        }
    }
    println!("Istio sidecar template, {} bytes out:", outputs[1].len());
    for (i, (name, _)) in injectors.iter().enumerate() {
        println!("{name:5} {:8.0} ns/render", best[i]);
    }
    if only.is_none() {
        println!("jit/eval speedup {:.2}x", best[0] / best[1]);
    }
}
