//! What the injector merges: the overlays Istio's test configurations
//! render for their test inputs, and the pods of those inputs as
//! `corev1.Pod` encodes them.

use injit_inject::manifest::{objects, pod_template};
use injit_inject::typed::Typed;
use injit_inject::{Caller, Request, Workload};
use serde_json::{Value, json};

use super::istio::read;
use super::istio_configs::{config_dir, config_sources};

/// Each case's (`cases.tsv`) rendered templates, read as YAML, named
/// `config: input: template`, once per distinct text.
pub(crate) fn rendered_overlays() -> Vec<(String, Value)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (name, rendered) in rendered_texts() {
        let Ok(docs) = injit_inject::object::yaml_documents(&rendered) else { continue };
        let Some(overlay @ Value::Object(_)) = docs.into_iter().next() else { continue };
        if seen.insert(overlay.to_string()) {
            out.push((name, overlay));
        }
    }
    out
}

/// What each case's (`cases.tsv`) templates render for its input's pods,
/// named `config: input: template`, in case order.
pub(crate) fn rendered_texts() -> Vec<(String, String)> {
    let cases = read(&super::data_dir().join("istio/cases.tsv"));
    let mut out = Vec::new();
    let mut injectors = std::collections::BTreeMap::new();
    for line in cases.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (input, config) = (fields[1], fields[3]);
        let injector = injectors.entry(config.to_owned()).or_insert_with(|| {
            config_sources(&config_dir(config)).build(Default::default()).expect("a test configuration builds")
        });
        let text = read(&super::data_dir().join("istio/testdata").join(input));
        let Ok(objects) = objects(&text) else { continue };
        for object in objects {
            let Some(template) = pod_template(&object.value) else { continue };
            let pod = json!({"metadata": template.metadata, "spec": template.spec});
            let workload = Workload::of_pod(&pod);
            let Ok(texts) = injector.rendered_texts(&Request::new(&workload, &pod, Caller::KubeInject)) else {
                continue;
            };
            for (template, rendered) in texts {
                out.push((format!("{config}: {input}: {template}"), rendered));
            }
        }
    }
    out
}

/// The pods of Istio's test inputs and goldens that `corev1.Pod` decodes,
/// normalized, by file.
pub(crate) fn typed_pods() -> Vec<(String, Value)> {
    let dir = super::data_dir().join("istio/testdata");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("testdata").map(|e| e.expect("an entry").path()).collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let Ok(objects) = objects(&read(&path)) else { continue };
        for object in objects {
            let Some(template) = pod_template(&object.value) else { continue };
            let pod = json!({"metadata": template.metadata, "spec": template.spec});
            if let Ok(typed) = Typed::pod().normalize(&pod) {
                out.push((path.file_name().expect("a file").to_string_lossy().into_owned(), typed));
            }
        }
    }
    out
}
