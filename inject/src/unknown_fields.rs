//! Fields a Kubernetes object has that its Go type does not: what the API
//! server's strict field validation refuses (`kubectl apply` warns or
//! fails), and what `kubectl`'s and `istioctl`'s decoding drops without a
//! word. A typo such as `contaners:` in a pod template otherwise becomes a
//! pod with no containers.

use injit_runtime::types::{DefKind, GoType, Kind, Ty};
use serde_json::Value;

/// A field its type does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownField {
    /// Where it is, from the object checked (`spec.contaners`,
    /// `spec.containers[0].imagee`).
    pub path: String,
    pub name: String,
    /// The type's field the name is closest to, if it looks like a typo.
    pub suggestion: Option<&'static str>,
}

/// The fields in `value` that Go type `t` has no JSON field for, at every
/// depth, in key order. Types read as a whole (quantities, times,
/// `IntOrString`, raw extensions) and interface values are not looked into.
pub fn unknown_fields(t: GoType, value: &Value) -> Vec<UnknownField> {
    let mut out = Vec::new();
    walk(t, value, &Path::Root(""), &mut out);
    out
}

/// The unknown fields of a workload's pod template (its metadata and
/// spec), with paths from the object (`spec.template.spec.contaners`).
pub fn in_pod_template(object: &Value) -> Vec<UnknownField> {
    let Some(template) = crate::manifest::pod_template(object) else { return Vec::new() };
    let prefix = match object.get("kind").and_then(Value::as_str) {
        Some("Pod") => "",
        Some("CronJob") => "spec.jobTemplate.spec.template.",
        _ => "spec.template.",
    };
    let mut out = Vec::new();
    for (part, value, type_key) in
        [("metadata", template.metadata, "metav1.ObjectMeta"), ("spec", template.spec, "corev1.PodSpec")]
    {
        let Some(t) = GoType::named(type_key) else { continue };
        let root = format!("{prefix}{part}");
        walk(t, value, &Path::Root(&root), &mut out);
    }
    out
}

impl UnknownField {
    /// ` (did you mean `name`?)`, or nothing.
    pub fn did_you_mean(&self) -> String {
        self.suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
    }
}

/// Where the walk is: built on the stack and written out only for an
/// unknown field, so that a clean object costs no allocation.
enum Path<'p> {
    /// The prefix the walk started from (`spec.template.spec`).
    Root(&'p str),
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
    Key(&'p Path<'p>, &'p str),
}

impl Path<'_> {
    fn write(&self, out: &mut String) {
        match self {
            Path::Root(prefix) => out.push_str(prefix),
            Path::Field(parent, name) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Path::Index(parent, i) => {
                parent.write(out);
                out.push_str(&format!("[{i}]"));
            }
            Path::Key(parent, key) => {
                parent.write(out);
                out.push_str(&format!("[{key}]"));
            }
        }
    }
}

fn walk(t: GoType, value: &Value, path: &Path<'_>, out: &mut Vec<UnknownField>) {
    let mut t = t;
    while let Ty::Ptr(e) = t.expr() {
        t = GoType(e);
    }
    match (t.kind(), value) {
        (Kind::Struct, Value::Object(object)) if matches!(t.def().map(|d| d.kind), Some(DefKind::Struct(..))) => {
            for (key, item) in object {
                let here = Path::Field(path, key);
                match json_field(t, key) {
                    Some(field) => walk(field, item, &here, out),
                    None => {
                        let mut written = String::new();
                        here.write(&mut written);
                        out.push(UnknownField {
                            path: written,
                            name: key.clone(),
                            suggestion: injit_compiler::closest(key, json_names(t)),
                        })
                    }
                }
            }
        }
        (Kind::Slice, Value::Array(items)) => {
            let Some(elem) = t.elem() else { return };
            for (i, item) in items.iter().enumerate() {
                walk(elem, item, &Path::Index(path, i), out);
            }
        }
        (Kind::Map, Value::Object(object)) => {
            let Some(elem) = t.elem() else { return };
            for (key, item) in object {
                walk(elem, item, &Path::Key(path, key), out);
            }
        }
        _ => {}
    }
}

/// The type of `t`'s field with JSON name `key`, embedded structs' included.
fn json_field(t: GoType, key: &str) -> Option<GoType> {
    for field in t.fields() {
        if field.inline && field.json.is_empty() {
            if let Some(found) = json_field(GoType(field.ty), key) {
                return Some(found);
            }
        } else if field.json == key {
            return Some(GoType(field.ty));
        }
    }
    None
}

/// Every JSON field name of `t`, embedded structs' included.
fn json_names(t: GoType) -> Vec<&'static str> {
    let mut names = Vec::new();
    for field in t.fields() {
        if field.inline && field.json.is_empty() {
            names.extend(json_names(GoType(field.ty)));
        } else {
            names.push(field.json);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_template() -> GoType {
        GoType::named("corev1.PodTemplateSpec").expect("in the schema")
    }

    #[test]
    fn a_typo_is_found_with_its_path_and_the_name_meant() {
        let template = json!({
            "metadata": {"labels": {"app": "web"}, "annotatons": {}},
            "spec": {"contaners": [], "containers": [{"name": "web", "imagee": "x", "resources": {"limits": {"cpu": "1"}}}]}
        });
        let found = unknown_fields(pod_template(), &template);
        let got: Vec<(&str, Option<&str>)> = found.iter().map(|f| (f.path.as_str(), f.suggestion)).collect();
        assert_eq!(
            got,
            [
                ("metadata.annotatons", Some("annotations")),
                ("spec.containers[0].imagee", Some("image")),
                ("spec.contaners", Some("containers")),
            ]
        );
    }

    #[test]
    fn whole_values_and_maps_are_not_looked_into() {
        let template = json!({"spec": {"containers": [{"name": "a", "resources": {"limits": {"nvidia.com/gpu": "1"}},
            "ports": [{"containerPort": 80}], "livenessProbe": {"httpGet": {"port": "http"}}}],
            "overhead": {"cpu": "1"}}, "metadata": {"creationTimestamp": null}});
        assert_eq!(unknown_fields(pod_template(), &template), []);
    }
}
