//! App probe rewriting (`app_probe.go`): with mutual TLS the kubelet cannot
//! reach the app's HTTP, TCP or gRPC probes directly, so each probe and
//! lifecycle hook becomes an HTTP GET to the agent's status port at
//! `/app-health/<container>/<probe>`, and the agent (told the originals in
//! `ISTIO_KUBE_APP_PROBERS`) runs the real checks.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::deadline::{Deadline, Stop};
use crate::json_pointer::Pointer;
use crate::pod::{self, Containers, PROXY};
use crate::prometheus::parse_bool;
use crate::typed::Typed;

pub const REWRITE_ANNOTATION: &str = "sidecar.istio.io/rewriteAppHTTPProbers";
pub const STATUS_PORT_ANNOTATION: &str = "status.sidecar.istio.io/port";
/// The proxy's environment variable listing the app probes it answers.
pub const PROBERS_ENV: &str = "ISTIO_KUBE_APP_PROBERS";

/// The probes and hooks of a container, with the parts of their agent
/// URLs (`url`): made only for the handlers a container has, since a pod
/// may have thousands of containers with none.
const ENDPOINTS: [(&str, &str, &str); 5] = [
    ("readinessProbe", "app-health", "readyz"),
    ("livenessProbe", "app-health", "livez"),
    ("startupProbe", "app-health", "startupz"),
    ("preStop", "app-lifecycle", "prestopz"),
    ("postStart", "app-lifecycle", "poststartz"),
];

fn url(container: &str, group: &str, endpoint: &str) -> String {
    format!("/{group}/{container}/{endpoint}")
}

fn handler<'c>(container: &'c Value, field: &str) -> Option<&'c Value> {
    match field {
        "preStop" | "postStart" => container.get("lifecycle")?.get(field),
        _ => container.get(field),
    }
    .filter(|v| v.is_object())
}

/// Rewrites the merged pod's probes when the pod or the values ask for it
/// (`applyRewrite`).
pub fn apply(
    pod: &mut Value,
    values: &Value,
    status_port: i64,
    previously_injected: bool,
    deadline: Deadline,
) -> Result<(), Stop<String>> {
    if pod::find_any(pod, PROXY).is_none() {
        return Ok(());
    }
    let default = values.at("/sidecarInjectorWebhook/rewriteAppHTTPProbe").and_then(Value::as_bool).unwrap_or(false);
    let rewrite = pod::annotation(pod, REWRITE_ANNOTATION).and_then(parse_bool).unwrap_or(default);
    if !rewrite {
        return Ok(());
    }
    if let Some(probers) = dump(pod, status_port, deadline)? {
        let sidecar = pod::find_any_mut(pod, PROXY).expect("the sidecar is there");
        merge_or_append(sidecar, &probers, previously_injected).map_err(Stop::Failed)?;
    }
    let port = match pod::annotation(pod, STATUS_PORT_ANNOTATION) {
        // `strconv.Atoi`; Istio logs a bad value and uses 0.
        Some(v) => v.parse::<i64>().unwrap_or(0),
        None => status_port,
    };
    for which in [Containers::Regular, Containers::Init] {
        for (i, container) in pod::containers_mut(pod, which).iter_mut().enumerate() {
            deadline.check_element(i)?;
            if pod::name_of(container) != PROXY {
                rewrite_container(container, port);
            }
        }
    }
    prune_empty_lists(pod);
    Ok(())
}

/// `containers_mut` makes lists that were absent; leave them absent.
fn prune_empty_lists(pod: &mut Value) {
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        spec.retain(|k, v| !(k == "initContainers" && v.as_array().is_some_and(Vec::is_empty)));
    }
}

/// `DumpAppProbers`: the original probes by agent URL, named ports
/// resolved, as JSON with sorted keys; `None` when there are none.
fn dump(pod: &Value, status_port: i64, deadline: Deadline) -> Result<Option<String>, Stop<String>> {
    let mut probers: BTreeMap<String, String> = BTreeMap::new();
    let all = pod::containers(pod, Containers::Init).iter().chain(pod::containers(pod, Containers::Regular));
    for (i, container) in all.enumerate() {
        deadline.check_element(i)?;
        let name = pod::name_of(container);
        if name == PROXY {
            continue;
        }
        // A named port: the last of that name (as a map of them would
        // keep).
        let port = |wanted: &str| {
            container.get("ports").and_then(Value::as_array)?.iter().rev().find_map(|p| {
                let name = p.get("name")?.as_str().filter(|n| !n.is_empty())?;
                let number = p.get("containerPort")?.as_i64()?;
                (name == wanted).then_some(number)
            })
        };
        for (field, group, endpoint) in ENDPOINTS {
            let Some(h) = handler(container, field) else { continue };
            let lifecycle = matches!(field, "preStop" | "postStart");
            if let Some(prober) = prober_json(h, lifecycle, &port, status_port).map_err(Stop::Failed)? {
                probers.insert(url(name, group, endpoint), prober);
            }
        }
    }
    if probers.is_empty() {
        return Ok(None);
    }
    let items: Vec<String> =
        probers.iter().map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).expect("a string"))).collect();
    Ok(Some(format!("{{{}}}", items.join(","))))
}

/// One `Prober`: the action (named port resolved) and the probe's timeout.
fn prober_json(
    handler: &Value,
    lifecycle: bool,
    port: &dyn Fn(&str) -> Option<i64>,
    status_port: i64,
) -> Result<Option<String>, String> {
    let (key, type_key) = if handler.get("httpGet").is_some_and(Value::is_object) {
        ("httpGet", "corev1.HTTPGetAction")
    } else if handler.get("tcpSocket").is_some_and(Value::is_object) {
        ("tcpSocket", "corev1.TCPSocketAction")
    } else if !lifecycle && handler.get("grpc").is_some_and(Value::is_object) {
        ("grpc", "corev1.GRPCAction")
    } else {
        return Ok(None);
    };
    let mut action = handler[key].clone();
    if key != "grpc" {
        match action.get("port") {
            Some(Value::String(name)) => match port(name) {
                Some(p) => action["port"] = json!(p),
                None => return Ok(None),
            },
            Some(Value::Number(n)) if n.as_i64() == Some(status_port) => return Ok(None),
            None if status_port == 0 => return Ok(None),
            _ => {}
        }
    }
    let mut out = format!("{{\"{key}\":{}", Typed::named(type_key).to_json(&action)?);
    if !lifecycle && let Some(t) = handler.get("timeoutSeconds").and_then(Value::as_i64).filter(|t| *t != 0) {
        out.push_str(&format!(",\"timeoutSeconds\":{t}"));
    }
    out.push('}');
    Ok(Some(out))
}

/// Appends `ISTIO_KUBE_APP_PROBERS`, or on re-injection merges into the
/// existing one (the existing entries win).
fn merge_or_append(sidecar: &mut Value, probers: &str, previously_injected: bool) -> Result<(), String> {
    if previously_injected && let Some(env) = sidecar.get_mut("env").and_then(Value::as_array_mut) {
        for var in env.iter_mut() {
            if var.get("name").and_then(Value::as_str) != Some(PROBERS_ENV) {
                continue;
            }
            let existing: Map<String, Value> = match var.get("value").and_then(Value::as_str).map(serde_json::from_str)
            {
                // Decoded as Istio's `KubeAppProbers` (a map of `*Prober`).
                Some(Ok(Value::Object(m))) if m.values().all(decodes_as_prober) => m,
                // Istio logs the bad value and leaves the variables alone.
                _ => return Ok(()),
            };
            let Ok(Value::Object(mut merged)) = serde_json::from_str::<Value>(probers) else { return Ok(()) };
            for (k, v) in existing {
                merged.insert(k, v);
            }
            let items: Result<Vec<String>, String> = merged
                .iter()
                .map(|(k, v)| Ok(format!("{}:{}", serde_json::to_string(k).expect("a string"), reencode_prober(v)?)))
                .collect();
            *var = json!({"name": PROBERS_ENV, "value": format!("{{{}}}", items?.join(","))});
            return Ok(());
        }
    }
    pod::push_env(sidecar, PROBERS_ENV, probers);
    Ok(())
}

/// A `Prober`'s actions, in Go's field order, and their types.
const PROBER_ACTIONS: [(&str, &str); 3] =
    [("httpGet", "corev1.HTTPGetAction"), ("tcpSocket", "corev1.TCPSocketAction"), ("grpc", "corev1.GRPCAction")];

/// Whether `value` decodes as Istio's `*Prober` (`null`, or an object
/// whose actions decode as Kubernetes' and whose timeout is an `int32`).
fn decodes_as_prober(value: &Value) -> bool {
    let Value::Object(prober) = value else { return value.is_null() };
    let action_decodes = |(key, type_key): (&str, &str)| {
        prober.get(key).is_none_or(|action| action.is_null() || Typed::named(type_key).check(action).is_ok())
    };
    let timeout_decodes = prober
        .get("timeoutSeconds")
        .is_none_or(|t| t.is_null() || t.as_i64().is_some_and(|t| i32::try_from(t).is_ok()));
    PROBER_ACTIONS.into_iter().all(action_decodes) && timeout_decodes
}

/// A decoded `Prober` written again in Go's field order (`null` for a
/// nil one).
fn reencode_prober(prober: &Value) -> Result<String, String> {
    if prober.is_null() {
        return Ok("null".to_owned());
    }
    let mut parts = Vec::new();
    for (key, type_key) in PROBER_ACTIONS {
        if let Some(action) = prober.get(key).filter(|a| a.is_object()) {
            parts.push(format!("\"{key}\":{}", Typed::named(type_key).to_json(action)?));
        }
    }
    if let Some(t) = prober.get("timeoutSeconds").and_then(Value::as_i64).filter(|t| *t != 0) {
        parts.push(format!("\"timeoutSeconds\":{t}"));
    }
    Ok(format!("{{{}}}", parts.join(",")))
}

/// Points a container's probes and hooks at the agent (`convertProbe`).
fn rewrite_container(container: &mut Value, port: i64) {
    let name = pod::name_of(container).to_owned();
    for (field, group, endpoint) in ENDPOINTS {
        let lifecycle = matches!(field, "preStop" | "postStart");
        let slot = if lifecycle {
            container.get_mut("lifecycle").and_then(|l| l.get_mut(field))
        } else {
            container.get_mut(field)
        };
        let Some(Value::Object(h)) = slot else { continue };
        let replaced = if h.get("httpGet").is_some_and(Value::is_object) {
            None
        } else if h.get("tcpSocket").is_some_and(Value::is_object) {
            Some("tcpSocket")
        } else if !lifecycle && h.get("grpc").is_some_and(Value::is_object) {
            Some("grpc")
        } else {
            continue;
        };
        if let Some(key) = replaced {
            h.remove(key);
            h.insert("httpGet".to_owned(), Value::Object(Map::new()));
        }
        let get = h.get_mut("httpGet").and_then(Value::as_object_mut).expect("an httpGet action");
        get.insert("port".to_owned(), json!(port));
        get.insert("path".to_owned(), Value::String(url(&name, group, endpoint)));
        if get.get("scheme").and_then(Value::as_str) == Some("HTTPS") {
            get.insert("scheme".to_owned(), Value::String("HTTP".to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_point_at_the_agent() {
        let mut pod = json!({"spec": {"containers": [
            {"name": "app", "ports": [{"name": "http", "containerPort": 8080}],
             "readinessProbe": {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTPS"}, "timeoutSeconds": 3},
             "livenessProbe": {"tcpSocket": {"port": 9000}}},
            {"name": "istio-proxy"},
        ]}});
        let values = json!({"sidecarInjectorWebhook": {"rewriteAppHTTPProbe": true}});
        apply(&mut pod, &values, 15020, false, Deadline::NONE).unwrap();
        let app = &pod["spec"]["containers"][0];
        assert_eq!(
            app["readinessProbe"]["httpGet"],
            json!({"path": "/app-health/app/readyz", "port": 15020, "scheme": "HTTP"})
        );
        assert_eq!(app["livenessProbe"], json!({"httpGet": {"path": "/app-health/app/livez", "port": 15020}}));
        assert_eq!(
            pod["spec"]["containers"][1]["env"][0]["value"],
            r#"{"/app-health/app/livez":{"tcpSocket":{"port":9000}},"/app-health/app/readyz":{"httpGet":{"path":"/ready","port":8080,"scheme":"HTTPS"},"timeoutSeconds":3}}"#
        );
        assert!(pod["spec"].get("initContainers").is_none());
    }

    /// On re-injection an existing `ISTIO_KUBE_APP_PROBERS` that does not
    /// decode as Istio's probers is left as it is (Istio logs it), not
    /// rewritten or failed on.
    #[test]
    fn existing_probers_that_do_not_decode_are_left_alone() {
        for existing in [r#"{"/x":5}"#, r#"{"/x":{"httpGet":{"port":[]}}}"#, r#"{"/x":{"timeoutSeconds":"3"}}"#] {
            let mut sidecar = json!({"name": "istio-proxy", "env": [{"name": PROBERS_ENV, "value": existing}]});
            merge_or_append(&mut sidecar, r#"{"/y":{"tcpSocket":{"port":1}}}"#, true).unwrap();
            assert_eq!(sidecar["env"][0]["value"], existing);
        }
        let mut sidecar = json!({"name": "istio-proxy", "env": [{"name": PROBERS_ENV, "value": r#"{"/x":null}"#}]});
        merge_or_append(&mut sidecar, r#"{"/y":{"tcpSocket":{"port":1}}}"#, true).unwrap();
        assert_eq!(sidecar["env"][0]["value"], r#"{"/x":null,"/y":{"tcpSocket":{"port":1}}}"#);
    }
}
