//! The kinds of object injit reads, and the URL paths the API serves them
//! at. Paths are built from fixed group/version/plural triples, so no
//! discovery request is needed (a ProxyConfig is always
//! `networking.istio.io/v1beta1`, as Istio's own client reads it).

use std::fmt;

/// A kind of object in the Kubernetes API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Resource {
    /// The API group; empty for the core group (`v1`).
    pub group: &'static str,
    pub version: &'static str,
    /// The plural the URL and RBAC rules use (`configmaps`).
    pub plural: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
}

impl Resource {
    pub const CONFIG_MAPS: Resource = Resource { group: "", version: "v1", plural: "configmaps", namespaced: true };
    pub const NAMESPACES: Resource = Resource { group: "", version: "v1", plural: "namespaces", namespaced: false };
    pub const NODES: Resource = Resource { group: "", version: "v1", plural: "nodes", namespaced: false };
    pub const PROXY_CONFIGS: Resource =
        Resource { group: "networking.istio.io", version: "v1beta1", plural: "proxyconfigs", namespaced: true };
    pub const PODS: Resource = Resource { group: "", version: "v1", plural: "pods", namespaced: true };
    pub const SERVICES: Resource = Resource { group: "", version: "v1", plural: "services", namespaced: true };
    pub const DEPLOYMENTS: Resource =
        Resource { group: "apps", version: "v1", plural: "deployments", namespaced: true };
    pub const MUTATING_WEBHOOK_CONFIGURATIONS: Resource = Resource {
        group: "admissionregistration.k8s.io",
        version: "v1",
        plural: "mutatingwebhookconfigurations",
        namespaced: false,
    };

    /// The collection's path: in `namespace` when given (for namespaced
    /// kinds), else across the cluster.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let root = match self.group {
            "" => format!("/api/{}", self.version),
            group => format!("/apis/{group}/{}", self.version),
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{root}/namespaces/{ns}/{}", self.plural),
            None => format!("{root}/{}", self.plural),
        }
    }
}

/// `configmaps`, or `proxyconfigs.networking.istio.io`: as `kubectl auth
/// can-i` and RBAC messages name a resource.
impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.group {
            "" => f.write_str(self.plural),
            group => write!(f, "{}.{group}", self.plural),
        }
    }
}

/// One request injit makes, for messages: the RBAC verb, the resource, and
/// where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub verb: &'static str,
    pub resource: Resource,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl Access {
    pub fn get(resource: Resource, namespace: Option<&str>, name: &str) -> Access {
        Access { verb: "get", resource, namespace: namespace.map(str::to_owned), name: Some(name.to_owned()) }
    }

    pub fn list(resource: Resource, namespace: Option<&str>) -> Access {
        Access { verb: "list", resource, namespace: namespace.map(str::to_owned), name: None }
    }

    pub fn watch(resource: Resource, namespace: Option<&str>) -> Access {
        Access { verb: "watch", resource, namespace: namespace.map(str::to_owned), name: None }
    }

    /// What the request reads: `configmap istio-system/istio`, `nodes`.
    pub fn target(&self) -> String {
        let singular = self.resource.plural.strip_suffix('s').unwrap_or(self.resource.plural);
        match (&self.namespace, &self.name) {
            (Some(ns), Some(name)) => format!("{singular} {ns}/{name}"),
            (None, Some(name)) => format!("{singular} {name}"),
            (Some(ns), None) => format!("{} in namespace {ns}", self.resource),
            (None, None) => self.resource.to_string(),
        }
    }
}

/// `get configmaps in namespace "istio-system"`: the permission a request
/// needs.
impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        match &self.namespace {
            Some(ns) if self.resource.namespaced => write!(f, " in namespace {ns:?}"),
            _ if self.resource.namespaced => f.write_str(" in all namespaces"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_the_apis() {
        assert_eq!(
            Resource::CONFIG_MAPS.collection_path(Some("istio-system")),
            "/api/v1/namespaces/istio-system/configmaps"
        );
        assert_eq!(Resource::NODES.collection_path(Some("ignored")), "/api/v1/nodes");
        assert_eq!(Resource::PROXY_CONFIGS.collection_path(None), "/apis/networking.istio.io/v1beta1/proxyconfigs");
        assert_eq!(Resource::PROXY_CONFIGS.to_string(), "proxyconfigs.networking.istio.io");
        assert_eq!(
            Access::list(Resource::PROXY_CONFIGS, None).to_string(),
            "list proxyconfigs.networking.istio.io in all namespaces"
        );
        assert_eq!(
            Access::get(Resource::CONFIG_MAPS, Some("istio-system"), "istio").target(),
            "configmap istio-system/istio"
        );
    }
}
