//! The `sidecar.istio.io/status` annotation: what injection added, so that
//! re-injection can take it out first.

use std::collections::HashSet;

use serde_json::Value;

use crate::pod::{self, Containers};

pub const STATUS_ANNOTATION: &str = "sidecar.istio.io/status";

/// The names of what the template pod holds, as Istio's
/// `SidecarInjectionStatus` marshals them (empty lists are `null`).
pub fn current(template_pod: &Value, revision: &str) -> String {
    let revision = if revision.is_empty() { "default" } else { revision };
    let spec = template_pod.get("spec");
    let mut out = Vec::with_capacity(128);
    for (i, key) in ["initContainers", "containers", "volumes", "imagePullSecrets"].into_iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"{\"" } else { b",\"" });
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        push_names(&mut out, spec.and_then(|s| s.get(key)));
    }
    out.extend_from_slice(b",\"revision\":");
    push_json_string(&mut out, revision);
    out.push(b'}');
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// The 1.0/1.1 form: the template's SHA-256 first, every list spelled out.
pub fn legacy(version: &str, spec: &Value) -> String {
    let mut out = b"{\"version\":".to_vec();
    push_json_string(&mut out, version);
    for key in ["initContainers", "containers", "volumes", "imagePullSecrets"] {
        out.extend_from_slice(format!(",\"{key}\":").as_bytes());
        push_names(&mut out, spec.get(key));
    }
    out.push(b'}');
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// The names of `list`'s elements as a JSON list, `null` when empty.
fn push_names(out: &mut Vec<u8>, list: Option<&Value>) {
    match list.and_then(Value::as_array) {
        Some(items) if !items.is_empty() => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_json_string(out, pod::name_of(item));
            }
            out.push(b']');
        }
        _ => out.extend_from_slice(b"null"),
    }
}

/// `s` as Go's `encoding/json` writes a string.
fn push_json_string(out: &mut Vec<u8>, s: &str) {
    injit_runtime::encoding::json::write_json_string(out, s.as_bytes(), true);
}

/// A previous injection's record: the containers it added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

    /// The record as far as it can be believed, if not wholly.
    ///
    /// The annotation is the pod author's to write, and Istio takes every
    /// container it names for one a previous injection added, hiding it
    /// from the templates (`stripPod`). A record naming the app's own
    /// container hides the app: the templates then add no
    /// `kubectl.kubernetes.io/default-container`, no app ports to the
    /// proxy's metadata; and the injection's own record, which the next
    /// injection reads, names only what it added, so injecting the
    /// injected pod again changes it.
    ///
    /// So a name is believed only if injection would add it again now
    /// (`injected_spec`: what the templates rendered with the whole
    /// record believed) or the pod (`pod_spec`) does not hold it. Any
    /// other is the user's: its container (or volume, or secret) stays in
    /// the pod as Istio keeps it, the templates see it, and injecting the
    /// result again renders the same. (A container a config since changed
    /// no longer adds is kept and shown the same way, which Istio keeps
    /// but hides once: its next injection shows it anyway.)
    pub fn believed(&self, pod_spec: &Value, injected_spec: &Value) -> Option<Previous> {
        let names = |spec: &Value, keys: &[&str]| -> HashSet<String> {
            let items = keys.iter().filter_map(|k| spec.get(*k)?.as_array()).flatten();
            items.map(|item| pod::name_of(item).to_owned()).collect()
        };
        // A container may move between the lists (native sidecars).
        let containers = ["containers", "initContainers"];
        let injected = [
            names(injected_spec, &containers),
            names(injected_spec, &["volumes"]),
            names(injected_spec, &["imagePullSecrets"]),
        ];
        let mut believed = Previous::default();
        let mut doubted = false;
        for (key, own, of, kept) in [
            ("containers", &self.containers, 0, &mut believed.containers),
            ("initContainers", &self.init_containers, 0, &mut believed.init_containers),
            ("volumes", &self.volumes, 1, &mut believed.volumes),
            ("imagePullSecrets", &self.image_pull_secrets, 2, &mut believed.image_pull_secrets),
        ] {
            let held = names(pod_spec, &[key]);
            for name in own {
                if injected[of].contains(name) || !held.contains(name) {
                    kept.push(name.clone());
                } else {
                    doubted = true;
                }
            }
        }
        doubted.then_some(believed)
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

    #[test]
    fn a_record_naming_what_injection_would_not_add_is_doubted() {
        let record = |containers: &[&str]| Previous {
            containers: containers.iter().map(|c| c.to_string()).collect(),
            init_containers: vec!["istio-init".to_owned()],
            ..Previous::default()
        };
        let pod = json!({"containers": [{"name": "app"}, {"name": "istio-proxy"}], "initContainers": [{"name": "istio-init"}]});
        // Native sidecars: the proxy moved to the init containers.
        let injected = json!({"initContainers": [{"name": "istio-init"}, {"name": "istio-proxy"}]});
        assert_eq!(record(&["istio-proxy"]).believed(&pod, &injected), None, "a true record is believed");
        assert_eq!(record(&["istio-proxy", "gone"]).believed(&pod, &injected), None, "absent names hide nothing");
        assert_eq!(record(&["app", "istio-proxy"]).believed(&pod, &injected), Some(record(&["istio-proxy"])));
    }
}
