//! The in-place typed round trip the injector merges with gives exactly
//! what the encoder-based round trip gives, on every object of Istio's
//! test inputs and goldens (as the object's own kind, and its pod as a
//! Pod), and on the same with fields mangled.

mod common;

use injit_inject::manifest::{objects, pod_template};
use injit_inject::typed::Typed;
use serde_json::{Value, json};

fn kind_type(kind: &str) -> Option<Typed> {
    Some(Typed::named(match kind {
        "Pod" => "corev1.Pod",
        "Deployment" => "appsv1.Deployment",
        "StatefulSet" => "appsv1.StatefulSet",
        "DaemonSet" => "appsv1.DaemonSet",
        "ReplicaSet" => "appsv1.ReplicaSet",
        "Job" => "batchv1.Job",
        "CronJob" => "batchv1.CronJob",
        "ReplicationController" => "corev1.ReplicationController",
        _ => return None,
    }))
}

fn same(t: Typed, value: &Value, what: &str) -> bool {
    let by_encoder = t.normalize(value);
    let in_place = t.normalize_owned(value.clone());
    assert_eq!(in_place, by_encoder, "{what}");
    by_encoder.is_ok()
}

/// Variations the injector meets: nulls, empty collections, numbers where
/// strings go and back, unknown keys.
fn mangled(pod: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut a = pod.clone();
    a["spec"]["unknownField"] = json!({"x": 1});
    a["spec"]["volumes"] = json!([]);
    a["metadata"]["annotations"] = json!(null);
    out.push(a);
    let mut b = pod.clone();
    if let Some(c) = b.pointer_mut("/spec/containers/0") {
        c["resources"] = json!({"limits": {"cpu": 2, "memory": "1Gi"}, "requests": {"cpu": "100m"}});
        c["ports"] = json!([{"containerPort": 80, "protocol": null}]);
        c["securityContext"] = json!({"runAsUser": 1337, "privileged": false});
        c["readinessProbe"] = json!({"httpGet": {"port": "http"}, "periodSeconds": 0});
    }
    b["spec"]["terminationGracePeriodSeconds"] = json!(30);
    out.push(b);
    out
}

#[test]
fn in_place_normalisation_matches_the_encoder() {
    let dir = common::data_dir().join("istio").join("testdata");
    let (mut checked, mut files) = (0, 0);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut paths: Vec<_> = entries.map(|e| e.expect("a directory entry").path()).collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        files += 1;
        let objects = objects(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        for object in objects {
            let what = format!("{}: {} {}", path.display(), object.kind(), object.name());
            if let Some(t) = kind_type(object.kind()) {
                same(t, &object.value, &what);
            }
            let Some(template) = pod_template(&object.value) else { continue };
            let pod = json!({"metadata": template.metadata, "spec": template.spec});
            if same(Typed::pod(), &pod, &what) {
                checked += 1;
            }
            for variant in mangled(&pod) {
                same(Typed::pod(), &variant, &format!("{what} (mangled)"));
            }
        }
    }
    // Every input and golden read, and every pod among them normalised
    // (a pod Go's types refuse counts as unchecked).
    assert_eq!((files, checked), (228, 222), "Istio's files read, and the pods among them normalised");
}
