//! The objects `analyze -k` reads from a cluster: Pods and Services, in a
//! namespace or all of them, as manifests of the cluster's context.

use injit_cluster::Resource;
use injit_inject::analyze::Manifest;
use injit_inject::json_pointer::Pointer;
use injit_inject::manifest::ManifestObject;
use serde_json::Value;

use crate::cluster::ClusterSession;

/// Namespaces Istio's analyzer leaves out: the cluster's own.
const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// The Pods and Services of `namespace` (`None`: every namespace but the
/// system ones), as one manifest named after the context.
pub fn read(
    kubeconfig: Option<std::path::PathBuf>,
    context: Option<String>,
    namespace: Option<&str>,
) -> Result<Manifest, String> {
    let Some(session) = ClusterSession::connect_to(kubeconfig, context)? else {
        return Err("-k: no cluster configured (no kubeconfig found; set KUBECONFIG or --kubeconfig)".to_owned());
    };
    let cluster = session.cluster();
    let mut objects = Vec::new();
    // Listed items carry no kind: each is given its list's.
    for (resource, kind) in [(Resource::SERVICES, "Service"), (Resource::PODS, "Pod")] {
        let list = session.run(cluster.list(resource, namespace)).map_err(|e| e.to_string())?;
        for mut item in list.items {
            let ns = item.at("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
            if namespace.is_none() && SYSTEM_NAMESPACES.contains(&ns) {
                continue;
            }
            if let Some(object) = item.as_object_mut() {
                object.insert("kind".to_owned(), Value::String(kind.to_owned()));
                object.insert("apiVersion".to_owned(), Value::String("v1".to_owned()));
            }
            objects.push(ManifestObject { value: item, line: 0 });
        }
    }
    Ok(Manifest { file: format!("cluster {:?}", cluster.endpoint().context), objects })
}
