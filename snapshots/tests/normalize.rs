//! The in-place typed round trip the injector merges with gives exactly
//! what the encoder-based round trip gives, on every object of Istio's
//! test inputs and goldens (as the object's own kind, and its pod as a
//! Pod), and on the same with fields mangled; the check that a value needs
//! no round trip agrees with both; and the round trip of only what a merge
//! reached gives what the round trip of the whole gives.

mod common;

use common::mix::Mix;
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

/// Both round trips agree, and [`Typed::is_normalized`] says whether
/// they change `value`, and holds of what they give.
fn same(t: Typed, value: &Value, what: &str) -> bool {
    let by_encoder = t.normalize(value);
    let in_place = t.normalize_owned(value.clone());
    assert_eq!(in_place, by_encoder, "{what}");
    assert_eq!(t.is_normalized(value), by_encoder.as_ref() == Ok(value), "{what}: is_normalized");
    if let Ok(normalized) = &by_encoder {
        assert!(t.is_normalized(normalized), "{what}: is_normalized of the normalized value");
    }
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

/// Every JSON pointer into `value`, objects' keys and arrays' items alike.
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(m) => m.iter().for_each(|(k, v)| {
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            out.push(p.clone());
            pointers(v, &p, out);
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            let p = format!("{at}/{i}");
            out.push(p.clone());
            pointers(v, &p, out);
        }),
        _ => {}
    }
}

/// `overlay` with one change of the kinds a template can render: a value
/// deleted (`null`), emptied, retyped, an unknown key, a directive, a list
/// element duplicated or renamed after one of `base`'s containers.
fn mutated(overlay: &Value, base: &Value, mix: &mut Mix) -> Value {
    let mut out = overlay.clone();
    let mut at = Vec::new();
    pointers(&out, "", &mut at);
    let Some(pointer) = at.get(mix.below(at.len())).cloned() else { return out };
    let base_container = base.pointer("/spec/containers/0/name").cloned().unwrap_or(json!("app"));
    let target = out.pointer_mut(&pointer).expect("a pointer just listed");
    match mix.below(10) {
        0 => *target = Value::Null,
        1 => *target = if target.is_array() { json!([]) } else { json!({}) },
        2 => *target = json!("7"),
        3 => *target = json!(7),
        4 => {
            if let Value::Object(m) = target {
                m.insert("notAField".into(), json!({"x": [1]}));
            }
        }
        5 => {
            if let Value::Object(m) = target {
                m.insert("$patch".into(), json!("replace"));
            }
        }
        6 => {
            if let Value::Array(items) = target
                && let Some(first) = items.first().cloned()
            {
                items.push(first);
            }
        }
        7 => {
            if let Some(m) = target.as_object_mut().filter(|m| m.contains_key("name")) {
                m.insert("name".into(), base_container);
            }
        }
        8 => {
            if let Value::Array(items) = target {
                items.insert(0, json!({"$patch": "delete", "name": base_container}));
            }
        }
        _ => *target = json!(true),
    }
    out
}

/// The round trip of only what an overlay reached (the injector's, after
/// each merge into a typed pod) equals the round trip of the whole merged
/// pod, errors included, and decoding alone fails as both do: for every overlay the sidecar templates of
/// Istio's 30 test configurations render for its inputs, merged into every
/// pod of Istio's test inputs, and for the same overlays mutated 20,000
/// times (`patched_merges`).
#[test]
fn patched_normalisation_matches_the_whole() {
    let overlays = common::overlays::rendered_overlays();
    let bases = common::overlays::typed_pods();
    let mut mix = Mix(25);
    let (mut compared, mut failed) = (0, 0);
    let mut compare = |base: &Value, overlay: &Value, what: &dyn Fn() -> String| {
        let mut merged = base.clone();
        injit_inject::merge::merge(&mut merged, overlay);
        let whole = Typed::pod().normalize_owned(merged.clone());
        // Decoding alone fails as the round trip does (what the injector
        // does to the pod it reads only the names of).
        assert_eq!(Typed::pod().check(&merged).err(), whole.as_ref().err().cloned(), "{}: check", what());
        let patched = Typed::pod().normalize_patched(&mut merged, overlay).map(|()| merged);
        assert_eq!(patched, whole, "{}", what());
        compared += 1;
        failed += usize::from(whole.is_err());
    };
    for (i, (name, overlay)) in overlays.iter().enumerate() {
        // Every overlay into a few pods, and every pod under a few
        // overlays, unchanged.
        for (j, (pod, base)) in bases.iter().enumerate() {
            if (i + j) % 17 == 0 {
                compare(base, overlay, &|| format!("{name} into {pod}"));
            }
        }
    }
    for round in 0..20_000 {
        let (name, overlay) = &overlays[mix.below(overlays.len())];
        let (pod, base) = &bases[mix.below(bases.len())];
        let mut changed = mutated(overlay, base, &mut mix);
        for _ in 0..mix.below(3) {
            changed = mutated(&changed, base, &mut mix);
        }
        compare(base, &changed, &|| format!("round {round}: {name}, mutated, into {pod}: {changed}"));
    }
    assert!(
        compared > 20_900 && (100..compared / 2).contains(&failed),
        "{compared} merges compared, {failed} refused by the types"
    );
}

/// A pod as Go encodes it with one number replaced by one the encoder
/// writes as it is but a decoder may refuse (beyond `int32`, `uint8`,
/// negative, a fraction): [`Typed::is_normalized`], one walk, says the
/// pod needs no round trip exactly when the round trip succeeds and
/// leaves it as it is. Every number of every pod of Istio's test inputs.
#[test]
fn a_pod_with_a_number_its_types_refuse_is_not_taken_as_normalized() {
    let replacements =
        [json!(2_147_483_648_i64), json!(-1), json!(256), json!(1.5), json!(9_223_372_036_854_775_807_i64)];
    let (mut compared, mut refused) = (0, 0);
    for (name, pod) in common::overlays::typed_pods() {
        assert!(Typed::pod().is_normalized(&pod), "{name}: normalized");
        let mut at = Vec::new();
        pointers(&pod, "", &mut at);
        for pointer in at.iter().filter(|p| pod.pointer(p).is_some_and(Value::is_number)) {
            for replacement in &replacements {
                let mut changed = pod.clone();
                *changed.pointer_mut(pointer).expect("a pointer just listed") = replacement.clone();
                let whole = Typed::pod().normalize(&changed);
                let unchanged = whole.as_ref() == Ok(&changed);
                assert_eq!(Typed::pod().is_normalized(&changed), unchanged, "{name}: {pointer} = {replacement}");
                compared += 1;
                refused += usize::from(whole.is_err());
            }
        }
    }
    assert!(compared > 1000 && refused > 100, "{compared} numbers replaced, {refused} refused by the types");
}
