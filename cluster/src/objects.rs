//! One-shot reads: an object or a list, as the JSON the API server sent
//! (the injection core takes plain JSON, and a typed round trip would drop
//! fields newer than this build's Kubernetes types).

use kube::core::params::{GetParams, ListParams};
use serde_json::Value;

use crate::connect::Cluster;
use crate::error::Error;
use crate::resources::{Access, Resource};

/// A list answer: its items (as sent: the API leaves `kind` and
/// `apiVersion` off list items) and the list's `resourceVersion`, where a
/// watch starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectList {
    pub items: Vec<Value>,
    pub resource_version: String,
}

impl Cluster {
    /// `GET` one object.
    pub async fn get(&self, resource: Resource, namespace: Option<&str>, name: &str) -> Result<Value, Error> {
        let access = Access::get(resource, namespace, name);
        let request = kube::core::Request::new(resource.collection_path(namespace))
            .get(name, &GetParams::default())
            .map_err(|e| self.decode_error(&access, e.to_string()))?;
        self.client().request::<Value>(request).await.map_err(|e| Error::from_request(self.endpoint(), &access, e))
    }

    /// `GET` a collection: in `namespace`, or across the cluster.
    pub async fn list(&self, resource: Resource, namespace: Option<&str>) -> Result<ObjectList, Error> {
        self.list_selected(resource, namespace, None).await
    }

    /// `GET` a collection, only the objects whose labels match
    /// `label_selector` (`app=x,tier!=db`: the API server filters).
    pub async fn list_selected(
        &self,
        resource: Resource,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<ObjectList, Error> {
        let access = Access::list(resource, namespace);
        let mut params = ListParams::default();
        if let Some(selector) = label_selector {
            params = params.labels(selector);
        }
        let request = kube::core::Request::new(resource.collection_path(namespace))
            .list(&params)
            .map_err(|e| self.decode_error(&access, e.to_string()))?;
        let list = self
            .client()
            .request::<Value>(request)
            .await
            .map_err(|e| Error::from_request(self.endpoint(), &access, e))?;
        self.object_list(&access, list)
    }

    /// A list answer taken apart.
    pub(crate) fn object_list(&self, access: &Access, mut list: Value) -> Result<ObjectList, Error> {
        let items = match list.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items,
            // Go encodes an empty list's nil slice as `null`.
            Some(Value::Null) | None => Vec::new(),
            Some(_) => return Err(self.decode_error(access, "`items` is not a list".to_owned())),
        };
        let resource_version = resource_version(&list).unwrap_or_default().to_owned();
        Ok(ObjectList { items, resource_version })
    }

    /// A ConfigMap.
    pub async fn config_map(&self, namespace: &str, name: &str) -> Result<Value, Error> {
        self.get(Resource::CONFIG_MAPS, Some(namespace), name).await
    }

    /// A Namespace, or `None` when it does not exist (a manifest for a
    /// namespace not created yet).
    pub async fn namespace(&self, name: &str) -> Result<Option<Value>, Error> {
        match self.get(Resource::NAMESPACES, None, name).await {
            Ok(ns) => Ok(Some(ns)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every Node (their kubelet versions decide native sidecars).
    pub async fn nodes(&self) -> Result<Vec<Value>, Error> {
        Ok(self.list(Resource::NODES, None).await?.items)
    }

    /// The ProxyConfig CRs (`networking.istio.io/v1beta1`) of `namespace`,
    /// or of every namespace; none when the CRD is not installed.
    pub async fn proxy_configs(&self, namespace: Option<&str>) -> Result<Vec<Value>, Error> {
        match self.list(Resource::PROXY_CONFIGS, namespace).await {
            Ok(list) => Ok(list.items),
            Err(Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn decode_error(&self, access: &Access, why: String) -> Error {
        Error::Decode { endpoint: self.endpoint().clone(), what: access.target(), why }
    }
}

/// `metadata.resourceVersion` of an object or a list.
pub(crate) fn resource_version(object: &Value) -> Option<&str> {
    object.get("metadata")?.get("resourceVersion")?.as_str()
}
