//! Writes the `SidecarTemplateData` injection gives a template for each
//! input, one JSON file per input: the typed corpus's data
//! (`snapshots/tests/typed_corpus/data/`, made by
//! `tools/typed-oracle/gen_cases.py`).
//!
//! `cargo run --release -p injit-inject --example template_data -- OUT_DIR INPUT...`
//!
//! An input is a manifest (`.yaml`: its first object with a pod template,
//! a Deployment's as kube-inject sees it) or a pod (`.json`), injected
//! with the embedded default configs. The JSON written is the data as
//! injit holds it, which typed mode reads back (`"typed": true` cases):
//! Kubernetes parts under their JSON names, the mesh and proxy config as
//! protobuf JSON (enum names, durations as `"45s"`), which is also what
//! the real types' `UnmarshalJSON` (golang/protobuf `jsonpb`) reads.

use std::path::Path;

use injit_inject::manifest::{objects, pod_of};
use injit_inject::{Caller, Options, Request, Sources, Workload};
use injit_runtime::encoding::json::value::{RAW, marshal, owned_from_data};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().expect("usage: template_data OUT_DIR INPUT...");
    let out = Path::new(&out);
    std::fs::create_dir_all(out).expect("the output folder");
    let injector = Sources::default().build(Options::default()).expect("the embedded defaults build");
    for input in args {
        let path = Path::new(&input);
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{input}: {e}"));
        let (pod, workload) = if input.ends_with(".json") {
            let pod: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{input}: {e}"));
            let workload = Workload::of_pod(&pod);
            (pod, workload)
        } else {
            let objects = objects(&text).unwrap_or_else(|e| panic!("{input}:{}: {}", e.line, e.message));
            let (object, pod) = objects
                .iter()
                .find_map(|o| Some((o, pod_of(o)?)))
                .unwrap_or_else(|| panic!("{input}: no object with a pod template"));
            let workload = if object.kind() == "Pod" {
                Workload::of_pod(&object.value)
            } else {
                Workload::of_object(&object.value)
            };
            (pod, workload)
        };
        let request = Request::new(&workload, &pod, Caller::KubeInject);
        let data = injector.template_data(&request).unwrap_or_else(|e| panic!("{input}: {e}"));
        let mut json = marshal(&owned_from_data(&data), RAW).unwrap_or_else(|e| panic!("{input}: {e}"));
        json.push(b'\n');
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("a file name");
        std::fs::write(out.join(format!("{stem}.json")), json).expect("the data file");
    }
}
