//! Manifests as `kubectl` reads them: `---`-separated documents (split
//! as apimachinery's `YAMLReader` splits them, with their lines), `List`s
//! expanded, and the pod template of each workload kind.

use serde_json::Value;

use crate::json_pointer::Pointer;
use crate::object::yaml_documents;

/// One document of a manifest.
pub struct Document<'a> {
    pub text: &'a str,
    /// Its first line in the manifest (1-based).
    pub line: usize,
}

/// A problem at a line of a manifest.
#[derive(Debug)]
pub struct Located {
    pub line: usize,
    pub message: String,
}

/// Splits on `---` lines (nothing may follow on the line but spaces or a
/// comment); empty documents are dropped.
pub fn split_documents(input: &str) -> Result<Vec<Document<'_>>, Located> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (i, line) in input.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.strip_prefix("---").map(str::trim) {
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(Located { line: i + 1, message: format!("invalid Yaml document separator: {rest}") });
            }
            if offset > start {
                docs.push(Document { text: &input[start..offset], line: start_line });
            }
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    if input.len() > start {
        docs.push(Document { text: &input[start..], line: start_line });
    }
    Ok(docs)
}

/// The document's object (`null` when it holds none); lines in errors are
/// the document's own.
pub fn parse_document(text: &str) -> Result<Value, Located> {
    let docs =
        yaml_documents(text).map_err(|e| Located { line: e.line, message: format!("invalid YAML: {}", e.message) })?;
    Ok(docs.into_iter().next().unwrap_or(Value::Null))
}

/// An object of a manifest and the line its document starts at.
#[derive(Clone, Debug)]
pub struct ManifestObject {
    pub value: Value,
    pub line: usize,
}

impl ManifestObject {
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.value.at("/metadata/name").and_then(Value::as_str).unwrap_or_default()
    }

    /// Its namespace, `default` when the manifest leaves it out (where
    /// `kubectl apply` puts it unless told otherwise).
    pub fn namespace(&self) -> &str {
        self.value.at("/metadata/namespace").and_then(Value::as_str).filter(|n| !n.is_empty()).unwrap_or("default")
    }
}

/// Every object of a manifest, `List` items expanded in place.
pub fn objects(input: &str) -> Result<Vec<ManifestObject>, Located> {
    let mut out = Vec::new();
    for doc in split_documents(input)? {
        // Point at the object, past leading comments and blank lines.
        let skipped = doc.text.lines().take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#')).count();
        let line = doc.line + skipped;
        let value = parse_document(doc.text)
            .map_err(|Located { line, message }| Located { line: doc.line + line - 1, message })?;
        match value {
            Value::Null => {}
            Value::Object(_) if value.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List")) => {
                let items = value.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
                // Each item where it starts (the List's line if unknown).
                let starts = crate::list_items::item_lines(doc.text);
                for (i, mut value) in items.into_iter().enumerate() {
                    let line = starts.get(i).map_or(line, |l| doc.line + l - 1);
                    decode_pod_template(&mut value).map_err(|message| Located { line, message })?;
                    out.push(ManifestObject { value, line });
                }
            }
            Value::Object(_) => {
                let mut value = value;
                decode_pod_template(&mut value).map_err(|message| Located { line, message })?;
                out.push(ManifestObject { value, line });
            }
            _ => return Err(Located { line, message: "the document is not an object".to_owned() }),
        }
    }
    Ok(out)
}

/// A workload's pod template as `kubectl`'s and `istioctl`'s YAML
/// decoding reads it (`sigs.k8s.io/yaml` into the Go types): scalars
/// where the type has strings become strings (`version: 1.10` is
/// `"1.1"`), and a part of the wrong type (`metadata: hello`) is an error
/// naming the object.
pub(crate) fn decode_pod_template(object: &mut Value) -> Result<(), String> {
    let parts: &[(&str, &str)] = match object.get("kind").and_then(Value::as_str) {
        Some("Pod") => &[("/metadata", "metav1.ObjectMeta"), ("/spec", "corev1.PodSpec")],
        Some("CronJob") => {
            &[("/metadata", "metav1.ObjectMeta"), ("/spec/jobTemplate/spec/template", "corev1.PodTemplateSpec")]
        }
        Some(_) if pod_template(object).is_some() => {
            &[("/metadata", "metav1.ObjectMeta"), ("/spec/template", "corev1.PodTemplateSpec")]
        }
        _ => return Ok(()),
    };
    for (path, key) in parts {
        if let Some(part) = object.at_mut(path) {
            crate::typed::Typed::named(key).decode_yaml(part).map_err(|e| {
                let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
                let name = object.at("/metadata/name").and_then(Value::as_str).unwrap_or_default();
                format!("{kind} {name:?}: {}: {e}", path[1..].replace('/', "."))
            })?;
        }
    }
    Ok(())
}

/// A workload's pod template: the labels and spec its pods get.
pub struct PodTemplate<'o> {
    pub metadata: &'o Value,
    pub spec: &'o Value,
}

/// The pod template of a Pod, Deployment, StatefulSet, DaemonSet,
/// ReplicaSet, ReplicationController, Job, CronJob or DeploymentConfig.
pub fn pod_template(object: &Value) -> Option<PodTemplate<'_>> {
    let null = &Value::Null;
    let at = |pointer: &str| object.at(pointer).unwrap_or(null);
    match object.get("kind").and_then(Value::as_str)? {
        "Pod" => Some(PodTemplate { metadata: at("/metadata"), spec: at("/spec") }),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job"
        | "DeploymentConfig" => {
            Some(PodTemplate { metadata: at("/spec/template/metadata"), spec: at("/spec/template/spec") })
        }
        "CronJob" => Some(PodTemplate {
            metadata: at("/spec/jobTemplate/spec/template/metadata"),
            spec: at("/spec/jobTemplate/spec/template/spec"),
        }),
        _ => None,
    }
}

/// The pod as the webhook would see it: the template's metadata and spec,
/// in the object's namespace.
pub fn pod_of(object: &ManifestObject) -> Option<Value> {
    let template = pod_template(&object.value)?;
    let mut metadata = match template.metadata {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    metadata.insert("namespace".to_owned(), Value::String(object.namespace().to_owned()));
    if object.kind() != "Pod" && !metadata.contains_key("name") {
        metadata.insert("generateName".to_owned(), Value::String(format!("{}-", object.name())));
    }
    Some(serde_json::json!({"metadata": metadata, "spec": template.spec}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_as_apimachinery_splits_them() {
        let docs = split_documents("---\na: 1\n--- # c\n\n---\nb: 2\n").ok().unwrap();
        let texts: Vec<&str> = docs.iter().map(|d| d.text).collect();
        assert_eq!(texts, ["a: 1\n", "\n", "b: 2\n"]);
        assert_eq!(docs[2].line, 6);
        assert_eq!(split_documents("a: 1\n---x\n").err().map(|e| e.line), Some(2));
    }

    #[test]
    fn lists_are_expanded_and_templates_found() {
        let text = "kind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n  spec: {}\n---\nkind: CronJob\nmetadata: {name: c, namespace: ns}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {app: c}}\n        spec: {containers: []}\n";
        let read = objects(text).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!((read[0].kind(), read[0].line, read[0].namespace()), ("Pod", 3, "default"), "the item's own line");
        assert_eq!(read[1].line, 7);
        let pod = pod_of(&read[1]).unwrap();
        assert_eq!(pod["metadata"]["labels"]["app"], "c");
        assert_eq!(pod["metadata"]["namespace"], "ns");
        assert_eq!(pod["metadata"]["generateName"], "c-");
        assert_eq!(objects("a: [\n").unwrap_err().line, 2);
    }

    #[test]
    fn pod_templates_decode_as_kubectl_reads_them() {
        let read =
            objects("kind: Pod\nmetadata:\n  name: 7\n  labels: {version: 1.10, canary: yes}\nspec: {}\n").unwrap();
        assert_eq!(
            read[0].value["metadata"],
            serde_json::json!({"name": "7", "labels": {"version": "1.1", "canary": "true"}})
        );
        let e = objects("# c\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: hello\n")
            .unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(
            e.message,
            "Deployment \"d\": spec.template: json: cannot unmarshal string into Go struct field PodTemplateSpec.metadata of type v1.ObjectMeta"
        );
        // Kinds without a pod template are left as they are.
        assert_eq!(objects("kind: Service\nspec: 5\n").unwrap()[0].value["spec"], 5);
    }
}
