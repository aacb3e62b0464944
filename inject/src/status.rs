//! The `sidecar.istio.io/status` annotation: what injection added, so that
//! re-injection can take it out first.

use serde_json::Value;

use crate::pod::{self, Containers};

pub const STATUS_ANNOTATION: &str = "sidecar.istio.io/status";

/// The names of what the template pod holds, as Istio's
/// `SidecarInjectionStatus` marshals them (empty lists are `null`).
pub fn current(template_pod: &Value, revision: &str) -> String {
    let revision = if revision.is_empty() { "default" } else { revision };
    let mut out = String::from("{");
    for (i, key) in ["initContainers", "containers", "volumes", "imagePullSecrets"].into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{key}\":"));
        out.push_str(&names(template_pod.pointer(&format!("/spec/{key}"))));
    }
    out.push_str(",\"revision\":");
    out.push_str(&json_string(revision));
    out.push('}');
    out
}

/// The 1.0/1.1 form: the template's SHA-256 first, every list spelled out.
pub fn legacy(version: &str, spec: &Value) -> String {
    let mut out = format!("{{\"version\":{}", json_string(version));
    for key in ["initContainers", "containers", "volumes", "imagePullSecrets"] {
        out.push_str(&format!(",\"{key}\":{}", names(spec.get(key))));
    }
    out.push('}');
    out
}

fn names(list: Option<&Value>) -> String {
    match list.and_then(Value::as_array) {
        Some(items) if !items.is_empty() => {
            let names: Vec<String> = items.iter().map(|c| json_string(pod::name_of(c))).collect();
            format!("[{}]", names.join(","))
        }
        _ => "null".to_owned(),
    }
}

fn json_string(s: &str) -> String {
    let mut out = Vec::new();
    injit_runtime::json::write_string(&mut out, s.as_bytes(), true);
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// A previous injection's record: the containers it added.
#[derive(Debug, Default)]
pub struct Previous {
    pub containers: Vec<String>,
    pub init_containers: Vec<String>,
    pub volumes: Vec<String>,
    pub image_pull_secrets: Vec<String>,
}

impl Previous {
    /// The status annotation of `pod`, if it has one that parses.
    pub fn of(pod: &Value) -> Option<Previous> {
        let text = pod::annotation(pod, STATUS_ANNOTATION)?;
        let status: Value = serde_json::from_str(text).ok()?;
        let list = |key: &str| -> Vec<String> {
            status
                .get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        Some(Previous {
            containers: list("containers"),
            init_containers: list("initContainers"),
            volumes: list("volumes"),
            image_pull_secrets: list("imagePullSecrets"),
        })
    }

    pub fn names(&self, which: Containers) -> &[String] {
        match which {
            Containers::Regular => &self.containers,
            Containers::Init => &self.init_containers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_json_is_istios() {
        let pod = json!({"spec": {"initContainers": [{"name": "istio-init"}, {"name": "istio-proxy"}], "volumes": [{"name": "a"}]}});
        assert_eq!(
            current(&pod, ""),
            r#"{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["a"],"imagePullSecrets":null,"revision":"default"}"#
        );
        let previous =
            Previous::of(&json!({"metadata": {"annotations": {STATUS_ANNOTATION: current(&pod, "canary")}}})).unwrap();
        assert_eq!(previous.init_containers, ["istio-init", "istio-proxy"]);
        assert!(previous.containers.is_empty());
    }
}
