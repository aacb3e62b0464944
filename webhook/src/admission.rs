//! One admission request: decide, inject, and answer with the JSON Patch
//! that turns the pod as received into the injected pod.
//!
//! The injector works on the pod as Go types see it (Istio decodes it into
//! `corev1.Pod`), but the patch must not drop what those types do not
//! know: the changes injection made are computed between the typed views,
//! carried over to the pod as received (making parents as needed), and
//! the patch is the difference between the received pod and that.

use serde_json::{Map, Value};

use injit_inject::decision::{Rules, Skip};
use injit_inject::typed::Typed;
use injit_inject::{
    Caller, ClusterState, Deadline, ErrorKind, Injector, KeptElements, Outcome, Pipeline, Request as InjectRequest,
    Workload,
};

use crate::patch;
use crate::review::{Response, ReviewRequest};

/// What to do when injection fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Refuse the pod (Istio's behaviour): it must not run without its
    /// sidecar.
    #[default]
    Deny,
    /// Let the pod through unchanged, with a warning.
    Allow,
}

impl OnError {
    /// The answer to a pod whose sidecar could not be injected.
    pub fn answer(self, message: String) -> Response {
        match self {
            OnError::Deny => Response::deny(message),
            OnError::Allow => {
                let mut response = Response::allow();
                response.warnings.push(format!("injit: the sidecar was not injected: {message}"));
                response
            }
        }
    }
}

/// What happened to a request, for metrics and logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Not a pod being created: allowed untouched.
    Ignored,
    Skipped(&'static str),
    Injected,
    /// Injection failed (the reason's kind, for a metric label).
    Failed(&'static str),
}

impl Decision {
    pub fn label(&self) -> &'static str {
        match self {
            Decision::Ignored => "ignored",
            Decision::Skipped(_) => "skipped",
            Decision::Injected => "injected",
            Decision::Failed(_) => "failed",
        }
    }
}

fn skip_reason(skip: &Skip) -> &'static str {
    match skip {
        Skip::HostNetwork => "host_network",
        Skip::IgnoredNamespace(_) => "ignored_namespace",
        Skip::Disabled => "disabled",
        Skip::InvalidPolicy => "invalid_policy",
    }
}

/// Answers `request` (its URL path gives proxy environment overrides),
/// knowing nothing of the cluster (as istiod without a Kubernetes client:
/// no ProxyConfig resources, no namespaces, no nodes).
pub fn admit(injector: &Injector, request: &ReviewRequest, path: &str, on_error: OnError) -> (Response, Decision) {
    admit_in_cluster(injector, &ClusterState::default(), request, path, on_error)
}

/// `admit`, with what is known of the cluster: its ProxyConfig resources,
/// Namespaces and Nodes.
pub fn admit_in_cluster(
    injector: &Injector,
    cluster: &ClusterState,
    request: &ReviewRequest,
    path: &str,
    on_error: OnError,
) -> (Response, Decision) {
    admit_object(injector, cluster, request, request.object.clone(), path, on_error, Deadline::NONE)
}

/// `admit_in_cluster`, with the request's object handed over by the
/// caller (so that a large pod is not copied; `request.object` is not
/// read), giving up once `deadline` passes.
pub fn admit_object(
    injector: &Injector,
    cluster: &ClusterState,
    request: &ReviewRequest,
    object: Option<Value>,
    path: &str,
    on_error: OnError,
    deadline: Deadline,
) -> (Response, Decision) {
    if !request.is_pod_create() {
        return (Response::allow(), Decision::Ignored);
    }
    let pod_name = request.pod_name_in(object.as_ref());
    let name = || format!("{}/{pod_name}", request.namespace);
    let fail = |kind: &'static str, message: String| (on_error.answer(message), Decision::Failed(kind));
    let Some(Value::Object(mut object)) = object else {
        return fail("invalid_pod", "request.object is not a Pod object".to_owned());
    };
    // Metadata and spec are what injection reads and patches; a `null`
    // one decodes as empty, anything else as Go decodes it (`metadata:
    // "x"` is refused as Istio's decoding of the pod refuses it, not
    // patched as if it were empty).
    let mut parts = Map::new();
    for key in ["metadata", "spec"] {
        let part = object.remove(key).filter(|v| !v.is_null()).unwrap_or_else(|| Value::Object(Map::new()));
        parts.insert(key.to_owned(), part);
    }
    // The rest (`apiVersion`, `kind`, `status`) only has to decode.
    if let Err(e) = Typed::pod().check(&Value::Object(object)) {
        return fail("invalid_pod", format!("pod {}: {e}", name()));
    }
    let mut received = Value::Object(parts);
    if let Some(meta) = received.get_mut("metadata").and_then(Value::as_object_mut) {
        // Large, and no input to injection.
        meta.remove("managedFields");
        if meta.get("namespace").and_then(Value::as_str).is_none_or(str::is_empty) && !request.namespace.is_empty() {
            meta.insert("namespace".to_owned(), Value::String(request.namespace.clone()));
        }
    }
    let typed = if arrived_typed(&mut received, injector.options().pipeline) {
        None
    } else {
        match Typed::pod().normalize(&received) {
            Ok(t) if same_but_empty_fields(&mut received, &t) => None,
            Ok(t) => Some(t),
            Err(e) => return fail("invalid_pod", format!("pod {}: {e}", name())),
        }
    };
    let pod = typed.as_ref().unwrap_or(&received);
    let late = |_| fail("timeout", crate::in_time::late_message("running"));
    let rules = Rules::of(injector.config());
    let workload = Workload::of_pod(pod);
    let inject_request = InjectRequest::new(&workload, pod, Caller::Webhook)
        .rules(rules)
        .proxy_envs(crate::path_envs::parse(path))
        .typed(true)
        .deadline(deadline)
        .cluster(cluster);
    let mut rendered = Vec::new();
    let injected = match injector.inject_warned(&inject_request, &mut rendered) {
        Ok(Outcome::Injected(pod)) => pod,
        Ok(Outcome::Skipped(skip)) => return (Response::allow(), Decision::Skipped(skip_reason(&skip))),
        Err(e) => {
            let kind = match e.kind() {
                ErrorKind::Deadline => return late(()),
                ErrorKind::InvalidAnnotation => "invalid_annotation",
                ErrorKind::UntrustedString => "untrusted_string",
                ErrorKind::TemplateExec | ErrorKind::TemplateSyntax => "template",
                ErrorKind::RenderedYaml => "rendered_yaml",
                _ => "invalid_pod",
            };
            return fail(kind, format!("injecting the sidecar into pod {}: {e}", name()));
        }
    };
    let ops = match typed {
        None => patch::diff_until(&received, injected, deadline),
        Some(typed) => {
            // What injection changed, carried over to the pod as received.
            // The typed view is freed as soon as it is compared: a large
            // pod's peak memory is the copies alive at once.
            let changes = patch::diff_until(&typed, injected, deadline);
            drop(typed);
            let Ok(changes) = changes else { return late(()) };
            let mut desired = received.clone();
            if patch::apply_lenient_until(&mut desired, changes, deadline).is_err() {
                return late(());
            }
            patch::diff_until(&received, desired, deadline)
        }
    };
    let Ok(ops) = ops else { return late(()) };
    if ops.is_empty() {
        // Already injected, exactly so.
        return (Response::allow(), Decision::Injected);
    }
    // What kubectl shows the pod's author: the sidecar template rendered
    // something injection dropped or kept wrong.
    let warnings = rendered.into_iter().map(|w| format!("injit: the sidecar template: {w}")).collect();
    let kept = injector.kept_elements();
    let patch = patch::to_json_handing_over(ops, |path, value, out| write_added(&kept, path, value, out));
    (Response { allowed: true, patch: Some(patch), warnings, ..Response::default() }, Decision::Injected)
}

/// What an `add` operation at `path` adds to a pod list: an element
/// (`/spec/volumes/3`) or the whole list (`/spec/volumes`).
fn added_to(path: &str) -> Option<(&str, Added)> {
    let mut steps = path.split('/').skip(1);
    let (Some("spec"), Some(list)) = (steps.next(), steps.next()) else { return None };
    match (steps.next(), steps.next()) {
        (Some(_), None) => Some((list, Added::Element)),
        (None, _) => Some((list, Added::List)),
        _ => None,
    }
}

enum Added {
    Element,
    List,
}

/// Writes the value of an `add` at `path`, handed over once the patch
/// no longer needs it: copies of the kept elements the injector adds (the
/// proxy, its init containers and volumes) are written from their kept
/// text and taken back for the next pod (`KeptElements`), which saves
/// copying, writing and freeing them.
fn write_added(kept: &KeptElements, path: &str, value: Value, out: &mut Vec<u8>) {
    match (added_to(path), value) {
        (Some((list, Added::Element)), element) => kept.write_and_give_back(list, element, out),
        (Some((list, Added::List)), Value::Array(elements)) => {
            out.push(b'[');
            for (i, element) in elements.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                kept.write_and_give_back(list, element, out);
            }
            out.push(b']');
        }
        (_, value) => serde_json::to_writer(&mut *out, &value).expect("writing to a Vec cannot fail"),
    }
}

/// Whether the pod is as `corev1.Pod` encodes it already, but for the
/// empty `status` the API server's pod was sent with (and `received` was
/// stripped of): then `status: {}` is added, the pod serves as its own
/// typed view, and no copy of it is made — found by a walk that copies
/// nothing, which the reference pipeline does not take.
fn arrived_typed(received: &mut Value, pipeline: Pipeline) -> bool {
    let Value::Object(parts) = received else { return false };
    if pipeline == Pipeline::Reference || parts.contains_key("status") {
        return false;
    }
    parts.insert("status".to_owned(), Value::Object(Map::new()));
    let typed = Typed::pod().is_normalized(received);
    if !typed && let Value::Object(parts) = received {
        parts.remove("status");
    }
    typed
}

/// Whether the typed view of a pod is the pod as received but for empty
/// objects Go writes (the `status: {}` `received` leaves out), which are
/// then added to it. The API server sends pods as Go writes them: for
/// those, the pod itself serves as its typed view, one copy fewer is
/// alive while injecting, and the patch is simply the difference with
/// the injected pod.
fn same_but_empty_fields(received: &mut Value, typed: &Value) -> bool {
    let (Value::Object(r), Value::Object(t)) = (&*received, typed) else { return false };
    let same = r.keys().all(|k| t.contains_key(k))
        && t.iter().all(|(k, v)| match r.get(k) {
            Some(own) => own == v,
            None => v.as_object().is_some_and(Map::is_empty),
        });
    if same && let Value::Object(r) = received {
        for (k, v) in t {
            r.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    same
}

#[cfg(test)]
mod tests {
    use injit_inject::{Pipeline, Sources};
    use serde_json::json;

    use super::*;

    fn review(object: &Value) -> ReviewRequest {
        let review = json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "kind": {"kind": "Pod"}, "resource": {"resource": "pods"}, "operation": "CREATE",
                        "namespace": "default", "object": object},
        });
        ReviewRequest::parse(&serde_json::to_vec(&review).expect("JSON")).expect("a review")
    }

    /// What the template rendered that injection drops reaches kubectl's
    /// user as a warning naming the config line that wrote it.
    #[test]
    fn rendered_problems_are_answered_as_warnings() {
        let config = "policy: enabled\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        \
                      image: proxy\n        resources:\n        limits:\n          cpu: 100m\n";
        let sources =
            Sources { config: Some(injit_inject::ConfigSource::new("config.yaml", config)), ..Sources::default() };
        let injector = sources.build(Default::default()).expect("the config builds");
        let pod = json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": [
            {"name": "app", "image": "nginx"},
        ]}});
        let (response, decision) = admit(&injector, &review(&pod), "/inject", OnError::Deny);
        assert_eq!(decision, Decision::Injected, "{:?}", response.message);
        assert_eq!(
            response.warnings,
            ["injit: the sidecar template: config.yaml:9:9: template \"sidecar\": spec.containers[0].limits: \
              unknown field \"limits\", dropped as Istio drops it"]
        );
    }

    #[test]
    fn a_pod_as_go_writes_it_is_patched_like_any_other() {
        let injector = Sources::default().build(Default::default()).expect("the default config");
        let raw = json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": [
            {"name": "app", "image": "nginx", "readinessProbe": {"httpGet": {"port": 8080}}},
        ]}});
        // As the API server sends it: every field Go writes, `status` too.
        let typed = Typed::pod().normalize(&raw).expect("a pod");
        let mut parts = json!({"metadata": typed["metadata"].clone(), "spec": typed["spec"].clone()});
        assert!(same_but_empty_fields(&mut parts, &typed), "the pod serves as its own typed view");
        assert!(!same_but_empty_fields(&mut raw.clone(), &typed));
        let injected = [&raw, &typed].map(|object| {
            let (response, decision) = admit(&injector, &review(object), "/inject", OnError::Deny);
            assert_eq!(decision, Decision::Injected, "{:?}", response.message);
            let patch: json_patch::Patch = serde_json::from_slice(&response.patch.expect("a patch")).expect("a patch");
            let mut patched = object.clone();
            json_patch::patch(&mut patched, &patch).expect("the patch applies");
            Typed::pod().normalize(&patched).expect("a pod")
        });
        assert_eq!(injected[0], injected[1]);
    }

    /// `benches/sleep-review-sent.json` is the sleep pod as an API server
    /// sends it to webhooks (defaulted, the service account's volume
    /// mounted, every field Go writes): its pod must be exactly what Go
    /// writes, or the benchmarks that send it would pay for a typed view a
    /// real cluster's pods do not need.
    #[test]
    fn the_pod_an_api_server_sends_serves_as_its_own_typed_view() {
        let review: Value =
            serde_json::from_str(include_str!("../benches/sleep-review-sent.json")).expect("the review");
        let object = &review["request"]["object"];
        assert_eq!(&Typed::pod().normalize(object).expect("a pod"), object);
        let mut parts = json!({"metadata": object["metadata"].clone(), "spec": object["spec"].clone()});
        assert!(arrived_typed(&mut parts, Pipeline::Fast));
        assert!(!arrived_typed(&mut json!({"metadata": {}, "spec": {"containers": [{"name": "c"}]}}), Pipeline::Fast));
    }

    /// The proxy, init containers and volumes a patch added come back to
    /// the injector for the next pod (`write_added`): whatever the
    /// pods before it set in them, each pod's answer is the reference
    /// pipeline's, which keeps nothing from one pod to the next.
    #[test]
    fn elements_given_back_carry_nothing_to_the_next_pod() {
        use injit_inject::Options;
        let build = |pipeline| Sources::default().build(Options { pipeline, ..Options::default() }).expect("defaults");
        let (fast, reference) = (build(Pipeline::Fast), build(Pipeline::Reference));
        // Annotations that land in the proxy's or its init container's
        // one-line scalars, and none.
        let annotations = [
            json!({}),
            json!({"sidecar.istio.io/logLevel": "debug"}),
            json!({"sidecar.istio.io/componentLogLevel": "misc:error"}),
            json!({"sidecar.istio.io/agentLogLevel": "warn"}),
            json!({"traffic.sidecar.istio.io/excludeOutboundPorts": "9000"}),
            json!({"sidecar.istio.io/proxyImage": "example.com/proxy:1"}),
        ];
        for round in 0..3 * annotations.len() {
            let i = (round * 5) % annotations.len();
            let pod = json!({"metadata": {"name": format!("p{round}"), "namespace": "default",
                                          "annotations": annotations[i], "labels": {"app": format!("a{}", round % 4)}},
                             "spec": {"containers": [{"name": "app", "image": "nginx",
                                                      "ports": [{"containerPort": 8000 + round}]}]}});
            let pod = Typed::pod().normalize(&pod).expect("a pod");
            let request = review(&pod);
            let (answer, decision) = admit(&fast, &request, "/inject", OnError::Deny);
            assert_eq!(decision, Decision::Injected, "{:?}", answer.message);
            let (expected, _) = admit(&reference, &request, "/inject", OnError::Deny);
            assert_eq!(
                String::from_utf8(answer.patch.expect("a patch")),
                String::from_utf8(expected.patch.expect("a patch")),
                "round {round}: {}",
                annotations[i]
            );
        }
    }
}
