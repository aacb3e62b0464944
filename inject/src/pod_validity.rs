//! Whether a pod is one the API server would take: it decodes as
//! `corev1.Pod`, its containers have names (distinct across regular, init
//! and ephemeral containers) and images, its volumes distinct names, and
//! every volume mount names one of its volumes. What a broken injector
//! config makes of a pod fails here before any pod is sent back with it
//! (`reference_pods.rs`).

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;

use crate::pod;
use crate::typed::Typed;

/// The container lists of a pod spec.
const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// What makes a pod invalid, naming the part at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidPod {
    /// The pod does not decode as `corev1.Pod` (Go's message).
    Decode(String),
    /// A container without a name: its list and index.
    UnnamedContainer { list: &'static str, index: usize },
    /// Two containers of the pod share a name.
    DuplicateContainer { name: String },
    /// A container without an image.
    NoImage { container: String },
    /// Two volumes share a name.
    DuplicateVolume { name: String },
    /// A container mounts a volume the pod does not have.
    MountWithoutVolume { container: String, mount_path: String, volume: String },
}

impl fmt::Display for InvalidPod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidPod::Decode(e) => write!(f, "it does not decode as a Pod: {e}"),
            InvalidPod::UnnamedContainer { list, index } => write!(f, "spec.{list}[{index}] has no name"),
            InvalidPod::DuplicateContainer { name } => write!(f, "two containers are named {name:?}"),
            InvalidPod::NoImage { container } => write!(f, "container {container:?} has no image"),
            InvalidPod::DuplicateVolume { name } => write!(f, "two volumes are named {name:?}"),
            InvalidPod::MountWithoutVolume { container, mount_path, volume } => write!(
                f,
                "container {container:?} mounts volume {volume:?} at {mount_path:?}, and the pod has no such volume"
            ),
        }
    }
}

impl std::error::Error for InvalidPod {}

/// Checks `pod` (`{"metadata": ..., "spec": ...}`); the first problem
/// found, if any.
pub fn check(pod: &Value) -> Result<(), InvalidPod> {
    Typed::pod().check(pod).map_err(InvalidPod::Decode)?;
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    let list = |key: &str| spec.get(key).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut volumes = HashSet::new();
    for volume in list("volumes") {
        let name = pod::name_of(volume);
        if !volumes.insert(name) {
            return Err(InvalidPod::DuplicateVolume { name: name.to_owned() });
        }
    }
    let mut containers = HashSet::new();
    for key in CONTAINER_LISTS {
        for (index, container) in list(key).iter().enumerate() {
            let name = pod::name_of(container);
            if name.is_empty() {
                return Err(InvalidPod::UnnamedContainer { list: key, index });
            }
            if !containers.insert(name) {
                return Err(InvalidPod::DuplicateContainer { name: name.to_owned() });
            }
            if container.get("image").and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(InvalidPod::NoImage { container: name.to_owned() });
            }
            let mounts = container.get("volumeMounts").and_then(Value::as_array).into_iter().flatten();
            for mount in mounts {
                let volume = pod::name_of(mount);
                if !volumes.contains(volume) {
                    return Err(InvalidPod::MountWithoutVolume {
                        container: name.to_owned(),
                        mount_path: mount.get("mountPath").and_then(Value::as_str).unwrap_or_default().to_owned(),
                        volume: volume.to_owned(),
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_problem_is_named() {
        let pod = |spec: Value| json!({"metadata": {"name": "p"}, "spec": spec});
        let app = json!({"name": "app", "image": "nginx", "volumeMounts": [{"name": "data", "mountPath": "/data"}]});
        let volumes = json!([{"name": "data", "emptyDir": {}}]);
        assert_eq!(check(&pod(json!({"containers": [app], "volumes": volumes}))), Ok(()));
        assert_eq!(
            check(&pod(json!({"containers": [app]}))),
            Err(InvalidPod::MountWithoutVolume {
                container: "app".into(),
                mount_path: "/data".into(),
                volume: "data".into()
            })
        );
        assert_eq!(
            check(&pod(
                json!({"containers": [app], "initContainers": [{"name": "app", "image": "i"}], "volumes": volumes})
            )),
            Err(InvalidPod::DuplicateContainer { name: "app".into() })
        );
        assert_eq!(
            check(&pod(json!({"containers": [{"name": "app", "image": "i"}, {"image": "i"}]}))),
            Err(InvalidPod::UnnamedContainer { list: "containers", index: 1 })
        );
        assert_eq!(
            check(&pod(json!({"containers": [{"name": "app"}]}))),
            Err(InvalidPod::NoImage { container: "app".into() })
        );
        assert_eq!(
            check(&pod(json!({"containers": [app], "volumes": [volumes[0], volumes[0]]}))),
            Err(InvalidPod::DuplicateVolume { name: "data".into() })
        );
        let Err(InvalidPod::Decode(message)) = check(&pod(json!({"containers": "app"}))) else {
            panic!("a list that is a string does not decode")
        };
        assert!(message.contains("cannot unmarshal string"), "{message}");
    }
}
