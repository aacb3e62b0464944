//! `kube-inject`: inject every pod template of a multi-document manifest,
//! as `istioctl kube-inject` does (`IntoResourceFile`).
//!
//! Documents of the kinds Istio registers are decoded as their Go types,
//! injected and written back as `sigs.k8s.io/yaml` writes them; any other
//! document is copied byte for byte. Every document is followed by `---`.

use serde_json::Value;

use crate::cluster::ClusterState;
use crate::decision::Skip;
use crate::embedded::ConfigEra;
use crate::error::{Error, ErrorKind, ManifestError};
use crate::injector::{Caller, Injector, Outcome, Request};
use crate::json_pointer::Pointer;
use crate::manifest::{Located, parse_document, split_documents};
use crate::typed::Typed;
use crate::workload::Workload;

/// Where an object keeps its pod template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Template {
    /// A `Pod`: its own metadata and spec.
    Pod,
    /// `spec.template`.
    Spec,
    /// A `CronJob`: metadata at `spec.jobTemplate.metadata`, spec at
    /// `spec.jobTemplate.spec.template.spec` (as Istio reads them).
    CronJob,
    List,
}

/// A kind kube-inject injects: its Go type (for output) and template.
#[derive(Clone, Copy, Debug)]
struct KindSpec {
    /// Schema key of its Go type; `None` for kinds written back as given
    /// (with only the pod template decoded).
    schema: Option<&'static str>,
    template: Template,
}

/// The kinds current Istio registers (`injectScheme`).
fn current_kind(api_version: &str, kind: &str) -> Option<KindSpec> {
    let typed = |schema, template| Some(KindSpec { schema: Some(schema), template });
    match (api_version, kind) {
        ("v1", "Pod") => typed("corev1.Pod", Template::Pod),
        ("v1", "ReplicationController") => typed("corev1.ReplicationController", Template::Spec),
        ("v1", "List") => Some(KindSpec { schema: None, template: Template::List }),
        ("apps/v1", "Deployment") => typed("appsv1.Deployment", Template::Spec),
        ("apps/v1", "DaemonSet") => typed("appsv1.DaemonSet", Template::Spec),
        ("apps/v1", "ReplicaSet") => typed("appsv1.ReplicaSet", Template::Spec),
        ("apps/v1", "StatefulSet") => typed("appsv1.StatefulSet", Template::Spec),
        ("batch/v1", "Job") => typed("batchv1.Job", Template::Spec),
        ("batch/v1", "CronJob") => typed("batchv1.CronJob", Template::CronJob),
        // OpenShift also serves DeploymentConfig from its legacy `v1` group.
        ("apps.openshift.io/v1" | "v1", "DeploymentConfig") => {
            typed("openshiftappsv1.DeploymentConfig", Template::Spec)
        }
        _ => None,
    }
}

/// What Istio 1.0/1.1 also injected: the beta controller API groups of
/// their day (written back as given, pod template aside).
fn legacy_kind(api_version: &str, kind: &str) -> Option<KindSpec> {
    let untyped = |template| Some(KindSpec { schema: None, template });
    match (api_version, kind) {
        ("extensions/v1beta1", "Deployment" | "DaemonSet" | "ReplicaSet")
        | ("apps/v1beta1", "Deployment" | "StatefulSet")
        | ("apps/v1beta2", "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet") => untyped(Template::Spec),
        ("batch/v1beta1" | "batch/v2alpha1", "CronJob") => untyped(Template::CronJob),
        _ => current_kind(api_version, kind),
    }
}

/// The result of injecting a manifest.
#[derive(Debug, Default)]
pub struct Injected {
    pub output: String,
    /// What kube-inject prints to stderr: skipped objects.
    pub warnings: Vec<String>,
}

/// Injects every document of `input` (named `source` in messages), as
/// `istioctl kube-inject` does without a cluster.
pub fn kube_inject(injector: &Injector, source: &str, input: &str) -> Result<Injected, Error> {
    kube_inject_in_cluster(injector, None, source, input)
}

/// `kube_inject`, with what is known of the cluster (`Request::cluster`):
/// each pod is then given what the webhook would give it (the ProxyConfig
/// resources, native sidecars from the nodes, the namespace's OpenShift
/// IDs).
pub fn kube_inject_in_cluster(
    injector: &Injector,
    cluster: Option<&ClusterState>,
    source: &str,
    input: &str,
) -> Result<Injected, Error> {
    kube_inject_observed(injector, cluster, source, input, &mut |_, _| {})
}

/// `kube_inject_in_cluster`, telling `on_document(done, total)` after
/// each document (for a progress line over a long manifest).
pub fn kube_inject_observed(
    injector: &Injector,
    cluster: Option<&ClusterState>,
    source: &str,
    input: &str,
    on_document: &mut dyn FnMut(usize, usize),
) -> Result<Injected, Error> {
    let mut out = Injected::default();
    let docs = split_documents(input).map_err(|Located { line, message }| ManifestError {
        file: source.to_owned(),
        line,
        document: None,
        message,
    })?;
    let total = docs.len();
    on_document(0, total);
    for (index, doc) in docs.into_iter().enumerate() {
        let context = |e: Error| e.in_document(source, index + 1, doc.line);
        let mut value = parse_document(doc.text).map_err(|Located { line, message }| ManifestError {
            file: source.to_owned(),
            line: doc.line + line - 1,
            document: Some(index + 1),
            message,
        })?;
        // `FromRawToObject` decodes every document's TypeMeta first.
        Typed::named("metav1.TypeMeta")
            .decode_yaml(&mut value)
            .map_err(|e| context(Error::new(ErrorKind::Input, format!("could not decode object: {e}"))))?;
        match kind_of(injector, &value, &mut out.warnings) {
            Some(spec) => {
                // What the decoding below drops without a word (istioctl's
                // too): said, so that a typo is not a silent loss.
                for unknown in crate::unknown_fields::in_pod_template(&value) {
                    let (path, name, meant) = (&unknown.path, &unknown.name, unknown.did_you_mean());
                    let document = index + 1;
                    out.warnings.push(format!(
                        "warning: {source}: document {document}: {path}: unknown field {name:?}{meant}, dropped"
                    ));
                }
                let object = inject_object(injector, cluster, value, spec, &mut out.warnings).map_err(context)?;
                out.output
                    .push_str(&write_object(&object, spec).map_err(|e| context(Error::new(ErrorKind::Input, e)))?);
            }
            None => out.output.push_str(doc.text),
        }
        out.output.push_str("---\n");
        on_document(index + 1, total);
    }
    Ok(out)
}

fn kind_of(injector: &Injector, value: &Value, warnings: &mut Vec<String>) -> Option<KindSpec> {
    let api_version = value.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default();
    let spec = match injector.config().era {
        ConfigEra::Current => current_kind(api_version, kind),
        ConfigEra::Legacy => legacy_kind(api_version, kind),
    };
    if spec.is_none() && legacy_kind(api_version, kind).is_some() {
        let name = value.at("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        warnings.push(format!("===> Skipping injection because {api_version} {kind} {name:?} is not a kind kube-inject injects; use apps/v1 (or batch/v1)"));
    }
    spec
}

fn inject_object(
    injector: &Injector,
    cluster: Option<&ClusterState>,
    mut object: Value,
    spec: KindSpec,
    warnings: &mut Vec<String>,
) -> Result<Value, Error> {
    decode_object(&mut object, spec)
        .map_err(|e| Error::new(ErrorKind::Input, format!("could not decode object: {e}")))?;
    if spec.template == Template::List {
        if let Some(items) = object.get_mut("items").and_then(Value::as_array_mut) {
            for item in items.iter_mut() {
                let Some(item_spec) = kind_of(injector, item, warnings) else { continue };
                let injected = inject_object(injector, cluster, item.take(), item_spec, warnings)?;
                *item = typed_value(&injected, item_spec).map_err(|e| Error::new(ErrorKind::Input, e))?;
            }
        }
        return Ok(object);
    }
    let (meta_path, spec_path) = match spec.template {
        Template::Pod => ("/metadata", "/spec"),
        Template::Spec => ("/spec/template/metadata", "/spec/template/spec"),
        Template::CronJob => ("/spec/jobTemplate/metadata", "/spec/jobTemplate/spec/template/spec"),
        Template::List => unreachable!("lists are handled above"),
    };
    let workload =
        if spec.template == Template::Pod { Workload::of_pod(&object) } else { Workload::of_object(&object) };
    let template_parent = match spec.template {
        Template::Spec => "/spec/template",
        Template::CronJob => "/spec/jobTemplate/spec/template",
        _ => "",
    };
    if !template_parent.is_empty() && !object.at(template_parent).is_some_and(Value::is_object) {
        return Err(Error::new(
            ErrorKind::Input,
            format!(
                "{} {:?} has no pod template ({} is required)",
                workload.type_meta.kind,
                workload.full_name(""),
                template_parent[1..].replace('/', ".")
            ),
        ));
    }
    let empty = Value::Object(Default::default());
    let metadata = object.at(meta_path).unwrap_or(&empty);
    let pod_spec = object.at(spec_path).unwrap_or(&empty);
    let pod = crate::pod::from_parts(metadata, pod_spec);
    let pod_name = pod.at("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let full_name = workload.full_name(&pod_name);
    let describe = || {
        if workload.type_meta.kind.is_empty() {
            format!("{full_name:?}")
        } else {
            format!("{} {full_name:?}", workload.type_meta.kind)
        }
    };
    let mut request = Request::new(&workload, &pod, Caller::KubeInject);
    if let Some(cluster) = cluster {
        request = request.cluster(cluster);
    }
    let mut rendered = Vec::new();
    let outcome = injector.inject_warned(&request, &mut rendered).map_err(|e| e.context(describe()))?;
    warnings.extend(rendered.into_iter().map(|w| format!("warning: {}: {w}", describe())));
    let injected = match outcome {
        Outcome::Injected(pod) => pod,
        Outcome::Skipped(skip) => {
            let why = if skip == Skip::HostNetwork {
                "has host networking enabled"
            } else {
                "has sidecar injection disabled"
            };
            warnings.push(format!("===> Skipping injection because {} {why}", describe()));
            return Ok(object);
        }
    };
    let (metadata, pod_spec) = match injected {
        Value::Object(mut map) => {
            (map.remove("metadata").unwrap_or(Value::Null), map.remove("spec").unwrap_or(Value::Null))
        }
        _ => (Value::Null, Value::Null),
    };
    set_pointer(&mut object, meta_path, metadata);
    set_pointer(&mut object, spec_path, pod_spec);
    Ok(object)
}

/// The object decoded as `istioctl` decodes a registered kind
/// (`sigs.k8s.io/yaml` into its Go type: scalars coerced to strings where
/// the type has strings, anything else of the wrong type an error); for
/// kinds without a Go type here, its metadata and pod template.
fn decode_object(object: &mut Value, spec: KindSpec) -> Result<(), String> {
    match (spec.schema, spec.template) {
        (Some(key), _) => Typed::named(key).decode_yaml(object),
        (None, Template::List) => match object.get("items") {
            None | Some(Value::Null | Value::Array(_)) => Ok(()),
            Some(other) => Err(format!(
                "json: cannot unmarshal {} into Go struct field List.items of type []runtime.RawExtension",
                injit_runtime::encoding::json::check::json_kind(other)
            )),
        },
        (None, _) => crate::manifest::decode_pod_template(object),
    }
}

/// Sets the value at a JSON pointer, making objects on the way.
fn set_pointer(object: &mut Value, pointer: &str, value: Value) {
    let keys: Vec<&str> = pointer.split('/').skip(1).collect();
    let (last, parents) = keys.split_last().expect("a non-empty pointer");
    crate::object::ensure_object(object, parents).insert((*last).to_owned(), value);
}

/// The object as its Go type writes it (JSON), or as given with its pod
/// template decoded when kube-inject has no Go type for it.
fn typed_value(object: &Value, spec: KindSpec) -> Result<Value, String> {
    match spec.schema {
        Some(key) => Typed::named(key).normalize(object),
        None if spec.template == Template::List => {
            let mut list = serde_json::Map::new();
            for key in ["apiVersion", "kind", "items"] {
                list.insert(key.to_owned(), object.get(key).cloned().unwrap_or(Value::Null));
            }
            let meta = Typed::named("metav1.ListMeta").normalize(object.get("metadata").unwrap_or(&Value::Null))?;
            list.insert("metadata".to_owned(), meta);
            Ok(Value::Object(list))
        }
        None => {
            let mut object = object.clone();
            let path =
                if spec.template == Template::CronJob { "/spec/jobTemplate/spec/template" } else { "/spec/template" };
            if let Some(template) = object.at(path).cloned() {
                set_pointer(&mut object, path, Typed::named("corev1.PodTemplateSpec").normalize(&template)?);
            }
            Ok(object)
        }
    }
}

/// YAML as `sigs.k8s.io/yaml.Marshal` writes it.
fn write_object(object: &Value, spec: KindSpec) -> Result<String, String> {
    let value = typed_value(object, spec)?;
    let json = serde_json::to_vec(&value).map_err(|e| e.to_string())?;
    let node = injit_runtime::encoding::yaml::node_from_json(&json)?;
    String::from_utf8(injit_runtime::encoding::yaml::marshal(&node)).map_err(|e| e.to_string())
}
