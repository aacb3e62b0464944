//! Hostile annotation values: Istio's templates paste annotation values
//! into YAML (`image: "{{ annotation .ObjectMeta "sidecar.istio.io/proxyImage" … }}"`),
//! so a value with a quote and a newline can add fields to the sidecar, or
//! break the YAML with an error that names nothing. Whoever creates a pod
//! sets its annotations; they must reach their own fields and nothing
//! else.
//!
//! When an Istio annotation holds characters that mean something in YAML,
//! the pod is injected a second time with those characters replaced by
//! `_` (the rest kept, so that the template takes the same branches). The
//! two results must have the same shape, differing only in strings that
//! carried the value; otherwise the pod is refused with an error naming
//! the annotation. Pods without such values (nearly all) pay one scan of
//! their annotations.

use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::pod;

/// Annotations the injector reads as structured data itself (JSON or
/// YAML, parsed and re-encoded), never pasted as text. (The ProxyConfig
/// annotation is structured too, but templates paste its strings: its
/// strings are checked one by one.)
const STRUCTURED: [&str; 7] = [
    "proxy.istio.io/overrides",
    "sidecar.istio.io/userVolume",
    "sidecar.istio.io/userVolumeMount",
    "sidecar.istio.io/status",
    "sidecar.istio.io/bootstrapOverride",
    "inject.istio.io/templates",
    "istio.io/rev",
];

fn is_yaml_syntax(c: char) -> bool {
    c.is_control()
        || matches!(c, '"' | '\'' | '\\' | '#' | '{' | '}' | '[' | ']' | '&' | '!' | '|' | '>' | '%' | '@' | '`')
}

/// Whether pasting `value` into YAML can change more than a scalar.
fn is_risky(value: &str) -> bool {
    value.contains(": ") || value.ends_with(':') || value.chars().any(is_yaml_syntax)
}

/// `value` with what YAML could read as syntax made plain.
fn defused(value: &str) -> String {
    let plain: String = value.chars().map(|c| if is_yaml_syntax(c) { '_' } else { c }).collect();
    let plain = plain.replace(": ", ":_");
    match plain.strip_suffix(':') {
        Some(head) => format!("{head}_"),
        None => plain,
    }
}

/// An annotation whose value needs the check, and its probe.
pub struct Risky {
    pub key: String,
    pub value: String,
    /// The value with its syntax made plain.
    pub probe: String,
    /// Plain text that marks a string as carrying the value.
    pub tokens: Vec<String>,
}

/// The annotations of `pod` whose values need the check: any with YAML
/// syntax in its value (Istio's templates paste some that are not
/// Istio's, such as Multus' networks), and the ProxyConfig's strings,
/// which templates paste too (`proxyMetadata` becomes env entries).
pub fn risky_annotations(pod: &Value) -> Vec<Risky> {
    let mut out = Vec::new();
    for (key, value) in pod::annotations(pod) {
        if key == crate::proxy_config::PROXY_CONFIG_ANNOTATION {
            if let Some(risky) = risky_proxy_config(&key, &value) {
                out.push(risky);
            }
        } else if !STRUCTURED.contains(&key.as_str()) && is_risky(&value) {
            // JSON that templates parse (`fromJSON`, as Istio's does with
            // Datadog's env) keeps its syntax in the probe, its strings
            // made plain, so that the probe still renders.
            if let Some(risky) = risky_json(&key, &value) {
                out.push(risky);
                continue;
            }
            let probe = defused(&value);
            out.push(Risky { tokens: vec![probe.clone()], key, value, probe });
        }
    }
    out
}

/// `proxy.istio.io/config` with every key and string defused, as JSON.
fn risky_proxy_config(key: &str, value: &str) -> Option<Risky> {
    let data = crate::yaml::document(value, injit_runtime::NumberMode::JsonNumber).ok()?;
    structured_probe(key, value, crate::object::from_data(&data))
}

/// A JSON object or array value whose strings hold YAML syntax.
fn risky_json(key: &str, value: &str) -> Option<Risky> {
    if !value.trim_start().starts_with(['{', '[']) {
        return None;
    }
    structured_probe(key, value, serde_json::from_str(value).ok()?)
}

fn structured_probe(key: &str, value: &str, mut tree: Value) -> Option<Risky> {
    let mut tokens = Vec::new();
    defuse_strings(&mut tree, &mut tokens);
    if tokens.is_empty() {
        return None;
    }
    let probe = serde_json::to_string(&tree).ok()?;
    Some(Risky { key: key.to_owned(), value: value.to_owned(), probe, tokens })
}

fn defuse_strings(value: &mut Value, tokens: &mut Vec<String>) {
    match value {
        Value::String(s) if is_risky(s) => {
            *s = defused(s);
            tokens.push(s.clone());
        }
        Value::Array(items) => items.iter_mut().for_each(|v| defuse_strings(v, tokens)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (mut k, mut v) in entries {
                if is_risky(&k) {
                    k = defused(&k);
                    tokens.push(k.clone());
                }
                defuse_strings(&mut v, tokens);
                map.insert(k, v);
            }
        }
        _ => {}
    }
}

/// Runs `inject` on `pod`, and when risky annotations are present, again
/// on the probe pod; refuses a result whose shape the values changed.
pub fn guarded(pod: &Value, inject: impl Fn(&Value) -> Result<Value, Error>) -> Result<Value, Error> {
    let risky = risky_annotations(pod);
    let result = inject(pod);
    if risky.is_empty() {
        return result;
    }
    let mut probe_pod = pod.clone();
    let annotations = pod::annotations_mut(&mut probe_pod);
    for r in &risky {
        annotations.insert(r.key.clone(), Value::String(r.probe.clone()));
    }
    let Ok(probe) = inject(&probe_pod) else {
        // Plain values do not inject either: the syntax is not at fault.
        return result;
    };
    let blame = || {
        let names: Vec<String> = risky.iter().map(|r| format!("{}={:?}", r.key, r.value)).collect();
        names.join(", ")
    };
    let plain: Vec<String> = risky.iter().flat_map(|r| r.tokens.iter().cloned()).filter(|p| !p.is_empty()).collect();
    match result {
        Ok(injected) => match shape_difference(&injected, &probe, &plain, &mut String::new()) {
            None => Ok(injected),
            Some(path) => Err(Error::new(
                ErrorKind::InvalidAnnotation,
                format!(
                    "annotation {}: the value changes the injected pod beyond its own field (at {path}); \
                     quotes, newlines and YAML syntax are not allowed there",
                    blame()
                ),
            )),
        },
        Err(e) => Err(Error::new(
            ErrorKind::InvalidAnnotation,
            format!("annotation {}: the value breaks the injection template: {}", blame(), e.message()),
        )),
    }
}

/// Where `got` and `probe` differ other than in strings carrying one of
/// the plain values (a JSON pointer), if anywhere.
fn shape_difference(got: &Value, probe: &Value, plain: &[String], path: &mut String) -> Option<String> {
    let carries = |p: &str, shortest: usize| plain.iter().any(|t| t.len() >= shortest && p.contains(t.as_str()));
    match (got, probe) {
        // A string that stayed a string: any value carried there, however
        // short (`C#` probes as `C_`; the annotation's own field is one).
        (Value::String(_), Value::String(p)) if carries(p, 1) => None,
        // Where the value made something else of a string, only a token
        // long enough to be the value's own exempts it: a lone `#` probes
        // as `_`, which many strings contain.
        (_, Value::String(p)) if carries(p, 3) => None,
        (Value::Object(g), Value::Object(p)) => {
            if let Some(key) = g.keys().chain(p.keys()).find(|k| g.contains_key(*k) != p.contains_key(*k)) {
                return Some(format!("{path}/{key}"));
            }
            g.iter().find_map(|(key, value)| {
                let len = path.len();
                path.push('/');
                path.push_str(key);
                let found = shape_difference(value, &p[key], plain, path);
                path.truncate(len);
                found
            })
        }
        (Value::Array(g), Value::Array(p)) if g.len() == p.len() => {
            g.iter().zip(p).enumerate().find_map(|(i, (g, p))| {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                let found = shape_difference(g, p, plain, path);
                path.truncate(len);
                found
            })
        }
        _ if got == probe => None,
        _ => Some(if path.is_empty() { "/".to_owned() } else { path.clone() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_with_yaml_syntax_are_checked() {
        let pod = json!({"metadata": {"annotations": {
            "sidecar.istio.io/proxyImage": "evil\"\n  privileged: true",
            "sidecar.istio.io/logLevel": "debug",
            "traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
            "proxy.istio.io/config": "holdApplicationUntilProxyStarts: true",
            "example.com/note": "a: b",
        }}});
        let risky = risky_annotations(&pod);
        let keys: Vec<&str> = risky.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["example.com/note", "sidecar.istio.io/proxyImage"]);
        let config = json!({"metadata": {"annotations": {
            "proxy.istio.io/config": "proxyMetadata:\n  A: \"x\\\"\\n  privileged: true\"\n  B: fine\n",
        }}});
        let risky = risky_annotations(&config);
        assert_eq!(risky.len(), 1);
        assert_eq!(risky[0].probe, r#"{"proxyMetadata":{"A":"x__  privileged:_true","B":"fine"}}"#);
        // JSON keeps its syntax; its strings are made plain.
        let json_value = json!({"metadata": {"annotations": {"apm.datadoghq.com/env": r#"{"K\n  x: 1": "v"}"#}}});
        let risky = risky_annotations(&json_value);
        assert_eq!(risky[0].probe, r#"{"K_  x:_1":"v"}"#);
    }

    #[test]
    fn a_value_that_adds_a_field_is_refused_by_name() {
        let pod = json!({"metadata": {"annotations": {"sidecar.istio.io/proxyImage": "x\"\nprivileged: \"true"}}});
        // A template pasting the value into a quoted scalar, read back.
        let inject = |pod: &Value| -> Result<Value, Error> {
            let image = pod::annotation(pod, "sidecar.istio.io/proxyImage").unwrap_or_default();
            let yaml = format!("image: \"{image}\"\n");
            let docs =
                crate::object::yaml_documents(&yaml).map_err(|e| Error::new(ErrorKind::RenderedYaml, e.to_string()))?;
            Ok(docs.into_iter().next().unwrap_or_default())
        };
        let e = guarded(&pod, inject).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidAnnotation);
        assert!(e.message().contains("sidecar.istio.io/proxyImage"), "{e}");
        assert!(e.message().contains("/privileged"), "{e}");
        let fine = json!({"metadata": {"annotations": {"sidecar.istio.io/proxyImage": "a'b#c"}}});
        assert_eq!(guarded(&fine, inject).unwrap(), json!({"image": "a'b#c"}));
    }

    #[test]
    fn short_values_reach_their_own_fields() {
        // The pod's own annotations come back in the injected pod, and
        // a short proxyMetadata value becomes an env entry.
        let inject = |pod: &Value| -> Result<Value, Error> {
            let separator = crate::object::from_data(
                &crate::yaml::document(
                    pod::annotation(pod, "proxy.istio.io/config").unwrap_or_default(),
                    injit_runtime::NumberMode::JsonNumber,
                )
                .map_err(|e| Error::new(ErrorKind::RenderedYaml, e.to_string()))?,
            )["proxyMetadata"]["SEP"]
                .clone();
            Ok(json!({"metadata": pod["metadata"].clone(), "env": [{"name": "SEP", "value": separator}]}))
        };
        for value in ["C#", "#", "@", "!!", "'a", "\"\""] {
            let pod = json!({"metadata": {"annotations": {
                "example.com/language": value,
                "proxy.istio.io/config": format!("proxyMetadata: {{SEP: {}}}", serde_json::to_string(value).unwrap()),
            }}});
            let injected = guarded(&pod, inject).unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert_eq!(injected["env"][0]["value"], json!(value));
        }
        // A short value that makes a string into something else is still
        // refused: `#` pasted unquoted leaves a null.
        let pod = json!({"metadata": {"annotations": {"sidecar.istio.io/logLevel": "#"}}});
        let paste = |pod: &Value| -> Result<Value, Error> {
            let level = pod::annotation(pod, "sidecar.istio.io/logLevel").unwrap_or_default();
            let docs = crate::object::yaml_documents(&format!("level: {level}\n"))
                .map_err(|e| Error::new(ErrorKind::RenderedYaml, e.to_string()))?;
            Ok(docs.into_iter().next().unwrap_or_default())
        };
        let e = guarded(&pod, paste).unwrap_err();
        assert!(e.message().contains("/level"), "{e}");
    }

    #[test]
    fn the_probe_keeps_what_templates_branch_on() {
        assert_eq!(defused("docker.io/proxy:1.0\u{1}\"x: y:"), "docker.io/proxy:1.0__x:_y_");
        // A template taking another branch without a slash.
        let inject = |pod: &Value| -> Result<Value, Error> {
            let image = pod::annotation(pod, "sidecar.istio.io/proxyImage").unwrap_or_default();
            Ok(if image.contains('/') {
                json!({"image": image})
            } else {
                json!({"image": "default", "pull": "Always"})
            })
        };
        let pod = json!({"metadata": {"annotations": {"sidecar.istio.io/proxyImage": "r.io/p:1\u{1}"}}});
        assert_eq!(guarded(&pod, inject).unwrap(), json!({"image": "r.io/p:1\u{1}"}));
    }
}
