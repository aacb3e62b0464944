//! Hostile strings anywhere in a pod. For each Deployment of Istio's test
//! inputs under the default config, every string the pod's creator
//! controls (values, map keys, the keys and strings of JSON annotations,
//! the owner reference and the workload's names) is given a hostile
//! payload in turn: quotes, newlines, `: `, `- `, flow collections,
//! comments, anchors and aliases, document markers, U+2028. Through
//! `kube-inject` (manifest text in, YAML out) and through the webhook
//! (review in, JSON Patch applied), the result must be refused naming the
//! field, or equal the injection of the same pod with a neutral
//! placeholder of the same length in that string, everywhere but where
//! the string itself lands.

mod common;

use common::istio::{default_injector, default_inputs, read, review};

use injit_inject::object::yaml_documents;
use injit_inject::untrusted::Probe;
use injit_inject::{Injector, Workload, kube_inject};
use injit_webhook::{OnError, admit};
use serde_json::{Map, Value, json};

const PAYLOADS: [&str; 13] = [
    "\"\n  hostPID: true\n  x: \"",
    "\n- name: evil\n  image: evil",
    ": {privileged: true}",
    " # the rest is a comment",
    "', '--evil', '",
    "{a: b}",
    "&anchor x",
    "*anchor",
    "\u{2028}hostPID: true",
    "\\\"\n        privileged: true\n        y: \\\"",
    ",evil: 1]",
    "\r\nhostNetwork: true\r\n",
    "\n---\nkind: Pod\n",
];

/// Istio's test inputs that the default config injects: their
/// Deployments, by file.
fn deployments() -> Vec<(String, Value)> {
    let dir = common::data_dir().join("istio");
    let mut out = Vec::new();
    for input in default_inputs() {
        let Ok(docs) = yaml_documents(&read(&dir.join("testdata").join(&input))) else { continue };
        for doc in docs.into_iter().filter(|d| d["kind"] == "Deployment" && d["apiVersion"] == "apps/v1") {
            out.push((input.clone(), doc));
        }
    }
    out
}

/// A string the pod's creator controls.
#[derive(Clone, Debug)]
enum Place {
    /// The string at this JSON pointer.
    Value(String),
    /// A key of the object at this pointer.
    Key(String, String),
    /// Inside the JSON of the annotation at this pointer: the string at
    /// the inner pointer, or (with a key) a key of the object there.
    Json(String, String, Option<String>),
}

impl Place {
    /// The name a refusal must mention: the nearest key.
    fn name(&self) -> String {
        let last_key = |pointer: &str| {
            pointer
                .split('/')
                .rev()
                .find(|s| !s.is_empty() && s.parse::<usize>().is_err())
                .unwrap_or_default()
                .replace("~1", "/")
                .replace("~0", "~")
        };
        match self {
            Place::Value(p) => last_key(p),
            Place::Key(_, key) => key.clone(),
            Place::Json(p, _, _) => last_key(p),
        }
    }
}

fn pointer(path: &str, key: &str) -> String {
    format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Every string of `value` under `path`.
fn places(value: &Value, path: &str, annotations: bool, out: &mut Vec<Place>) {
    match value {
        Value::String(s) => {
            let json = (annotations && s.trim_start().starts_with('{'))
                .then(|| serde_json::from_str::<Value>(s).ok())
                .flatten()
                .filter(Value::is_object);
            match json {
                Some(inner) => json_places(&inner, path, "", out),
                None => out.push(Place::Value(path.to_owned())),
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                places(item, &format!("{path}/{i}"), false, out);
            }
        }
        Value::Object(map) => {
            let holds_annotations = path.ends_with("/metadata/annotations");
            for (key, item) in map {
                out.push(Place::Key(path.to_owned(), key.clone()));
                places(item, &pointer(path, key), holds_annotations, out);
            }
        }
        _ => {}
    }
}

fn json_places(value: &Value, annotation: &str, inner: &str, out: &mut Vec<Place>) {
    match value {
        Value::String(_) => out.push(Place::Json(annotation.to_owned(), inner.to_owned(), None)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                json_places(item, annotation, &format!("{inner}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                out.push(Place::Json(annotation.to_owned(), inner.to_owned(), Some(key.clone())));
                json_places(item, annotation, &pointer(inner, key), out);
            }
        }
        _ => {}
    }
}

fn rename_key(map: &mut Map<String, Value>, key: &str, new: String) {
    if let Some(v) = map.remove(key) {
        map.insert(new, v);
    }
}

/// `doc` with the string at `place` changed by `change`.
fn changed(doc: &Value, place: &Place, change: &dyn Fn(&str) -> String) -> Value {
    let mut doc = doc.clone();
    match place {
        Place::Value(p) => {
            let s = doc.pointer_mut(p).expect("the place exists");
            *s = Value::String(change(s.as_str().expect("a string")));
        }
        Place::Key(p, key) => {
            let map = doc.pointer_mut(p).and_then(Value::as_object_mut).expect("an object");
            rename_key(map, key, change(key));
        }
        Place::Json(p, inner, key) => {
            let s = doc.pointer_mut(p).expect("the annotation exists");
            let mut json: Value = serde_json::from_str(s.as_str().expect("a string")).expect("JSON");
            match key {
                None => {
                    let t = json.pointer_mut(inner).expect("the inner string");
                    *t = Value::String(change(t.as_str().expect("a string")));
                }
                Some(key) => {
                    let map = json.pointer_mut(inner).and_then(Value::as_object_mut).expect("an object");
                    rename_key(map, key, change(key));
                }
            }
            *s = Value::String(serde_json::to_string(&json).expect("JSON"));
        }
    }
    doc
}

/// The neutral placeholder of a payload: as long, and plain but for the
/// commas and spaces that separate the items of Istio's list annotations
/// (whose validation also limits the items' lengths).
fn neutral(payload: &str) -> String {
    payload.chars().map(|c| if c == ',' || c == ' ' { c } else { 'q' }).collect()
}

/// Where `hostile` differs from `placeholder` other than where the string
/// lands (a string of the placeholder's result holding the placeholder).
fn difference(hostile: &Value, placeholder: &Value, payload: &str, path: &mut String) -> Option<String> {
    let run = neutral(payload);
    let longest_run = run.split([',', ' ']).max_by_key(|r| r.len()).unwrap_or_default();
    if placeholder.as_str().is_some_and(|s| s.contains(&run) || s.contains(longest_run)) {
        return None;
    }
    match (hostile, placeholder) {
        (Value::Object(h), Value::Object(p)) => {
            if h.len() != p.len() {
                return Some(format!(
                    "{path} (keys {:?} vs {:?})",
                    h.keys().collect::<Vec<_>>(),
                    p.keys().collect::<Vec<_>>()
                ));
            }
            for (key, value) in h {
                let Some(other) = p.get(&key.replace(payload, &run)) else {
                    return Some(format!("{path}/{key}"));
                };
                let len = path.len();
                path.push('/');
                path.push_str(key);
                let found = difference(value, other, payload, path);
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (Value::Array(h), Value::Array(p)) if h.len() == p.len() => {
            for (i, (h, p)) in h.iter().zip(p).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                let found = difference(h, p, payload, path);
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        _ if hostile == placeholder => None,
        _ => Some(format!("{path}: {hostile} vs {placeholder}")),
    }
}

/// What a route made of a document.
#[derive(Debug)]
enum Result_ {
    Injected(Value),
    Refused(String),
}

fn through_kube_inject(injector: &Injector, deployment: &Value) -> Result_ {
    let text = serde_json::to_string_pretty(deployment).expect("JSON");
    match kube_inject(injector, "app.yaml", &text) {
        Ok(out) => {
            let docs = yaml_documents(&out.output).expect("kube-inject prints YAML");
            Result_::Injected(fold_separators(docs.into_iter().next().expect("a document")))
        }
        Err(e) => Result_::Refused(e.to_string()),
    }
}

/// kube-inject writes U+2028 and U+2029 as go-yaml does, as line breaks
/// followed by the indentation; YAML 1.1 readers (kubectl's) drop that
/// indentation again, but injit's reader, YAML 1.2 there, keeps it.
fn fold_separators(value: Value) -> Value {
    let fold = |s: &str| {
        let mut out = String::with_capacity(s.len());
        let mut after_break = false;
        for c in s.chars() {
            if after_break && c == ' ' {
                continue;
            }
            after_break = matches!(c, '\u{2028}' | '\u{2029}');
            out.push(c);
        }
        out
    };
    match value {
        Value::String(s) => Value::String(fold(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(fold_separators).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (fold(&k), fold_separators(v))).collect()),
        other => other,
    }
}

/// The pod a ReplicaSet of `deployment` creates.
fn replica_pod(deployment: &Value) -> Value {
    let name = deployment.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("app");
    let template = &deployment["spec"]["template"];
    let mut metadata = template["metadata"].clone();
    if !metadata.is_object() {
        metadata = json!({});
    }
    metadata["generateName"] = json!(format!("{name}-5d8c6b7f9-"));
    metadata["labels"]["pod-template-hash"] = json!("5d8c6b7f9");
    metadata["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "name": format!("{name}-5d8c6b7f9"), "controller": true, "uid": "1"}]);
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"].clone()})
}

fn through_webhook(injector: &Injector, pod: &Value) -> Result_ {
    let (response, _) = admit(injector, &review(pod, "default"), "/inject", OnError::Deny);
    if !response.allowed {
        return Result_::Refused(response.message.unwrap_or_default());
    }
    let mut patched = pod.clone();
    if let Some(patch) = &response.patch {
        let patch: json_patch::Patch = serde_json::from_slice(patch).expect("a JSON patch");
        json_patch::patch(&mut patched, &patch).expect("the patch applies");
    }
    Result_::Injected(patched)
}

/// Checks one hostile string on one route; `Err` says what is wrong.
fn check(route: &dyn Fn(&Value) -> Result_, doc: &Value, place: &Place, payload: &str) -> Result<bool, String> {
    let hostile = route(&changed(doc, place, &|s| format!("{s}{payload}")));
    let placeholder = route(&changed(doc, place, &|s| format!("{s}{}", neutral(payload))));
    match (hostile, placeholder) {
        // Refused for what the string is, hostile or not.
        (Result_::Refused(_), Result_::Refused(_)) => Ok(true),
        (Result_::Refused(message), _) => {
            let name = place.name();
            if message.contains(&name) || message.contains(&format!("{name:?}")) {
                Ok(true)
            } else {
                Err(format!("refused without naming {name:?}: {message}"))
            }
        }
        (Result_::Injected(_), Result_::Refused(e)) => Err(format!("injected, though the placeholder is refused: {e}")),
        (Result_::Injected(h), Result_::Injected(p)) => match difference(&h, &p, payload, &mut String::new()) {
            None => Ok(false),
            Some(at) => Err(format!("injected, and differs from the placeholder's pod at {at}")),
        },
    }
}

#[test]
fn hostile_strings_change_only_their_own_fields_or_are_refused_by_name() {
    let injector = default_injector();
    let mut failures = Vec::new();
    let (mut checked, mut refused) = (0, 0);
    let mut payload_index = 0;
    let (mut deployments_seen, mut probed) = (0, 0);
    for (input, deployment) in deployments() {
        // How many of Istio's inputs pay for a second injection as they
        // are (a figure for docs/security.md).
        let pod = replica_pod(&deployment);
        let parts = json!({"metadata": pod["metadata"].clone(), "spec": pod["spec"].clone()});
        deployments_seen += 1;
        probed += usize::from(Probe::of(&parts, &Workload::of_pod(&parts)).is_some());
        // Through kube-inject: the pod template, and the Deployment's own
        // names (the workload).
        let mut kube_places = Vec::new();
        places(&deployment["spec"]["template"], "/spec/template", false, &mut kube_places);
        kube_places.push(Place::Value("/metadata/name".to_owned()));
        let kube = |doc: &Value| through_kube_inject(&injector, doc);
        // Through the webhook: the pod a ReplicaSet creates, its owner
        // reference included.
        let mut pod_places = Vec::new();
        places(&pod["metadata"], "/metadata", false, &mut pod_places);
        places(&pod["spec"], "/spec", false, &mut pod_places);
        let hook = |doc: &Value| through_webhook(&injector, doc);
        for (route, doc, list) in
            [(&kube as &dyn Fn(&Value) -> Result_, &deployment, &kube_places), (&hook, &pod, &pod_places)]
        {
            if let Result_::Refused(_) = route(doc) {
                // Istio's inputs for its error cases: refused whatever
                // the strings hold.
                continue;
            }
            for place in list {
                // Each place gets the next payload: every payload meets
                // every kind of place across the inputs.
                let payload = PAYLOADS[payload_index % PAYLOADS.len()];
                payload_index += 1;
                match check(route, doc, place, payload) {
                    Ok(was_refused) => refused += usize::from(was_refused),
                    Err(e) => failures.push(format!("{input} {place:?} += {payload:?}: {e}")),
                }
                checked += 1;
            }
        }
    }
    eprintln!("{checked} hostile strings: {refused} refused, the rest injected as the placeholder is");
    eprintln!("{probed} of {deployments_seen} of Istio's Deployments are probed as they are");
    assert!(failures.is_empty(), "{} of {checked} hostile strings:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 1500, "only {checked} places checked");
    assert!(refused > 100 && refused < checked, "{refused} of {checked} refused");
}

/// The two routes the hardening issue reproduced, each payload on each:
/// keys of the `userVolume`/`userVolumeMount` JSON (printed as
/// `- name: "{{ $index }}"`) and an owner reference's apiVersion (printed
/// unquoted into `ISTIO_META_OWNER`).
#[test]
fn the_reported_routes_are_closed() {
    let injector = default_injector();
    let deployment = deployments()
        .into_iter()
        .find(|(input, _)| input == "user-volume.yaml")
        .map(|(_, d)| d)
        .expect("Istio's user-volume input");
    let annotations = "/spec/template/metadata/annotations";
    let volume = pointer(annotations, "sidecar.istio.io/userVolume");
    let mount = pointer(annotations, "sidecar.istio.io/userVolumeMount");
    let first_key = |p: &str| {
        let json: Value = serde_json::from_str(deployment.pointer(p).unwrap().as_str().unwrap()).unwrap();
        json.as_object().unwrap().keys().next().unwrap().clone()
    };
    let kube = |doc: &Value| through_kube_inject(&injector, doc);
    let hook = |doc: &Value| through_webhook(&injector, doc);
    let pod = replica_pod(&deployment);
    let mut failures = Vec::new();
    for payload in PAYLOADS {
        for p in [&volume, &mount] {
            let place = Place::Json(p.clone(), String::new(), Some(first_key(p)));
            if let Err(e) = check(&kube, &deployment, &place, payload) {
                failures.push(format!("kube-inject {place:?} += {payload:?}: {e}"));
            }
            let place = Place::Json(p.replace("/spec/template", ""), String::new(), Some(first_key(p)));
            if let Err(e) = check(&hook, &pod, &place, payload) {
                failures.push(format!("webhook {place:?} += {payload:?}: {e}"));
            }
        }
        let owner = Place::Value("/metadata/ownerReferences/0/apiVersion".to_owned());
        if let Err(e) = check(&hook, &pod, &owner, payload) {
            failures.push(format!("webhook {owner:?} += {payload:?}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The issue's own key: it added `hostPID: true` and a service account.
    let key = "x\"\n    emptyDir: {}\n  hostPID: true\n  serviceAccountName: istiod\n  readinessGates:\n  - name: \"y";
    let place = Place::Json(volume.replace("/spec/template", ""), String::new(), Some(first_key(&volume)));
    let attack = changed(&pod, &place, &|_| key.to_owned());
    match through_webhook(&injector, &attack) {
        Result_::Refused(message) => assert!(message.contains("sidecar.istio.io/userVolume"), "{message}"),
        Result_::Injected(pod) => panic!("injected: {pod}"),
    }
}
