//! Prometheus metrics merging (`applyPrometheusMerge`): the app's scrape
//! annotations move into the sidecar's `ISTIO_PROMETHEUS_ANNOTATIONS`, and
//! the pod is scraped at the agent's status port instead, which serves the
//! app's metrics merged with Envoy's.
//!
//! Prometheus treats `prometheus.io/port`, `prometheus.io.port` and
//! `prometheus-io/port` alike (it sanitises annotation names into label
//! names), so Istio compares sanitised names too.

use serde_json::Value;

use crate::json_pointer::Pointer;
use crate::pod::{self, PROXY};

const SCRAPE: &str = "prometheus_io_scrape";
const PORT: &str = "prometheus_io_port";
const PATH: &str = "prometheus_io_path";
const SCRAPE_TARGETS: &str = "prometheus_istio_io_scrape_targets";
const SECURE_PORT: &str = "prometheus_istio_io_secure_port";
/// The proxy's environment variable carrying the app's scrape annotations.
pub const ANNOTATIONS_ENV: &str = "ISTIO_PROMETHEUS_ANNOTATIONS";
pub const MERGE_ANNOTATION: &str = "prometheus.istio.io/merge-metrics";

/// Ports the agent and Envoy own, with why (`IstioReservedPortReason`).
const RESERVED_PORTS: [(&str, &str); 9] = [
    ("15000", "Envoy admin"),
    ("15001", "outbound traffic capture"),
    ("15004", "pilot debug"),
    ("15006", "inbound traffic capture"),
    ("15008", "HBONE tunnel"),
    ("15020", "pilot-agent status / merged Prometheus"),
    ("15021", "Envoy health"),
    ("15053", "DNS proxy"),
    ("15090", "Envoy Prometheus (already merged)"),
];

/// Whether Prometheus's `strutil.SanitizeLabelName` of `name` (anything
/// but `[a-zA-Z0-9_]` becomes `_`) is `sanitized`, an ASCII label name;
/// compared as it is made, every annotation being asked of several times.
fn sanitizes_to(name: &str, sanitized: &str) -> bool {
    let mut expected = sanitized.bytes();
    name.chars().all(|c| {
        let made = if c.is_ascii_alphanumeric() || c == '_' { c as u8 } else { b'_' };
        expected.next() == Some(made)
    }) && expected.next().is_none()
}

/// Whether `name` sanitizes to one of the scrape annotations merging moves.
fn is_scrape_annotation(name: &str) -> bool {
    [PATH, PORT, SCRAPE, SCRAPE_TARGETS].iter().any(|s| sanitizes_to(name, s))
}

fn find_annotation<'p>(pod: &'p Value, sanitized: &str) -> Option<&'p str> {
    let annotations = pod.at("/metadata/annotations")?.as_object()?;
    annotations.iter().find(|(k, _)| sanitizes_to(k, sanitized)).and_then(|(_, v)| v.as_str())
}

/// `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn merge_enabled(pod: &Value, mesh: &Value) -> bool {
    if let Some(v) = pod::annotation(pod, MERGE_ANNOTATION).and_then(parse_bool) {
        return v;
    }
    mesh.get("enablePrometheusMerge").and_then(Value::as_bool).unwrap_or(true)
}

/// A scrape target of `prometheus.istio.io/scrape-targets` (`port:path`).
struct Target {
    port: String,
    path: String,
}

fn parse_targets(raw: &str) -> Option<Vec<Target>> {
    let mut targets = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (port, path) = match entry.split_once(':') {
            Some((port, path)) => (port.trim(), path.trim()),
            None => (entry, ""),
        };
        if port.is_empty() {
            return None;
        }
        let path = if path.is_empty() { "/metrics" } else { path };
        targets.push(Target { port: port.to_owned(), path: path.to_owned() });
    }
    Some(targets)
}

/// `strconv.Atoi` within 1..=65535, as its canonical text.
fn valid_port(port: &str) -> Option<String> {
    let digits = port.strip_prefix(['+', '-']).unwrap_or(port);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = port.parse().ok()?;
    (1..=65535).contains(&n).then(|| n.to_string())
}

fn check_port(port: &str, status_port: &str, what: &str, noun: &str) -> Result<(), String> {
    let Some(canonical) = valid_port(port) else {
        return Err(format!("invalid prometheus {what}: invalid {noun}port \"{port}\""));
    };
    if canonical == status_port {
        return Err(format!("invalid prometheus {what}: {noun}port {port} conflicts with agent port"));
    }
    if let Some((_, reason)) = RESERVED_PORTS.iter().find(|(p, _)| *p == canonical) {
        return Err(format!(
            "invalid prometheus {what}: {noun}port {port} is reserved for Istio ({reason}) and cannot be scraped"
        ));
    }
    Ok(())
}

/// Applies metrics merging to the merged pod.
pub fn apply_merge(pod: &mut Value, mesh: &Value) -> Result<(), String> {
    let scrape_enabled = find_annotation(pod, SCRAPE).and_then(parse_bool).unwrap_or(true);
    if !scrape_enabled || !merge_enabled(pod, mesh) {
        return Ok(());
    }
    let status_port = status_port(mesh).to_string();
    if find_annotation(pod, PORT) == Some(status_port.as_str()) {
        return Ok(());
    }
    let scrape = find_annotation(pod, SCRAPE).unwrap_or_default().to_owned();
    let mut port = find_annotation(pod, PORT).unwrap_or_default().to_owned();
    let mut path = find_annotation(pod, PATH).unwrap_or_default().to_owned();
    let targets = find_annotation(pod, SCRAPE_TARGETS).and_then(parse_targets).unwrap_or_default();
    if let Some(first) = targets.first() {
        port = first.port.clone();
        path = first.path.clone();
        for t in &targets {
            check_port(&t.port, &status_port, "scrape targets", "target ")?;
        }
    } else if !port.is_empty() {
        check_port(&port, &status_port, "scrape configuration", "")?;
    }
    let empty = scrape.is_empty() && path.is_empty() && port.is_empty() && targets.is_empty();
    if !empty && let Some(sidecar) = pod::find_any_mut(pod, PROXY) {
        let mut json = format!("{{\"scrape\":{},\"path\":{},\"port\":{}", quote(&scrape), quote(&path), quote(&port));
        if !targets.is_empty() {
            let items: Vec<String> = targets
                .iter()
                .map(|t| format!("{{\"port\":{},\"path\":{}}}", quote(&t.port), quote(&t.path)))
                .collect();
            json.push_str(&format!(",\"targets\":[{}]", items.join(",")));
        }
        json.push('}');
        pod::push_env(sidecar, ANNOTATIONS_ENV, &json);
    }
    let annotations = pod::annotations_mut(pod);
    annotations.retain(|k, _| !is_scrape_annotation(k));
    annotations.insert("prometheus.io/port".to_owned(), Value::String(status_port));
    annotations.insert("prometheus.io/path".to_owned(), Value::String("/stats/prometheus".to_owned()));
    annotations.insert("prometheus.io/scrape".to_owned(), Value::String("true".to_owned()));
    Ok(())
}

/// Clears the scrape annotations of a pod being re-injected, when they
/// point at the status port (Istio set them).
pub fn strip_own_annotations(pod: &mut Value, mesh: &Value) {
    let status_port = status_port(mesh).to_string();
    if find_annotation(pod, PORT) == Some(status_port.as_str()) {
        pod::annotations_mut(pod).retain(|k, _| !is_scrape_annotation(k));
    }
}

/// `prometheus.istio.io/secure-port` from the sidecar's
/// `ENVOY_SECURE_MERGED_METRICS_PORT`, unless the pod sets it.
pub fn apply_secure_port(pod: &mut Value) {
    let annotations = pod.at("/metadata/annotations").and_then(Value::as_object);
    if annotations.is_some_and(|a| a.keys().any(|k| sanitizes_to(k, SECURE_PORT))) {
        return;
    }
    let Some(sidecar) = pod::find_any(pod, PROXY) else { return };
    let port = sidecar.get("env").and_then(Value::as_array).and_then(|env| {
        env.iter().find_map(|e| {
            let value = e.get("value").and_then(Value::as_str)?;
            (e.get("name").and_then(Value::as_str) == Some("ENVOY_SECURE_MERGED_METRICS_PORT")
                && !value.is_empty()
                && value != "0")
                .then(|| value.to_owned())
        })
    });
    if let Some(port) = port {
        pod::annotations_mut(pod).insert("prometheus.istio.io/secure-port".to_owned(), Value::String(port));
    }
}

/// The agent's status port (`defaultConfig.statusPort`), an `int32` as
/// protobuf JSON reads one: a number, or its decimal text (`"15021"` in a
/// pod's `proxy.istio.io/config`, which kube-inject lays over the mesh's
/// default as written).
pub fn status_port(mesh: &Value) -> i64 {
    let port = mesh.at("/defaultConfig/statusPort");
    let quoted = || port?.as_str().and_then(|text| injit_strconv::parse_int(text.as_bytes(), 10).ok());
    port.and_then(Value::as_i64).or_else(quoted).filter(|p| i32::try_from(*p).is_ok()).unwrap_or(0)
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_names_sanitize_as_prometheus_makes_them() {
        assert!(sanitizes_to("prometheus.io/scrape", SCRAPE));
        assert!(sanitizes_to("prometheus_io_scrape", SCRAPE));
        // One `_` for each character, however many bytes it takes.
        assert!(sanitizes_to("prometheus.io/päth", "prometheus_io_p_th"));
        assert!(!sanitizes_to("prometheus.io/scrapes", SCRAPE));
        assert!(!sanitizes_to("prometheus.io/scrap", SCRAPE));
        assert!(!sanitizes_to("", SCRAPE));
        assert!(is_scrape_annotation("prometheus.io/port") && !is_scrape_annotation("prometheus.io/ports"));
    }

    #[test]
    fn the_status_port_reads_as_protobuf_json_reads_an_int32() {
        let port = |value: Value| status_port(&json!({"defaultConfig": {"statusPort": value}}));
        assert_eq!(port(json!(15021)), 15021);
        assert_eq!(port(json!("15021")), 15021, "quoted, as protobuf JSON allows");
        assert_eq!((port(json!("x")), port(json!("4294967296")), port(json!(null))), (0, 0, 0));
    }

    #[test]
    fn scrape_annotations_move_into_the_sidecar() {
        let mesh = json!({"defaultConfig": {"statusPort": 15020}});
        let mut pod = json!({
            "metadata": {"annotations": {"prometheus.io/scrape": "true", "prometheus.io.port": "8080", "prometheus-io/path": "/m"}},
            "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]},
        });
        apply_merge(&mut pod, &mesh).unwrap();
        assert_eq!(
            pod["metadata"]["annotations"],
            json!({"prometheus.io/port": "15020", "prometheus.io/path": "/stats/prometheus", "prometheus.io/scrape": "true"})
        );
        assert_eq!(pod["spec"]["containers"][1]["env"][0]["value"], r#"{"scrape":"true","path":"/m","port":"8080"}"#);
        let mut reserved = json!({"metadata": {"annotations": {"prometheus.io/port": "15000"}}, "spec": {}});
        assert!(apply_merge(&mut reserved, &mesh).unwrap_err().contains("reserved for Istio (Envoy admin)"));
    }
}
