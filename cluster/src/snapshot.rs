//! What the webhook reads from the cache: the ProxyConfigs, Namespaces and
//! Nodes as last synced, and how fresh they are.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use crate::resources::Resource;

/// The kinds the cache keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watched {
    ProxyConfigs,
    Namespaces,
    Nodes,
}

impl Watched {
    pub const ALL: [Watched; 3] = [Watched::ProxyConfigs, Watched::Namespaces, Watched::Nodes];

    pub fn resource(self) -> Resource {
        match self {
            Watched::ProxyConfigs => Resource::PROXY_CONFIGS,
            Watched::Namespaces => Resource::NAMESPACES,
            Watched::Nodes => Resource::NODES,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// What the cache keeps of an object of this kind: what injection
    /// reads of it (`injit_inject::ClusterState`), with the metadata that
    /// names it. A Node's images and conditions, any object's
    /// `managedFields`, are most of its size in a large cluster, and no
    /// input to injection.
    pub(crate) fn kept(self, mut object: Value) -> Value {
        let Some(fields) = object.as_object_mut() else { return object };
        let mut kept = Map::new();
        for key in ["apiVersion", "kind"] {
            if let Some(value) = fields.remove(key) {
                kept.insert(key.to_owned(), value);
            }
        }
        if let Some(Value::Object(mut meta)) = fields.remove("metadata") {
            let mut kept_meta = Map::new();
            for key in ["name", "namespace", "resourceVersion", "creationTimestamp", "labels", "annotations"] {
                if let Some(value) = meta.remove(key) {
                    kept_meta.insert(key.to_owned(), value);
                }
            }
            kept.insert("metadata".to_owned(), Value::Object(kept_meta));
        }
        match self {
            Watched::ProxyConfigs => {
                if let Some(spec) = fields.remove("spec") {
                    kept.insert("spec".to_owned(), spec);
                }
            }
            Watched::Nodes => {
                let version = object.pointer_mut("/status/nodeInfo/kubeletVersion").map(Value::take);
                if let Some(version) = version {
                    kept.insert("status".to_owned(), json!({"nodeInfo": {"kubeletVersion": version}}));
                }
            }
            Watched::Namespaces => {}
        }
        Value::Object(kept)
    }
}

/// Objects by `(namespace, name)`; the namespace is empty for
/// cluster-scoped kinds. Each object is shared, so that an event copies the
/// map's pointers, not every Node's JSON, while a reader holds the last
/// snapshot.
pub type Objects = BTreeMap<(String, String), Arc<Value>>;

/// One consistent view of the cluster. Cheap to clone: each kind's objects
/// are shared, and replaced whole when that kind changes.
#[derive(Clone, Debug, Default)]
pub struct ClusterSnapshot {
    kinds: [Arc<Objects>; 3],
}

impl ClusterSnapshot {
    /// Every object of a kind, ordered by namespace and name.
    pub fn objects(&self, kind: Watched) -> impl Iterator<Item = &Value> {
        self.kinds[kind.index()].values().map(|v| &**v)
    }

    pub fn proxy_configs(&self) -> impl Iterator<Item = &Value> {
        self.objects(Watched::ProxyConfigs)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Value> {
        self.objects(Watched::Nodes)
    }

    pub fn namespace(&self, name: &str) -> Option<&Value> {
        self.kinds[Watched::Namespaces.index()].get(&(String::new(), name.to_owned())).map(|v| &**v)
    }

    pub(crate) fn kind_mut(&mut self, kind: Watched) -> &mut Arc<Objects> {
        &mut self.kinds[kind.index()]
    }
}

/// An object's key in [`Objects`].
pub(crate) fn key_of(object: &Value) -> Option<(String, String)> {
    let meta = object.get("metadata")?;
    let name = meta.get("name")?.as_str()?.to_owned();
    let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("").to_owned();
    Some((namespace, name))
}

/// How the cache is doing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// Every kind has been listed once: the snapshot is the cluster's.
    pub ready: bool,
    /// Every kind's watch is open (no error since its last success).
    pub live: bool,
    /// The last time the API server answered any of the cache's requests:
    /// a list, a watch opened, an event or a bookmark.
    pub last_sync: Option<SystemTime>,
    /// Why the cache is not live (one kind's failure).
    pub last_error: Option<String>,
}

impl SyncStatus {
    /// How old the snapshot may be: zero while every watch is open,
    /// the time since the API server last answered otherwise, `None` before
    /// the first sync.
    pub fn cache_age(&self, now: SystemTime) -> Option<Duration> {
        let last = self.last_sync?;
        Some(if self.live && self.ready { Duration::ZERO } else { now.duration_since(last).unwrap_or_default() })
    }
}
