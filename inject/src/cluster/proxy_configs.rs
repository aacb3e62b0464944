//! ProxyConfig resources (`networking.istio.io/v1beta1`) and the ProxyConfig
//! of one pod, as Istio's `EffectiveProxyConfig` computes it
//! (`pilot/pkg/model/proxy_config.go`, Istio 86c9f01f). Layers, lowest
//! first:
//!
//! 1. `mesh.DefaultProxyConfig()`, then the mesh config's `defaultConfig`;
//! 2. the oldest resource without a selector in the root namespace;
//! 3. the oldest resource without a selector in the pod's namespace
//!    (unless that is the root namespace);
//! 4. the pod's `proxy.istio.io/config` annotation (ignored if it does not
//!    parse);
//! 5. the oldest resource in the pod's namespace whose non-empty
//!    `selector.matchLabels` the pod's labels include.
//!
//! "Oldest" is by creation time, then name. A resource contributes only
//! `concurrency`, `environmentVariables` (as `proxyMetadata`) and `image`.
//! A selector with no labels selects no pod, and makes the resource no
//! namespace-wide one either.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::ClusterError;
use super::meta::{ObjectRef, Timestamp, json_type};
use super::precedence::{as_written, default_proxy_config, merge_with_precedence};
use crate::json_pointer::Pointer;
use crate::proxy_config::PROXY_CONFIG_ANNOTATION;

/// One ProxyConfig resource, as the mesh's ProxyConfig it amounts to.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyConfigResource {
    pub namespace: String,
    pub name: String,
    created: Timestamp,
    /// `spec.selector.matchLabels`; `None` without a selector.
    selector: Option<BTreeMap<String, String>>,
    /// `toMeshConfigProxyConfig`, as written (`jsonpb`).
    config: Map<String, Value>,
}

impl ProxyConfigResource {
    /// Reads a ProxyConfig as the API returns it. Wrong JSON types are
    /// errors naming the resource and field; unknown fields are ignored
    /// (the API server prunes them).
    pub fn from_object(object: &Value) -> Result<ProxyConfigResource, ClusterError> {
        let id = ObjectRef::of("ProxyConfig", object)?;
        let created = id.creation_time(object)?;
        if let Some(spec) = id.field(object, "spec")?.filter(|s| !s.is_object()) {
            return Err(id.error("spec", format!("must be an object, not {}", json_type(spec))));
        }
        let selector = match id.field(object, "spec.selector")? {
            None => None,
            Some(_) => Some(id.string_map(object, "spec.selector.matchLabels")?.unwrap_or_default()),
        };
        let mut config = Map::new();
        if let Some(value) = id.field(object, "spec.concurrency")? {
            let concurrency = int32(value).ok_or_else(|| {
                id.error("spec.concurrency", format!("must be a 32-bit integer, not {}", describe(value)))
            })?;
            config.insert("concurrency".to_owned(), Value::from(concurrency));
        }
        if let Some(variables) = id.string_map(object, "spec.environmentVariables")? {
            config.insert(
                "proxyMetadata".to_owned(),
                Value::Object(variables.into_iter().map(|(k, v)| (k, Value::String(v))).collect()),
            );
        }
        if id.field(object, "spec.image")?.is_some() {
            let mut image = Map::new();
            if let Some(image_type) = id.optional_str(object, "spec.image.imageType")? {
                image.insert("imageType".to_owned(), Value::String(image_type.to_owned()));
            }
            config.insert("image".to_owned(), Value::Object(image));
        }
        if id.name.is_empty() {
            return Err(id.error("metadata.name", "must be set"));
        }
        Ok(ProxyConfigResource {
            namespace: id.namespace,
            name: id.name,
            created,
            selector,
            config: as_written(&config),
        })
    }

    /// What this resource sets, as a mesh ProxyConfig (`concurrency`,
    /// `proxyMetadata`, `image`).
    pub fn config(&self) -> &Map<String, Value> {
        &self.config
    }

    fn order(&self) -> (Timestamp, &str) {
        (self.created, &self.name)
    }
}

/// An `Int32Value` in protobuf JSON: a number or a numeric string, whole
/// and within 32 bits.
fn int32(value: &Value) -> Option<i64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX)).then_some(n as i64)
}

fn describe(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        other => json_type(other).to_owned(),
    }
}

/// What of the mesh config every pod's ProxyConfig starts from: the
/// default ProxyConfig under the mesh's `defaultConfig`, and the root
/// namespace. Computed once per mesh config.
#[derive(Clone, Debug, PartialEq)]
pub struct MeshProxyConfig {
    /// An object: the ProxyConfig of pods nothing layers, lent to them.
    base: Value,
    /// The mesh's `defaultConfig` as written (`null` without one), which
    /// the templates' typical form binds.
    default_config: Value,
    base_is_default: bool,
    root_namespace: String,
}

impl MeshProxyConfig {
    /// From a mesh config (protobuf JSON: `defaultConfig`, `rootNamespace`).
    pub fn of(mesh: &Value) -> MeshProxyConfig {
        let default_config = mesh.get("defaultConfig").cloned().unwrap_or(Value::Null);
        let base = Value::Object(merge_with_precedence(&[default_config.as_object(), Some(default_proxy_config())]));
        MeshProxyConfig {
            base_is_default: base == default_config,
            base,
            default_config,
            root_namespace: mesh.get("rootNamespace").and_then(Value::as_str).unwrap_or_default().to_owned(),
        }
    }

    /// The ProxyConfig of a pod no resource or annotation changes.
    pub fn base(&self) -> &Value {
        &self.base
    }

    /// Whether `proxy_config` is the base itself (as `effective` lends it),
    /// not a copy.
    pub fn is_base(&self, proxy_config: &Value) -> bool {
        std::ptr::eq(proxy_config, &self.base)
    }

    /// Whether `proxy_config` is the mesh's `defaultConfig` as written:
    /// compared once for the base.
    pub fn is_mesh_default(&self, proxy_config: &Value) -> bool {
        if self.is_base(proxy_config) { self.base_is_default } else { *proxy_config == self.default_config }
    }
}

/// What `EffectiveProxyConfig` reads of a pod.
#[derive(Clone, Debug, Default)]
pub struct PodMeta<'a> {
    pub namespace: &'a str,
    pub labels: BTreeMap<&'a str, &'a str>,
    /// `proxy.istio.io/config`.
    pub proxy_config: Option<&'a str>,
}

impl<'a> PodMeta<'a> {
    /// From a pod's `{"metadata": ...}`, in `namespace` (the pod's own, or
    /// the request's when the pod has none).
    pub fn of(pod: &'a Value, namespace: &'a str) -> PodMeta<'a> {
        let strings = |key: &str| -> BTreeMap<&'a str, &'a str> {
            let map = pod.get("metadata").and_then(|meta| meta.get(key)).and_then(Value::as_object);
            map.into_iter().flatten().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect()
        };
        let proxy_config =
            pod.at("/metadata/annotations").and_then(|a| a.get(PROXY_CONFIG_ANNOTATION)).and_then(Value::as_str);
        PodMeta { namespace, labels: strings("labels"), proxy_config }
    }
}

/// The ProxyConfig resources of a cluster, by namespace, oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProxyConfigs {
    by_namespace: BTreeMap<String, Vec<ProxyConfigResource>>,
}

impl ProxyConfigs {
    /// Adds a resource, replacing one of the same namespace and name.
    pub fn insert(&mut self, resource: ProxyConfigResource) {
        let list = self.by_namespace.entry(resource.namespace.clone()).or_default();
        list.retain(|r| r.name != resource.name);
        let at = list.partition_point(|r| r.order() <= resource.order());
        list.insert(at, resource);
    }

    /// Removes the resource `namespace/name`, if present.
    pub fn remove(&mut self, namespace: &str, name: &str) {
        if let Some(list) = self.by_namespace.get_mut(namespace) {
            list.retain(|r| r.name != name);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_namespace.values().all(Vec::is_empty)
    }

    /// `mergedNamespaceConfig`: the oldest resource without a selector.
    fn namespace_wide(&self, namespace: &str) -> Option<&Map<String, Value>> {
        self.by_namespace.get(namespace)?.iter().find(|r| r.selector.is_none()).map(|r| &r.config)
    }

    /// `mergedWorkloadConfig`: the oldest resource whose non-empty
    /// selector the labels include.
    fn for_workload(&self, namespace: &str, labels: &BTreeMap<&str, &str>) -> Option<&Map<String, Value>> {
        let selects = |selector: &BTreeMap<String, String>| {
            !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k.as_str()) == Some(&v.as_str()))
        };
        self.by_namespace.get(namespace)?.iter().find(|r| r.selector.as_ref().is_some_and(selects)).map(|r| &r.config)
    }

    /// `EffectiveProxyConfig`: the ProxyConfig of `pod` (see the module's
    /// layers); the mesh's base itself, lent, when no layer applies.
    pub fn effective<'m>(&self, mesh: &'m MeshProxyConfig, pod: &PodMeta<'_>) -> Cow<'m, Value> {
        let root = mesh.root_namespace.as_str();
        let annotation = pod.proxy_config.and_then(annotation_config).map(|config| as_written(&config));
        let layers = [
            Some(root).filter(|root| !root.is_empty()).and_then(|root| self.namespace_wide(root)),
            Some(pod.namespace).filter(|namespace| *namespace != root).and_then(|ns| self.namespace_wide(ns)),
            annotation.as_ref(),
            self.for_workload(pod.namespace, &pod.labels),
        ];
        if layers.iter().all(Option::is_none) {
            return Cow::Borrowed(&mesh.base);
        }
        let mut merged = mesh.base.as_object().cloned().unwrap_or_default();
        // Each step is `mergeWithPrecedence(layer, merged)`: `merged` is
        // already as written, so only the layer is written again.
        for layer in layers.into_iter().flatten() {
            crate::proxy_config::merge(&mut merged, layer.clone());
        }
        Cow::Owned(Value::Object(merged))
    }
}

/// `proxyConfigFromAnnotation`: `None` when it does not parse (Istio
/// skips the layer; the annotation's validation refuses the pod anyway).
fn annotation_config(text: &str) -> Option<Map<String, Value>> {
    crate::proxy_config::parse(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pod no resource or annotation touches gets the mesh's default as
    /// the config holds it, so the webhook renders it with the compiled
    /// form that has `.ProxyConfig` bound (`compiled.rs`).
    #[test]
    fn the_default_meshs_base_is_its_default_config() {
        let mesh = crate::sources::default_mesh();
        let base = MeshProxyConfig::of(&mesh);
        assert_eq!(base.base().as_object(), mesh["defaultConfig"].as_object());
        assert_eq!(base.root_namespace, "istio-system");
    }

    #[test]
    fn zero_values_do_not_override_but_wrappers_do() {
        let mesh =
            serde_json::json!({"defaultConfig": {"interceptionMode": "TPROXY", "statusPort": 15021, "concurrency": 2}});
        let base = MeshProxyConfig::of(&mesh);
        let pod = PodMeta {
            namespace: "ns",
            proxy_config: Some("interceptionMode: REDIRECT\nstatusPort: 0\nconcurrency: 0"),
            ..PodMeta::default()
        };
        let effective = ProxyConfigs::default().effective(&base, &pod);
        assert_eq!(effective["interceptionMode"], "TPROXY");
        assert_eq!(effective["statusPort"], 15021);
        assert_eq!(effective["concurrency"], 0);
    }
}
