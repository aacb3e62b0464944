//! Which workload a pod belongs to (`TypeMeta`, `DeploymentMeta` of the
//! template data).

use serde_json::Value;

use crate::json_pointer::Pointer;
use crate::pod;
use crate::template_data::{DeploymentMeta, TypeMeta};

/// Where a pod comes from, for the template data and messages.
#[derive(Clone, Debug, Default)]
pub struct Workload {
    pub type_meta: TypeMeta,
    pub deployment: DeploymentMeta,
}

impl Workload {
    /// A controller object's own kind, name and namespace.
    pub fn of_object(object: &Value) -> Workload {
        let text = |p: &str| object.at(p).and_then(Value::as_str).unwrap_or_default().to_owned();
        Workload {
            type_meta: TypeMeta { kind: text("/kind"), api_version: text("/apiVersion") },
            deployment: DeploymentMeta { name: text("/metadata/name"), namespace: text("/metadata/namespace") },
        }
    }

    /// A pod's workload, guessed from its controller as Istio's
    /// `GetDeployMetaFromPod` does: a ReplicaSet named `<deployment>-<hash>`
    /// means a Deployment, a Job named `<cronjob>-<8 to 10 digits>` a
    /// CronJob, and so on.
    pub fn of_pod(pod: &Value) -> Workload {
        let text = |p: &str| pod.at(p).and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut type_meta = TypeMeta { kind: "Pod".to_owned(), api_version: "v1".to_owned() };
        let mut name = text("/metadata/name");
        let namespace = text("/metadata/namespace");
        let generated = !text("/metadata/generateName").is_empty();
        let owners = pod.at("/metadata/ownerReferences").and_then(Value::as_array);
        let controller =
            owners.and_then(|o| o.iter().find(|r| r.get("controller").and_then(Value::as_bool) == Some(true)));
        if generated && let Some(owner) = controller {
            let field = |k: &str| owner.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            type_meta = TypeMeta { kind: field("kind"), api_version: field("apiVersion") };
            name = field("name");
            let label = |k: &str| pod::label(pod, k).unwrap_or_default().to_owned();
            let hash = label("pod-template-hash");
            let rollout_hash = label("rollouts-pod-template-hash");
            if type_meta.kind == "ReplicaSet" && !hash.is_empty() && name.ends_with(&hash) {
                name = trim_suffix(&name, &format!("-{hash}"));
                type_meta.kind = "Deployment".to_owned();
            } else if type_meta.kind == "ReplicaSet" && !rollout_hash.is_empty() && name.ends_with(&rollout_hash) {
                name = trim_suffix(&name, &format!("-{rollout_hash}"));
                type_meta = TypeMeta { kind: "Rollout".to_owned(), api_version: "v1alpha1".to_owned() };
            } else if type_meta.kind == "ReplicationController" && !label("deploymentconfig").is_empty() {
                name = label("deploymentconfig");
                type_meta.kind = "DeploymentConfig".to_owned();
            } else if type_meta.kind == "Job"
                && let Some(cron) = cron_job_name(&name)
            {
                name = cron;
                type_meta = TypeMeta { kind: "CronJob".to_owned(), api_version: "batch/v1".to_owned() };
            }
        }
        if name.is_empty() {
            name = text("/metadata/name");
        }
        Workload { type_meta, deployment: DeploymentMeta { name, namespace } }
    }

    /// `ns/name` (or `name`) for messages, as kube-inject prints it.
    pub fn full_name(&self, pod_name: &str) -> String {
        let name = if pod_name.is_empty() { &self.deployment.name } else { pod_name };
        if self.deployment.namespace.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.deployment.namespace)
        }
    }
}

/// `strings.TrimSuffix`.
fn trim_suffix(s: &str, suffix: &str) -> String {
    s.strip_suffix(suffix).unwrap_or(s).to_owned()
}

/// `(.+)-\d{8,10}$`: the CronJob that made a Job.
fn cron_job_name(job: &str) -> Option<String> {
    let (base, stamp) = job.rsplit_once('-')?;
    let digits = stamp.len();
    ((8..=10).contains(&digits) && stamp.bytes().all(|b| b.is_ascii_digit()) && !base.is_empty())
        .then(|| base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn controllers_are_guessed_as_istio_does() {
        let pod = |kind: &str, owner: &str, labels: Value| {
            json!({"metadata": {"name": "p-x", "generateName": "p-", "namespace": "ns", "labels": labels,
                   "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": owner, "controller": true}]}})
        };
        let w = Workload::of_pod(&pod("ReplicaSet", "hello-5d4f", json!({"pod-template-hash": "5d4f"})));
        assert_eq!((w.type_meta.kind.as_str(), w.deployment.name.as_str()), ("Deployment", "hello"));
        let w = Workload::of_pod(&pod("Job", "backup-28000000", json!({})));
        assert_eq!(
            (w.type_meta.kind.as_str(), w.type_meta.api_version.as_str(), w.deployment.name.as_str()),
            ("CronJob", "batch/v1", "backup")
        );
        let w = Workload::of_pod(&pod("ReplicationController", "dc-1", json!({"deploymentconfig": "dc"})));
        assert_eq!((w.type_meta.kind.as_str(), w.deployment.name.as_str()), ("DeploymentConfig", "dc"));
        let w = Workload::of_pod(&json!({"metadata": {"name": "solo", "namespace": "ns"}}));
        assert_eq!(
            (w.type_meta.kind.as_str(), w.deployment.name.as_str(), w.full_name("solo").as_str()),
            ("Pod", "solo", "ns/solo")
        );
    }
}
