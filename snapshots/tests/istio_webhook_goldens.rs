//! The webhook against Istio's own goldens: every row of `istio/cases.tsv`
//! whose `webhook` column is `semantic`, run as Istio's `TestInjection` /
//! `TestInjectionOlderVersion` run their webhook sub-test
//! (`runWebhook` in `pkg/kube/inject/inject_test.go`):
//!
//! - the input and the golden are split on `"\n---"` and `List`s expanded
//!   (`splitYamlFile`); each injectable document is decoded as its Go type
//!   (`FromRawToObject`) and made a pod (`objectToPod`: a controller owner
//!   reference and `generateName`; a Deployment's pod is its fake
//!   ReplicaSet's, with `pod-template-hash: fake`);
//! - the pod, as `json.Marshal` writes it, is admitted through the real
//!   webhook entry point (`injit_webhook::admit_in_cluster`) in the
//!   namespace of the input object, under the row's configuration
//!   (`configs/<config>/`: config, values, mesh, and `env.yaml`'s
//!   `ENABLE_NATIVE_SIDECARS`, platform, compliance policy and the
//!   webhook's revision `default`), with the test's fake cluster
//!   (`env.yaml`'s nodes and namespaces: `test-ns` with OpenShift's UID
//!   range, nodes at 1.33 and 1.34, or 1.33 and 1.28 for
//!   `TestInjectionOlderVersion`);
//! - the JSON Patch is applied (no patch: the pod as it was), the result
//!   decoded as a `corev1.Pod`, and `json.Marshal` of it must equal that of
//!   the golden's pod, after `normalizeAndCompareDeployments`: the
//!   `sidecar.istio.io/status` annotation deleted on both sides,
//!   `fieldRef.apiVersion` blanked in the patched pod's containers, every
//!   `ISTIO_METAJSON_*` value a JSON object of strings; then again without
//!   `ISTIO_METAJSON_ANNOTATIONS` (Istio's "idempotency" sub-test).
//!
//! The rows Istio expects to fail (kube-inject errors, which Istio does not
//! run through the webhook) must be refused by the webhook with the same
//! message.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::istio::{read, review};
use common::istio_configs::{
    cluster_state, config_dir, config_sources, enable_native_sidecars, env_setting, openshift, webhook_revision,
};

use injit_compiler::Backend;
use injit_inject::manifest::parse_document;
use injit_inject::typed::Typed;
use injit_inject::{Caller, ClusterState, Injector, Options};
use injit_webhook::{Decision, OnError, admit_in_cluster};
use serde_json::{Value, json};

/// A row where injit's webhook gives another pod than Istio's golden.
struct Known {
    golden: &'static str,
    why: &'static str,
    /// The JSON pointers (in the pod of the row's only document) where it
    /// differs, all of them, in order (in groups).
    at: &'static [&'static [&'static str]],
}

/// Every known difference. Any other difference fails the test, and so
/// does one of these rows becoming equal or differing elsewhere.
const KNOWN_DIFFERENT: &[Known] = &[Known {
    golden: "merge-probers.yaml.injected",
    // As in kube_inject.rs's DEVIATIONS: the input was injected by an
    // older Istio; Istio takes that stale `istio-proxy` for a user's
    // customisation and keeps its old arguments, metadata and probe,
    // injit knows the status annotation lists it as injected.
    why: "a previously injected sidecar is replaced, not kept as a user override (as kube-inject's deviation)",
    at: &[&[
        "/spec/initContainers/1/args",
        "/spec/initContainers/1/env/10/value",
        "/spec/initContainers/1/env/11/value",
        "/spec/initContainers/1/readinessProbe/failureThreshold",
        "/spec/initContainers/1/readinessProbe/initialDelaySeconds",
        "/spec/initContainers/1/readinessProbe/periodSeconds",
    ]],
}];

/// How many of Istio's webhook rows are `semantic`.
const SEMANTIC_ROWS: usize = 127;

/// A row of `cases.tsv`, by column name.
struct Row(BTreeMap<String, String>);

impl Row {
    fn get(&self, column: &str) -> &str {
        self.0.get(column).unwrap_or_else(|| panic!("cases.tsv has no column {column}"))
    }
}

fn istio_dir() -> PathBuf {
    common::data_dir().join("istio")
}

fn rows() -> Vec<Row> {
    let text = read(&istio_dir().join("cases.tsv"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split('\t').collect();
    lines
        .map(|line| {
            let fields = line.split('\t').map(str::to_owned);
            Row(header.iter().map(|h| (*h).to_owned()).zip(fields.chain(std::iter::repeat(String::new()))).collect())
        })
        .collect()
}

/// istiod under configuration `config`: its injector, and the fake
/// cluster its test gives it.
struct Webhook {
    injector: Injector,
    cluster: ClusterState,
}

/// The webhook istiod runs with configuration `config`.
fn webhook(config: &str) -> Webhook {
    let dir = config_dir(config);
    let options = Options {
        revision: webhook_revision(&dir),
        native_sidecars: enable_native_sidecars(&dir),
        openshift: openshift(&dir),
        compliance_policy: env_setting(&dir, "compliancePolicy"),
        backend: Backend::Jit,
        ..Options::default()
    };
    let injector =
        config_sources(&dir).build_checked(options, Caller::Webhook).unwrap_or_else(|e| panic!("config {config}: {e}"));
    common::assert_backends(&injector, Backend::Jit, config);
    Webhook { injector, cluster: cluster_state(&dir) }
}

/// The Go type `FromRawToObject` decodes a kind into (Istio registers
/// them as unversioned types too, so the kind alone decides).
fn go_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "corev1.Pod",
        "ReplicationController" => "corev1.ReplicationController",
        "Deployment" => "appsv1.Deployment",
        "DaemonSet" => "appsv1.DaemonSet",
        "ReplicaSet" => "appsv1.ReplicaSet",
        "StatefulSet" => "appsv1.StatefulSet",
        "Job" => "batchv1.Job",
        "CronJob" => "batchv1.CronJob",
        "DeploymentConfig" => "openshiftappsv1.DeploymentConfig",
        _ => return None,
    })
}

/// `splitYamlFile`: the injectable documents of a manifest, `List` items
/// expanded.
fn injectable_documents(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for part in text.split("\n---") {
        let doc = parse_document(part).unwrap_or_else(|e| panic!("line {}: {}", e.line, e.message));
        push_injectable(doc, &mut out);
    }
    out
}

fn push_injectable(doc: Value, out: &mut Vec<Value>) {
    match doc.get("kind").and_then(Value::as_str) {
        Some("List") => {
            for item in doc.get("items").and_then(Value::as_array).into_iter().flatten() {
                push_injectable(item.clone(), out);
            }
        }
        Some(kind) if go_type(kind).is_some() => out.push(doc),
        _ => {}
    }
}

/// `simulateOwnerRef`.
fn owned(mut meta: Value, name: &str, api_version: &str, kind: &str) -> Value {
    if !meta.is_object() {
        meta = json!({});
    }
    meta["generateName"] = json!(name);
    meta["ownerReferences"] = json!([{"apiVersion": api_version, "kind": kind, "name": name, "controller": true}]);
    meta
}

/// `FromRawToObject` then `objectToPod`, written as `json.Marshal` writes
/// a `corev1.Pod`.
fn object_to_pod(mut doc: Value) -> Value {
    let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
    Typed::named(go_type(&kind).expect("an injectable kind"))
        .decode_yaml(&mut doc)
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_owned();
    let template = |path: &str| doc.pointer(path).cloned().unwrap_or(Value::Null);
    let pod = match kind.as_str() {
        "Pod" => doc.clone(),
        "Deployment" => {
            let rs = format!("{name}-fake");
            let mut meta = owned(template("/spec/template/metadata"), &rs, "apps/v1", "ReplicaSet");
            meta["generateName"] = json!(format!("{rs}-"));
            if !meta["labels"].is_object() {
                meta["labels"] = json!({});
            }
            meta["labels"]["pod-template-hash"] = json!("fake");
            json!({"metadata": meta, "spec": template("/spec/template/spec")})
        }
        "CronJob" => json!({
            "metadata": owned(template("/spec/jobTemplate/spec/template/metadata"), &name, &api_version, &kind),
            "spec": template("/spec/jobTemplate/spec/template/spec"),
        }),
        _ => json!({
            "metadata": owned(template("/spec/template/metadata"), &name, &api_version, &kind),
            "spec": template("/spec/template/spec"),
        }),
    };
    Typed::pod().normalize(&pod).unwrap_or_else(|e| panic!("{kind} {name}: {e}"))
}

/// `normalizeAndCompareDeployments`' scrubbing, on one side.
fn scrub(pod: &mut Value, patched: bool, without_metajson_annotations: bool) -> Result<(), String> {
    if let Some(annotations) = pod.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
        annotations.remove("sidecar.istio.io/status");
    }
    let containers = pod.pointer_mut("/spec/containers").and_then(Value::as_array_mut);
    for container in containers.into_iter().flatten() {
        let Some(env) = container.get_mut("env").and_then(Value::as_array_mut) else { continue };
        for var in env.iter_mut() {
            if patched && let Some(field_ref) = var.pointer_mut("/valueFrom/fieldRef").and_then(Value::as_object_mut) {
                field_ref.remove("apiVersion");
            }
            let name = var["name"].as_str().unwrap_or_default();
            if patched && name.starts_with("ISTIO_METAJSON_") {
                let value = var["value"].as_str().unwrap_or_default();
                serde_json::from_str::<BTreeMap<String, String>>(value)
                    .map_err(|e| format!("{name} is not a JSON object of strings ({e}): {value}"))?;
            }
        }
        if without_metajson_annotations
            && let Some(i) = env.iter().position(|v| v["name"] == "ISTIO_METAJSON_ANNOTATIONS")
        {
            env.remove(i);
        }
    }
    Ok(())
}

/// `json.Marshal` of the pod, scrubbed.
fn compared(pod: &Value, patched: bool, without_metajson_annotations: bool) -> Result<String, String> {
    let mut pod = pod.clone();
    scrub(&mut pod, patched, without_metajson_annotations)?;
    Typed::pod().to_json(&pod)
}

/// What the webhook does with one document: the pod it lets through.
fn admitted(webhook: &Webhook, input: &Value) -> Result<Value, String> {
    let namespace = input.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
    let pod = object_to_pod(input.clone());
    let (response, decision) =
        admit_in_cluster(&webhook.injector, &webhook.cluster, &review(&pod, namespace), "/inject", OnError::Deny);
    if !response.allowed {
        return Err(format!("refused ({decision:?}): {}", response.message.unwrap_or_default()));
    }
    let Some(patch) = response.patch else { return Ok(pod) };
    assert!(matches!(decision, Decision::Injected), "a patch with {decision:?}");
    let patch: json_patch::Patch = serde_json::from_slice(&patch).map_err(|e| format!("not a JSON Patch: {e}"))?;
    let mut patched = pod;
    json_patch::patch(&mut patched, &patch).map_err(|e| format!("the patch does not apply: {e}"))?;
    Typed::pod().normalize(&patched).map_err(|e| format!("the patched pod does not decode: {e}"))
}

/// Why a row is not equal to Istio's golden.
#[derive(Debug)]
enum Mismatch {
    /// The webhook refused the pod, its patch did not apply, or the
    /// documents do not pair up.
    Failed(String),
    /// Document `doc` differs at these JSON pointers (with both values).
    Differs { doc: usize, at: Vec<(String, String)> },
}

impl Mismatch {
    fn describe(&self) -> String {
        match self {
            Mismatch::Failed(e) => e.clone(),
            Mismatch::Differs { doc, at } => {
                let lines: Vec<String> = at.iter().map(|(p, values)| format!("{p}: {values}")).collect();
                format!("document {doc} differs from the golden at:\n  {}", lines.join("\n  "))
            }
        }
    }
}

/// Runs one semantic row: `Ok` when every document equals the golden's.
fn run_row(webhook: &Webhook, input: &str, golden: &str) -> Result<(), Mismatch> {
    let testdata = istio_dir().join("testdata");
    let inputs = injectable_documents(&read(&testdata.join(input)));
    let wants = injectable_documents(&read(&testdata.join(golden)));
    if inputs.is_empty() || inputs.len() != wants.len() {
        let counts = format!("{} injectable documents in the input, {} in the golden", inputs.len(), wants.len());
        return Err(Mismatch::Failed(counts));
    }
    for (doc, (input, want)) in inputs.iter().zip(wants).enumerate() {
        let failed = |e: String| Mismatch::Failed(format!("document {doc}: {e}"));
        let got = admitted(webhook, input).map_err(failed)?;
        let want = object_to_pod(want);
        for without_metajson_annotations in [false, true] {
            let got = compared(&got, true, without_metajson_annotations).map_err(failed)?;
            let want = compared(&want, false, without_metajson_annotations).map_err(failed)?;
            if got != want {
                let mut at = Vec::new();
                differences(&parse(&got), &parse(&want), String::new(), &mut at);
                return Err(Mismatch::Differs { doc, at });
            }
        }
    }
    Ok(())
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).expect("JSON")
}

/// The JSON pointers where `got` and `want` differ, with both values.
fn differences(got: &Value, want: &Value, at: String, out: &mut Vec<(String, String)>) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            let keys: std::collections::BTreeSet<&String> = g.keys().chain(w.keys()).collect();
            for key in keys {
                let (g, w) = (g.get(key).unwrap_or(&Value::Null), w.get(key).unwrap_or(&Value::Null));
                differences(g, w, format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (g, w)) in g.iter().zip(w).enumerate() {
                differences(g, w, format!("{at}/{i}"), out);
            }
        }
        _ if got != want => out.push((at, format!("got {}, want {}", short(got), short(want)))),
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(160) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

#[test]
fn every_semantic_webhook_row_against_istios_golden() {
    let mut webhooks: BTreeMap<String, Webhook> = BTreeMap::new();
    let (mut equal, mut known, mut failures) = (0, 0, Vec::new());
    let semantic: Vec<Row> = rows().into_iter().filter(|r| r.get("webhook") == "semantic").collect();
    assert_eq!(semantic.len(), SEMANTIC_ROWS, "semantic webhook rows in cases.tsv");
    for row in &semantic {
        let (config, golden) = (row.get("config"), row.get("golden"));
        let webhook = webhooks.entry(config.to_owned()).or_insert_with(|| webhook(config));
        let label = format!("{golden} [{config}]");
        let result = run_row(webhook, row.get("input"), golden);
        match (result, KNOWN_DIFFERENT.iter().find(|k| k.golden == golden)) {
            (Ok(()), None) => equal += 1,
            (Ok(()), Some(_)) => {
                failures.push(format!("{label}: now equal to Istio's golden; drop it from KNOWN_DIFFERENT"))
            }
            (Err(Mismatch::Differs { doc: 0, at }), Some(k))
                if at.iter().map(|(p, _)| p.as_str()).eq(k.at.iter().flat_map(|g| g.iter().copied())) =>
            {
                println!("known different: {label}: {}", k.why);
                known += 1;
            }
            (Err(m), Some(k)) => {
                failures.push(format!("{label}: expected to differ at {:?} only; {}", k.at.concat(), m.describe()))
            }
            (Err(m), None) => failures.push(format!("{label}: {}", m.describe())),
        }
    }
    println!("webhook: {equal}/{} equal to Istio's goldens", semantic.len());
    assert!(failures.is_empty(), "{} rows not as expected:\n{}", failures.len(), failures.join("\n\n"));
    assert_eq!(known, KNOWN_DIFFERENT.len());
    assert_eq!(equal, SEMANTIC_ROWS - KNOWN_DIFFERENT.len());
}

/// The rows Istio expects to fail (it runs them through kube-inject only):
/// the webhook refuses each pod with the same message.
#[test]
fn error_rows_are_refused_with_istios_message() {
    let rows: Vec<Row> = rows().into_iter().filter(|r| !r.get("expected_error").is_empty()).collect();
    assert_eq!(rows.len(), 5, "error rows in cases.tsv");
    for row in rows {
        let webhook = webhook(row.get("config"));
        let input = read(&istio_dir().join("testdata").join(row.get("input")));
        let docs = injectable_documents(&input);
        assert!(!docs.is_empty(), "{}: no injectable document", row.get("input"));
        let expected = row.get("expected_error");
        let refusals: Vec<String> = docs.iter().filter_map(|d| admitted(&webhook, d).err()).collect();
        assert!(
            refusals.iter().any(|e| e.to_lowercase().contains(expected)),
            "{}: expected a refusal containing {expected:?}, got {refusals:?}",
            row.get("input")
        );
    }
}
