//! Mesh readiness of manifests, before anything is deployed: what every
//! pod must satisfy to be part of the mesh (Istio's "application
//! requirements", the seed's first page), each finding with its place and
//! a fix.

use serde_json::Value;

use crate::json_pointer::Pointer;
use crate::manifest::{ManifestObject, pod_template};
use crate::selector::service_selects;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingSeverity {
    Error,
    Warning,
}

impl FindingSeverity {
    pub fn name(self) -> &'static str {
        match self {
            FindingSeverity::Error => "error",
            FindingSeverity::Warning => "warning",
        }
    }
}

/// One problem of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: FindingSeverity,
    /// A stable name for the check (`port-name`, `no-service`, …).
    pub code: &'static str,
    pub file: String,
    pub line: usize,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub message: String,
    pub fix: String,
}

/// Which Istio's requirements apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IstioEra {
    /// Istio 1.2 and later: a pod may belong to several Services, but not
    /// with one port under two transport protocols (istioctl analyze's
    /// IST0116), nor one target port behind two ports (IST0137).
    #[default]
    Current,
    /// Istio 1.0 and 1.1: a pod belongs to exactly one Service.
    Legacy,
}

/// The objects of one file.
pub struct Manifest {
    pub file: String,
    pub objects: Vec<ManifestObject>,
}

/// Protocols Istio reads from a port name's prefix (`<protocol>[-<suffix>]`).
pub const PROTOCOLS: [&str; 11] =
    ["http", "http2", "https", "grpc", "grpc-web", "mongo", "mysql", "redis", "tcp", "tls", "udp"];

/// Kubernetes' standard `appProtocol` values Istio maps to a protocol.
pub const KUBERNETES_APP_PROTOCOLS: [&str; 3] = ["kubernetes.io/h2c", "kubernetes.io/ws", "kubernetes.io/wss"];

/// Istio's own containers: UID 1337 and the reserved ports are theirs.
const ISTIO_CONTAINERS: [&str; 3] = ["istio-proxy", "istio-init", "istio-validation"];

/// What Istio does with a port that declares no protocol.
const DETECTED: &str = "Istio has to detect its protocol (HTTP/1.1 and HTTP/2 are recognised; anything else is plain TCP, and server-first protocols such as MySQL stall)";

/// Ports the sidecar listens on: an application must not use them.
pub const RESERVED_PORTS: [u64; 10] = [15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090];

/// The sidecar's UID: traffic from it is not captured.
pub const PROXY_UID: i64 = 1337;

/// The protocol a port name declares, if it declares a known one.
pub fn port_protocol(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    // Longest first: `grpc-web-x` is gRPC-Web, not gRPC.
    let mut known = PROTOCOLS;
    known.sort_by_key(|p| std::cmp::Reverse(p.len()));
    known.into_iter().find(|p| lower == *p || lower.strip_prefix(p).is_some_and(|rest| rest.starts_with('-')))
}

fn is_known(protocol: &str) -> bool {
    PROTOCOLS.contains(&protocol.to_ascii_lowercase().as_str())
}

/// Every finding of `manifests` under `era`'s requirements, in file and
/// line order.
pub fn analyze(manifests: &[Manifest], era: IstioEra) -> Vec<Finding> {
    let services: Vec<(&Manifest, &ManifestObject)> = manifests
        .iter()
        .flat_map(|m| m.objects.iter().filter(|o| o.kind() == "Service").map(move |o| (m, o)))
        .collect();
    let mut findings = Vec::new();
    for manifest in manifests {
        for object in &manifest.objects {
            let mut add = |severity, code, message: String, fix: String| {
                findings.push(Finding {
                    severity,
                    code,
                    file: manifest.file.clone(),
                    line: object.line,
                    kind: object.kind().to_owned(),
                    namespace: object.namespace().to_owned(),
                    name: object.name().to_owned(),
                    message,
                    fix,
                });
            };
            if object.kind() == "Service" {
                service_ports(object, &mut add);
            }
            if let Some(template) = pod_template(&object.value) {
                workload(object, &template, &services, era, &mut add);
            }
        }
    }
    findings.sort_by(|a, b| {
        (&a.file, a.line, &a.name, a.severity, a.code).cmp(&(&b.file, b.line, &b.name, b.severity, b.code))
    });
    findings
}

type Add<'a> = dyn FnMut(FindingSeverity, &'static str, String, String) + 'a;

/// The conflicts Istio's analyzer finds between Services selecting the
/// same pods (`analyzers/deployment/services.go`): one port under two
/// transport protocols (IST0116), one target port behind two ports
/// (IST0137).
fn service_port_conflicts(selecting: &[&ManifestObject], add: &mut Add<'_>) {
    use std::collections::BTreeMap;
    let mut protocols: BTreeMap<u64, BTreeMap<String, Vec<&str>>> = BTreeMap::new();
    let mut targets: BTreeMap<String, BTreeMap<u64, &str>> = BTreeMap::new();
    for service in selecting {
        for port in service.value.at("/spec/ports").and_then(Value::as_array).into_iter().flatten() {
            let Some(number) = port.get("port").and_then(Value::as_u64) else { continue };
            let protocol = port.get("protocol").and_then(Value::as_str).filter(|p| !p.is_empty()).unwrap_or("TCP");
            protocols.entry(number).or_default().entry(protocol.to_owned()).or_default().push(service.name());
            let target = match port.get("targetPort") {
                Some(Value::String(name)) => name.clone(),
                Some(Value::Number(n)) if n.as_u64() != Some(0) => n.to_string(),
                _ => number.to_string(),
            };
            targets.entry(target).or_default().insert(number, service.name());
        }
    }
    for (number, by_protocol) in protocols.iter().filter(|(_, p)| p.len() > 1) {
        let uses: Vec<String> = by_protocol
            .iter()
            .flat_map(|(protocol, services)| services.iter().map(move |s| format!("{s} ({protocol})")))
            .collect();
        add(
            FindingSeverity::Error,
            "port-protocol-conflict",
            format!(
                "its pods are selected by Services using port {number} with different protocols: {}",
                uses.join(", ")
            ),
            format!("use one protocol for port {number} in every Service selecting these pods (istioctl: IST0116)"),
        );
    }
    for (target, ports) in targets.iter().filter(|(_, p)| p.len() > 1) {
        let uses: Vec<String> = ports.iter().map(|(port, service)| format!("{service} (port {port})")).collect();
        add(
            FindingSeverity::Warning,
            "conflicting-target-ports",
            format!(
                "its pods are selected by Services sending targetPort {target:?} from different ports: {}",
                uses.join(", ")
            ),
            format!("give targetPort {target:?} the same port in every Service (istioctl: IST0137)"),
        );
    }
}

fn service_ports(service: &ManifestObject, add: &mut Add<'_>) {
    for port in service.value.at("/spec/ports").and_then(Value::as_array).into_iter().flatten() {
        let number = port.get("port").map(|p| p.to_string()).unwrap_or_default();
        let name = port.get("name").and_then(Value::as_str).unwrap_or_default();
        let transport = port.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        // The sidecar does not proxy UDP: names and protocols do not matter.
        if transport.eq_ignore_ascii_case("UDP") {
            continue;
        }
        if let Some(app) = port.get("appProtocol").and_then(Value::as_str) {
            // appProtocol wins over the name.
            if !is_known(app) && !KUBERNETES_APP_PROTOCOLS.contains(&app) {
                add(
                    FindingSeverity::Warning,
                    "app-protocol",
                    format!("port {number}: appProtocol {app:?} is not a protocol Istio knows, so {DETECTED}"),
                    format!("use one of {}, {}", PROTOCOLS.join(", "), KUBERNETES_APP_PROTOCOLS.join(", ")),
                );
            }
            continue;
        }
        if name.is_empty() {
            add(
                FindingSeverity::Warning,
                "unnamed-port",
                format!("port {number}: no name, so {DETECTED}"),
                format!("name it <protocol>[-<suffix>] (e.g. http-{number}) or set appProtocol"),
            );
        } else if port_protocol(name).is_none() {
            let suggestion = PROTOCOLS
                .iter()
                .filter(|p| name.to_ascii_lowercase().starts_with(*p))
                .max_by_key(|p| p.len())
                .map(|p| format!("{p}-{}", &name[p.len()..]))
                .unwrap_or_else(|| format!("tcp-{name}"));
            add(
                FindingSeverity::Warning,
                "port-name",
                format!(
                    "port {number}: name {name:?} is not <protocol>[-<suffix>] with a known protocol, so {DETECTED}"
                ),
                format!("rename it {suggestion:?} (protocols: {}), or set appProtocol", PROTOCOLS.join(", ")),
            );
        }
    }
}

fn workload(
    object: &ManifestObject,
    template: &crate::manifest::PodTemplate<'_>,
    services: &[(&Manifest, &ManifestObject)],
    era: IstioEra,
    add: &mut Add<'_>,
) {
    let labels: Vec<(String, String)> = template
        .metadata
        .get("labels")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default();
    let where_labels = if object.kind() == "Pod" { "metadata.labels" } else { "the pod template's labels" };
    let selecting: Vec<&ManifestObject> = services
        .iter()
        .map(|(_, s)| *s)
        .filter(|s| s.namespace() == object.namespace())
        .filter(|s| s.value.at("/spec/selector").is_some_and(|sel| service_selects(sel, &labels)))
        .collect();
    let batch = matches!(object.kind(), "Job" | "CronJob");
    match selecting.len() {
        0 if !batch => add(
            FindingSeverity::Warning,
            "no-service",
            format!(
                "no Service in namespace {:?} selects its pods: they get no service name in the mesh and receive no \
                 routed traffic",
                object.namespace()
            ),
            format!("add a Service whose selector matches {where_labels} (or set the namespace: -n)"),
        ),
        0 | 1 => {}
        _ if era == IstioEra::Current => service_port_conflicts(&selecting, add),
        _ => {
            let names: Vec<String> = selecting.iter().map(|s| s.name().to_owned()).collect();
            add(
                FindingSeverity::Error,
                "multiple-services",
                format!(
                    "its pods are selected by {} Services ({}); a pod must belong to exactly one",
                    names.len(),
                    names.join(", ")
                ),
                "give the Services disjoint selectors, or merge them into one Service with several ports".to_owned(),
            );
        }
    }
    for (label, purpose) in
        [("app", "tracing and the service's cluster name"), ("version", "telemetry and version routing")]
    {
        if !labels.iter().any(|(k, _)| k == label) {
            add(
                FindingSeverity::Warning,
                if label == "app" { "missing-app-label" } else { "missing-version-label" },
                format!("{where_labels} have no `{label}` label (used for {purpose})"),
                format!("add `{label}: …` to {where_labels}"),
            );
        }
    }
    // Fields the pod's types do not have: the API server's strict field
    // validation refuses them, and decoding into the types (istioctl's
    // kube-inject) drops them without a word, so a `contaners:` typo
    // injects into a pod without containers.
    for unknown in crate::unknown_fields::in_pod_template(&object.value) {
        add(
            FindingSeverity::Error,
            "unknown-field",
            format!(
                "{}: unknown field {:?}{}: the API server refuses it, and kube-inject's decoding drops it",
                unknown.path,
                unknown.name,
                unknown.did_you_mean()
            ),
            match unknown.suggestion {
                Some(s) => format!("rename it `{s}`"),
                None => "remove it, or move it where its type has it".to_owned(),
            },
        );
    }
    let spec = template.spec;
    // The sidecar's own requirements hold only for pods that get one.
    let opted_out = crate::decision::opts_out(&serde_json::json!({ "metadata": template.metadata }));
    if opted_out {
        return;
    }
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        add(
            FindingSeverity::Warning,
            "host-network",
            "hostNetwork: true: pods on the node's network are never injected".to_owned(),
            "drop hostNetwork, or accept that these pods stay outside the mesh".to_owned(),
        );
    }
    let is_istio = |c: &Value| ISTIO_CONTAINERS.contains(&c.get("name").and_then(Value::as_str).unwrap_or_default());
    let own_uid = |c: &Value| c.at("/securityContext/runAsUser").and_then(Value::as_i64);
    let app_containers: Vec<&Value> =
        spec.get("containers").and_then(Value::as_array).into_iter().flatten().filter(|c| !is_istio(c)).collect();
    // The pod's UID matters for application containers that set none.
    if spec.at("/securityContext/runAsUser").and_then(Value::as_i64) == Some(PROXY_UID)
        && app_containers.iter().any(|c| own_uid(c).is_none())
    {
        add(
            FindingSeverity::Error,
            "proxy-uid",
            format!("the pod runs as UID {PROXY_UID}, the sidecar's: its traffic bypasses the sidecar"),
            "run the application as another UID".to_owned(),
        );
    }
    // Init containers may run as 1337 on purpose: Istio's advice for init
    // containers that need the network before the sidecar starts.
    for container in app_containers {
        let cname = container.get("name").and_then(Value::as_str).unwrap_or_default();
        if own_uid(container) == Some(PROXY_UID) {
            add(
                FindingSeverity::Error,
                "proxy-uid",
                format!("container {cname:?} runs as UID {PROXY_UID}, the sidecar's: its traffic bypasses the sidecar"),
                format!("run container {cname:?} as another UID"),
            );
        }
        for port in container.get("ports").and_then(Value::as_array).into_iter().flatten() {
            let Some(number) = port.get("containerPort").and_then(Value::as_u64) else { continue };
            if RESERVED_PORTS.contains(&number) {
                add(
                    FindingSeverity::Error,
                    "reserved-port",
                    format!("container {cname:?} uses port {number}, which the sidecar reserves"),
                    format!(
                        "move the application off {number} (reserved: {})",
                        RESERVED_PORTS.map(|p| p.to_string()).join(", ")
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names_declare_protocols_by_prefix() {
        assert_eq!(port_protocol("http"), Some("http"));
        assert_eq!(port_protocol("http2-foo"), Some("http2"));
        assert_eq!(port_protocol("HTTP-web"), Some("http"));
        assert_eq!(port_protocol("grpc-web"), Some("grpc-web"));
        assert_eq!(port_protocol("grpc-web-x"), Some("grpc-web"));
        assert_eq!(port_protocol("grpc-x"), Some("grpc"));
        assert_eq!(port_protocol("http2foo"), None);
        assert_eq!(port_protocol("web"), None);
    }
}
