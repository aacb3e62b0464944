//! `injit check-inject TARGET` against a live cluster, as `istioctl x
//! check-inject` does: the pod (or the pod a Deployment would create), its
//! Namespace's labels, and every injector registered in the cluster (each
//! MutatingWebhookConfiguration with `*.istio.io` or `*.injit.dev`
//! webhooks for pod CREATEs), each evaluated with its revision's injector
//! configuration.

use injit_cluster::{Cluster, ConfigMapNames};
use injit_inject::check_inject::{Answer, Webhooks, check};
use injit_inject::decision::Rules;
use injit_inject::json_pointer::Pointer;
use injit_inject::{Caller, Injector, Sources};
use serde_json::{Value, json};

use crate::args::{ClusterArgs, ConfigArgs};
use crate::cluster::ClusterSession;
use crate::exit::{Code, Failure};

/// The cluster could not be used, or lacks what was asked for.
fn cluster_failure(message: impl std::fmt::Display) -> Failure {
    Failure::new(Code::CLUSTER, format!("error: {message}"))
}

/// A file or ConfigMap's content could not be understood.
fn input_failure(message: impl std::fmt::Display) -> Failure {
    Failure::new(Code::INPUT, format!("error: {message}"))
}

/// What to check: `pod/NAME`, `deploy/NAME`, a pod's name, or the pods a
/// label selector picks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Pod(String),
    Deployment(String),
    Selector(String),
}

impl Target {
    /// `pod/NAME`, `po/NAME`, `pods/NAME`, `deploy/NAME`,
    /// `deployment/NAME`, `deployments/NAME`, or a bare pod name, as
    /// kubectl names them.
    pub fn parse(text: &str) -> Result<Target, String> {
        let (kind, name) = match text.split_once('/') {
            Some((kind, name)) => (kind, name),
            None => ("pod", text),
        };
        if name.is_empty() || name.contains('/') {
            return Err(format!("{text:?} is not pod/NAME, deploy/NAME or a pod's name"));
        }
        match kind.to_ascii_lowercase().as_str() {
            "pod" | "pods" | "po" => Ok(Target::Pod(name.to_owned())),
            "deploy" | "deployment" | "deployments" | "deployment.apps" => Ok(Target::Deployment(name.to_owned())),
            _ => Err(format!("{text:?}: check-inject reads pods and deployments, not {kind:?}")),
        }
    }
}

/// One injector's answer for one pod.
pub struct Row {
    /// `pod/NAME` or `deployment/NAME`.
    pub pod: String,
    /// The MutatingWebhookConfiguration's name.
    pub webhook: String,
    pub revision: String,
    pub answer: Answer,
}

/// An injector registered in the cluster: its webhooks, revision, and the
/// ConfigMaps its configuration is in.
struct Registration {
    name: String,
    revision: String,
    webhooks: Webhooks,
    config: ConfigMapNames,
}

/// Reads the pods, the Namespace and the registrations, and answers for
/// each pod and registration. `-r` (`config.revision`) keeps that
/// revision's registrations only.
pub fn rows(
    target: &Target,
    namespace: Option<&str>,
    cluster_args: &ClusterArgs,
    config: &ConfigArgs,
) -> Result<Vec<Row>, Failure> {
    let session = match ClusterSession::connect(cluster_args).map_err(cluster_failure)? {
        Some(session) => session,
        None => {
            return Err(cluster_failure(
                "no kubeconfig found: check-inject TARGET reads the cluster (set KUBECONFIG or \
                 --kubeconfig; -f checks a manifest without one)",
            ));
        }
    };
    let namespace = namespace.unwrap_or(session.default_namespace()).to_owned();
    let pods = session.run(pods(session.cluster(), target, &namespace)).map_err(cluster_failure)?;
    let cluster = session.cluster();
    let labels = session.run(cluster.namespace(&namespace)).map_err(cluster_failure)?;
    let labels = labels.as_ref().map(|ns| string_map(ns.at("/metadata/labels"))).unwrap_or_default();
    let configurations = session.run(cluster.mutating_webhook_configurations()).map_err(cluster_failure)?;
    let wanted = match config.revision.as_str() {
        "" => None,
        rev => Some(rev),
    };
    let registrations: Vec<Registration> = registrations(&configurations, cluster_args)
        .into_iter()
        .filter(|r| wanted.is_none_or(|w| w == r.revision))
        .collect();
    if registrations.is_empty() {
        return Err(cluster_failure(match wanted {
            Some(rev) => format!("no injector of revision {rev:?} is registered in the cluster"),
            None => "no injector is registered in the cluster: no MutatingWebhookConfiguration has a *.istio.io \
                     or *.injit.dev webhook for pod CREATEs"
                .to_owned(),
        }));
    }
    // One injector per configuration, from its ConfigMaps (or the files
    // given), so each row is decided as its webhook would decide it.
    let files = config.sources().map_err(input_failure)?;
    let mut injectors: Vec<(&ConfigMapNames, Injector)> = Vec::new();
    for registration in &registrations {
        if !injectors.iter().any(|(names, _)| **names == registration.config) {
            let injector = injector(&session, files.clone(), config, registration)?;
            injectors.push((&registration.config, injector));
        }
    }
    let mut rows = Vec::new();
    for (name, pod) in &pods {
        for registration in &registrations {
            let injector = &injectors.iter().find(|(names, _)| **names == registration.config).expect("built above").1;
            let answer = check(&registration.webhooks, &labels, &Rules::of(injector.config()), pod);
            rows.push(Row {
                pod: name.clone(),
                webhook: registration.name.clone(),
                revision: registration.revision.clone(),
                answer,
            });
        }
    }
    Ok(rows)
}

/// The pods to check, named, each with `metadata.namespace` set.
async fn pods(cluster: &Cluster, target: &Target, namespace: &str) -> Result<Vec<(String, Value)>, String> {
    let hint = |e: injit_cluster::Error| match e {
        injit_cluster::Error::NotFound { .. } => format!("{e} (-n names the namespace)"),
        e => e.to_string(),
    };
    match target {
        Target::Pod(name) => Ok(vec![(format!("pod/{name}"), cluster.pod(namespace, name).await.map_err(hint)?)]),
        Target::Deployment(name) => {
            let deployment = cluster.deployment(namespace, name).await.map_err(hint)?;
            // The pod the Deployment would create: its template, in its
            // namespace.
            let template = deployment.at("/spec/template").cloned().unwrap_or(json!({}));
            let mut pod = json!({"metadata": template.get("metadata").cloned().unwrap_or(json!({})),
                                 "spec": template.get("spec").cloned().unwrap_or(json!({}))});
            if !pod["metadata"].is_object() {
                pod["metadata"] = json!({});
            }
            pod["metadata"]["namespace"] = json!(namespace);
            Ok(vec![(format!("deployment/{name}"), pod)])
        }
        Target::Selector(selector) => {
            let mut pods = cluster.pods_selected(namespace, selector).await.map_err(|e| e.to_string())?;
            if pods.is_empty() {
                return Err(format!(
                    "context {:?}: no pod in namespace {namespace} matches the selector {selector:?}",
                    cluster.endpoint().context
                ));
            }
            pods.sort_by(|a, b| name(a).cmp(name(b)));
            Ok(pods
                .into_iter()
                .map(|mut pod| {
                    pod["metadata"]["namespace"] = json!(namespace);
                    (format!("pod/{}", name(&pod)), pod)
                })
                .collect())
        }
    }
}

fn name(object: &Value) -> &str {
    object.at("/metadata/name").and_then(Value::as_str).unwrap_or("")
}

/// The injectors among the configurations, sorted by name (as istioctl
/// lists them): those with a webhook for pod CREATEs named `*.istio.io`
/// (istioctl's `isIstioWebhook`) or `*.injit.dev` (injit's `deploy/`).
/// The revision is the `istio.io/rev` label Istio's chart sets, else the
/// one its selectors ask namespaces for, else `default`. Istio's
/// configuration is in the revision's ConfigMaps (`-i`, kube-inject's
/// names); injit's `deploy/` keeps it in a ConfigMap named as the
/// registration (`injit-sidecar-injector[-REV]`, keys `config`, `values`
/// and `mesh`) in its Service's namespace.
fn registrations(configurations: &[Value], args: &ClusterArgs) -> Vec<Registration> {
    let mut out: Vec<Registration> = configurations
        .iter()
        .filter_map(|object| {
            let webhooks = Webhooks::from_configurations(std::slice::from_ref(object)).ok()?;
            let istio = webhooks.0.iter().any(|w| w.name.ends_with(".istio.io"));
            let injit = webhooks.0.iter().any(|w| w.name.ends_with(".injit.dev"));
            if !istio && !injit {
                return None;
            }
            let label = object.at("/metadata/labels/istio.io~1rev").and_then(Value::as_str);
            let revision =
                label.filter(|r| !r.is_empty()).or_else(|| selected_revision(&webhooks)).unwrap_or("default");
            let name = name(object).to_owned();
            let config = if injit {
                let service = object.at("/webhooks/0/clientConfig/service/namespace").and_then(Value::as_str);
                let namespace = service.unwrap_or(&args.istio_namespace).to_owned();
                ConfigMapNames { namespace, injector: name.clone(), mesh: name.clone() }
            } else {
                let revision = if revision == "default" { "" } else { revision };
                ConfigMapNames::new(
                    &args.istio_namespace,
                    &args.inject_config_map_name,
                    &args.mesh_config_map_name,
                    revision,
                )
            };
            Some(Registration { name, revision: revision.to_owned(), webhooks, config })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The revision a namespace selector asks for (`istio.io/rev In [REV]`,
/// or `istio.io/rev: REV`): how injit's `deploy/overlays/revision`
/// registration, which has no label, names its revision.
fn selected_revision(webhooks: &Webhooks) -> Option<&str> {
    webhooks.0.iter().find_map(|w| {
        let selector = &w.namespace_selector;
        let labelled = selector.at("/matchLabels/istio.io~1rev").and_then(Value::as_str);
        labelled.or_else(|| {
            selector.get("matchExpressions")?.as_array()?.iter().find_map(|e| {
                let asks = e.get("key")? == "istio.io/rev" && e.get("operator")? == "In";
                asks.then(|| e.get("values")?.as_array()?.first()?.as_str()).flatten()
            })
        })
    })
}

/// The injector of a registration: the files given, the rest from its
/// ConfigMaps.
fn injector(
    session: &ClusterSession,
    files: Sources,
    config: &ConfigArgs,
    registration: &Registration,
) -> Result<Injector, Failure> {
    let sources = session.config_sources_in(files, &registration.config).map_err(cluster_failure)?;
    let mut options = config.options();
    options.revision = if registration.revision == "default" { String::new() } else { registration.revision.clone() };
    let injector = sources.build_checked(options, Caller::Webhook).map_err(input_failure)?;
    for warning in injector.config().invalid_selectors() {
        eprintln!("warning: {}: {warning}", injector.config().file);
    }
    Ok(injector)
}

/// A label map's string values.
fn string_map(labels: Option<&Value>) -> Vec<(String, String)> {
    let Some(labels) = labels.and_then(Value::as_object) else { return Vec::new() };
    labels.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect()
}

/// istioctl's table (WEBHOOK, REVISION, INJECTED, REASON), with a POD
/// column first when several pods are checked. The reason names the
/// webhook of the configuration that selects the pod.
pub fn human(rows: &[Row]) -> String {
    let several = rows.first().is_some_and(|first| rows.iter().any(|r| r.pod != first.pod));
    let mut cells: Vec<Vec<String>> =
        vec![["POD", "WEBHOOK", "REVISION", "INJECTED", "REASON"].iter().map(|s| s.to_string()).collect()];
    for r in rows {
        let reason = match &r.answer.webhook {
            Some(webhook) => format!("{} (via {webhook})", r.answer.reason),
            None => r.answer.reason.clone(),
        };
        let injected = if r.answer.inject { "yes" } else { "no" };
        cells.push(vec![r.pod.clone(), r.webhook.clone(), r.revision.clone(), injected.to_owned(), reason]);
    }
    if !several {
        cells.iter_mut().for_each(|c| drop(c.remove(0)));
    }
    let columns = cells[0].len();
    let widths: Vec<usize> = (0..columns).map(|i| cells.iter().map(|c| c[i].len()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for c in &cells {
        let mut line = String::new();
        for (i, cell) in c.iter().enumerate() {
            if i + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn json(rows: &[Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                json!({
                    "pod": r.pod,
                    "webhook": r.webhook,
                    "revision": r.revision,
                    "injected": r.answer.inject,
                    "reason": r.answer.reason,
                    "matchedWebhook": r.answer.webhook,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_named_as_kubectl_names_them() {
        assert_eq!(Target::parse("deploy/web"), Ok(Target::Deployment("web".into())));
        assert_eq!(Target::parse("deployment/web"), Ok(Target::Deployment("web".into())));
        assert_eq!(Target::parse("pod/web-1"), Ok(Target::Pod("web-1".into())));
        assert_eq!(Target::parse("web-1"), Ok(Target::Pod("web-1".into())));
        assert!(Target::parse("svc/web").is_err());
        assert!(Target::parse("pod/").is_err());
    }

    #[test]
    fn a_registration_without_a_label_names_its_revision_by_its_selector() {
        let args = ClusterArgs {
            istio_namespace: "istio-system".to_owned(),
            mesh_config_map_name: "istio".to_owned(),
            inject_config_map_name: "istio-sidecar-injector".to_owned(),
            kubeconfig: None,
            context: None,
            offline: false,
        };
        let pods = json!([{"operations": ["CREATE"], "resources": ["pods"]}]);
        // injit's deploy/overlays/revision, after kustomize.
        let canary = json!({"kind": "MutatingWebhookConfiguration", "metadata": {"name": "injit-sidecar-injector-canary"},
            "webhooks": [{"name": "namespace.sidecar-injector.injit.dev", "rules": pods,
                "clientConfig": {"service": {"namespace": "mesh", "name": "injit-webhook-canary"}},
                "namespaceSelector": {"matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": ["canary"]}]}}]});
        let plain = json!({"kind": "MutatingWebhookConfiguration", "metadata": {"name": "injit-sidecar-injector"},
            "webhooks": [{"name": "object.sidecar-injector.injit.dev", "rules": pods}]});
        let found = registrations(&[plain, canary], &args);
        let shown: Vec<_> =
            found.iter().map(|r| (r.name.as_str(), r.revision.as_str(), r.config.namespace.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("injit-sidecar-injector", "default", "istio-system"),
                ("injit-sidecar-injector-canary", "canary", "mesh")
            ]
        );
        assert_eq!(found[1].config.injector, "injit-sidecar-injector-canary");
    }
}
