//! The data sidecar templates see: `SidecarTemplateData` (Istio 1.22+) and
//! the 1.0/1.1 `SidecarTemplateData` (`LegacySidecarTemplateData` in the
//! schema), built as Istio's `RunTemplate` and `injectionData` build them.

use injit_runtime::{Data, Object};
use serde_json::Value;

use crate::json_pointer::Pointer;
use crate::object::to_float_data;

/// Which object a pod template belongs to (`TypeMeta`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeMeta {
    pub kind: String,
    pub api_version: String,
}

/// The controller's name and namespace (`DeploymentMeta`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentMeta {
    pub name: String,
    pub namespace: String,
}

/// What varies per render besides the pod.
pub struct Render<'a> {
    pub type_meta: &'a TypeMeta,
    pub deployment: &'a DeploymentMeta,
    /// The pod as the template sees it (stripped of a previous injection).
    pub pod: &'a Value,
    /// The mesh config (`.MeshConfig` is `mesh_data`).
    pub mesh: &'a Value,
    /// `.MeshConfig`: `mesh` as templates see it.
    pub mesh_data: Data,
    /// `.ProxyConfig` (`proxy_config` of the pod's ProxyConfig).
    pub proxy_config: Data,
    pub values: Data,
    pub revision: &'a str,
    pub native_sidecars: bool,
    pub proxy_image: String,
    pub proxy_init_image: String,
    pub proxy_uid: i64,
    pub proxy_gid: i64,
    pub compliance_policy: &'a str,
}

fn text(s: &str) -> Data {
    Data::String(s.into())
}

fn entry(key: &str, value: Data) -> (Box<str>, Data) {
    (key.into(), value)
}

/// `.ProxyConfig`: a nil pointer unless the mesh has a default config.
pub fn proxy_config(value: &Value) -> Data {
    if value.is_object() { to_float_data(value) } else { Data::Null }
}

/// `SidecarTemplateData` as JSON-shaped data for the typed view
/// (`inject.SidecarTemplateData`).
pub fn current(r: Render<'_>) -> Data {
    let mode = match r.mesh.at("/inboundTrafficPolicy/mode").and_then(Value::as_str) {
        Some("LOCALHOST") => "localhost",
        _ => "passthrough",
    };
    Data::Object(Object::new(vec![
        entry(
            "TypeMeta",
            Data::Object(Object::new(vec![
                entry("kind", text(&r.type_meta.kind)),
                entry("apiVersion", text(&r.type_meta.api_version)),
            ])),
        ),
        entry(
            "DeploymentMeta",
            Data::Object(Object::new(vec![
                entry("Name", text(&r.deployment.name)),
                entry("Namespace", text(&r.deployment.namespace)),
            ])),
        ),
        entry("ObjectMeta", r.pod.get("metadata").map_or(Data::Null, to_float_data)),
        entry("Spec", r.pod.get("spec").map_or(Data::Null, to_float_data)),
        entry("ProxyConfig", r.proxy_config),
        entry("MeshConfig", r.mesh_data),
        entry("Values", r.values),
        entry("Revision", text(r.revision)),
        entry("NativeSidecars", Data::Bool(r.native_sidecars)),
        entry("ProxyImage", text(&r.proxy_image)),
        entry("ProxyInitImage", text(&r.proxy_init_image)),
        entry("ProxyUID", Data::Number(r.proxy_uid as f64)),
        entry("ProxyGID", Data::Number(r.proxy_gid as f64)),
        entry("InboundTrafficPolicyMode", text(mode)),
        entry("CompliancePolicy", text(r.compliance_policy)),
    ]))
}

/// The 1.0/1.1 data: pointers to the pod's metadata and spec, the
/// ProxyConfig and MeshConfig, and (1.1) the controller's metadata.
pub fn legacy(r: Render<'_>) -> Data {
    let mut deployment = vec![entry("name", text(&r.deployment.name))];
    if !r.deployment.namespace.is_empty() {
        deployment.push(entry("namespace", text(&r.deployment.namespace)));
    }
    Data::Object(Object::new(vec![
        entry("ObjectMeta", r.pod.get("metadata").map_or_else(|| Data::Object(Object::default()), to_float_data)),
        entry("Spec", r.pod.get("spec").map_or_else(|| Data::Object(Object::default()), to_float_data)),
        entry("ProxyConfig", r.proxy_config),
        entry("MeshConfig", r.mesh_data),
        entry("DeploymentMeta", Data::Object(Object::new(deployment))),
        entry("Values", r.values),
    ]))
}
