//! A template's last render, kept per template form so that the next one
//! costs what differs: read as YAML ([`LastRead`], to read the next render
//! from), and, when the template comes first, the template pod its overlay
//! made of an empty pod (to make the next one from).
//!
//! The template pod is the overlay merged into an empty `corev1.Pod`, kept
//! only when decoding it succeeded. When the merge moves none of the
//! overlay's scalars (no directive, no repeated merge key, no `null` but
//! map entries, which it drops: `merge::keeps_places`), each lands where
//! it stands in the overlay. A render that differs in
//! scalars alone then makes the kept pod with those scalars in their
//! place, and it decodes if each of them decodes where it lands; so the
//! pod is made without merging or decoding it whole. A changed merge key,
//! a `null`, or a scalar that does not decode there leaves the pod to the
//! merge, which also gives the error.
//!
//! The elements of the lists a template adds whole (`NEW_ELEMENT_LISTS`:
//! the proxy, its init containers, its volumes) are kept round-tripped as
//! well. An overlay read from the render leaves those lists out when its
//! changed scalars are kept in place there, and a pod to which the
//! elements are all new takes them ready, without the lists being copied,
//! merged or decoded; elsewhere the injector puts a list back.
//!
//! Each element is a `KeptElement` (`kept_element.rs`): the copies the
//! webhook's patches add are written from its kept text and taken back as
//! spares, which the next render takes instead of copying it again.

use std::sync::{Arc, OnceLock};

use injit_runtime::encoding::json::check::PathStep;
use injit_runtime::encoding::json::normalize::is_zero_scalar;
use injit_runtime::types::GoType;
use serde_json::{Map, Value};

use crate::json_pointer::Pointer;
use crate::kept_element::KeptElement;
use crate::merge;
use crate::typed::Typed;
use crate::unknown_fields::unknown_fields;
use crate::yaml::LastRead;

/// A render of one template form, kept.
#[derive(Debug)]
pub(crate) struct KeptRender {
    pub(crate) read: LastRead,
    /// The template pod the render's own overlay makes of an empty pod,
    /// if the merge keeps its scalars' places and it decodes; made when
    /// first asked for.
    template_pod: OnceLock<Option<Arc<Value>>>,
    /// Whether its overlay has only fields the pod's types have (as has
    /// any overlay read from it, of the same keys).
    known_fields: OnceLock<bool>,
    /// The elements of its overlay's pod lists (`NEW_ELEMENT_LISTS`), as
    /// the round trip after merging them into a list without them leaves
    /// them; made when first asked for.
    elements: OnceLock<Option<Elements>>,
}

/// The pod lists whose elements a template adds whole: the proxy, its init
/// containers, its volumes.
pub(crate) const NEW_ELEMENT_LISTS: [&str; 3] = ["containers", "initContainers", "volumes"];

/// For each of `NEW_ELEMENT_LISTS` the overlay has, its elements round
/// tripped (`None` if that failed).
type Elements = Vec<(&'static str, Option<Vec<KeptElement>>)>;

/// Elements of pod lists ready round-tripped, by list.
pub(crate) type Ready = Vec<(&'static str, Vec<Value>)>;

/// A render read from a kept one: these of its scalars read anew (by
/// index, for `LastRead::path`, and as read).
pub(crate) type Reread = (Arc<KeptRender>, Vec<(u32, Value)>);

impl KeptRender {
    pub(crate) fn new(read: LastRead) -> KeptRender {
        KeptRender { read, template_pod: OnceLock::new(), known_fields: OnceLock::new(), elements: OnceLock::new() }
    }

    /// The template pod made of an empty pod by the overlay read from this
    /// render with the scalars `changed` read anew, as far as injection reads
    /// a template pod: its containers', volumes' and pull secrets' names,
    /// which are the kept pod's (merge keys never change here), and its
    /// decoding, which succeeds (each changed scalar decodes where it
    /// lands). Its other scalars are the kept render's. `None` when that
    /// would not be the merge's pod but for those scalars, or decoding it
    /// might fail.
    pub(crate) fn template_pod(&self, changed: &[(u32, Value)]) -> Option<Arc<Value>> {
        let pod = Typed::pod();
        let kept = self.template_pod.get_or_init(|| self.own_template_pod().map(Arc::new)).as_ref()?;
        for (index, scalar) in changed {
            let path = self.read.path(*index);
            if scalar.is_null() || is_merge_key(&path) || !pod.scalar_decodes_at(&path, scalar)? {
                return None;
            }
            // Where the scalar lands in the merge's pod.
            let place = at(kept, &path)?;
            if place.is_array() || place.is_object() {
                return None;
            }
        }
        Some(Arc::clone(kept))
    }

    /// The elements of the pod lists (`NEW_ELEMENT_LISTS`) of the overlay
    /// read from this render with the scalars `changed` read anew, as the round
    /// trip after merging them into a list without their keys leaves
    /// them: the kept ones with the changed scalars in place, for the
    /// lists where each changed scalar is kept as it is there (not a merge
    /// key, decoding, written as read, neither it nor the one it replaces
    /// a zero value). Lists the overlay lacks, or where that does not
    /// hold, are left out.
    pub(crate) fn elements(&self, changed: &[(u32, Value)]) -> Ready {
        let Some(kept) = self.elements.get_or_init(|| self.own_elements()) else { return Vec::new() };
        let pod = Typed::pod();
        let mut out = Vec::with_capacity(kept.len());
        'lists: for (list, elements) in kept {
            let Some(elements) = elements else { continue };
            // Checked before the elements are copied.
            let mut places = Vec::new();
            for (index, scalar) in changed {
                let path = self.read.path(*index);
                let [PathStep::Key("spec"), PathStep::Key(of), ..] = path.as_slice() else { continue };
                if of != list {
                    continue;
                }
                let Some(was) = at(self.read.value(), &path) else { continue 'lists };
                // The zero value the scalar replaced: whether the encoder
                // left it out may change with it.
                if is_zero_scalar(was) || is_merge_key(&path) || pod.scalar_kept_at(&path, scalar) != Some(true) {
                    continue 'lists;
                }
                places.push((path, scalar));
            }
            let mut made: Vec<Value> = elements.iter().map(KeptElement::copy).collect();
            for (path, scalar) in places {
                let [_, _, PathStep::Index(element), inner @ ..] = path.as_slice() else { continue 'lists };
                let place = made.get_mut(*element).and_then(|element| at_mut(element, inner));
                match place {
                    Some(place) if !place.is_array() && !place.is_object() => *place = scalar.clone(),
                    _ => continue 'lists,
                }
            }
            out.push((*list, made));
        }
        out
    }

    /// Whether it has made elements of pod lists, which it may take back.
    pub(crate) fn has_elements(&self) -> bool {
        self.elements.get().is_some_and(Option::is_some)
    }

    /// The kept element named `name` of list `list`, if it made one.
    pub(crate) fn element(&self, list: &str, name: &str) -> Option<&KeptElement> {
        let Some(Some(kept)) = self.elements.get() else { return None };
        kept.iter()
            .filter(|(of, _)| *of == list)
            .filter_map(|(_, elements)| elements.as_ref())
            .flatten()
            .find(|kept| crate::pod::name_of(kept.value()) == name)
    }

    /// Whether the overlays read from this render have only fields the
    /// pod's types have: unknown fields are keys, which rereading keeps.
    pub(crate) fn has_known_fields(&self) -> bool {
        *self.known_fields.get_or_init(|| {
            GoType::named("corev1.Pod").is_some_and(|pod| unknown_fields(pod, self.read.value()).is_empty())
        })
    }

    /// The render's own overlay's elements of `NEW_ELEMENT_LISTS`, merged
    /// into empty lists and round-tripped, if the merge keeps its scalars'
    /// places.
    fn own_elements(&self) -> Option<Elements> {
        let overlay = self.read.value();
        if !merge::keeps_places(overlay) {
            return None;
        }
        let spec = overlay.get("spec")?.as_object()?;
        let lists = NEW_ELEMENT_LISTS.into_iter().filter_map(|list| {
            let elements = spec.get(list)?;
            let mut only = Map::new();
            only.insert(list.to_owned(), elements.clone());
            let mut pod = Value::Object(Map::new());
            merge::merge(&mut pod, &Value::Object([("spec".to_owned(), Value::Object(only))].into_iter().collect()));
            let pod = Typed::pod().normalize_owned(pod).ok();
            let round_tripped = pod.and_then(|mut pod| match pod.at_mut(&format!("/spec/{list}"))?.take() {
                Value::Array(elements) => Some(elements.into_iter().map(KeptElement::new).collect()),
                _ => None,
            });
            Some((list, round_tripped))
        });
        Some(lists.collect())
    }

    /// The render's own overlay merged into an empty pod, if the merge
    /// keeps its scalars' places and the pod decodes.
    fn own_template_pod(&self) -> Option<Value> {
        let overlay = self.read.value();
        if !merge::keeps_places(overlay) {
            return None;
        }
        let pod = Typed::pod();
        let mut made = Value::clone(&Typed::empty_pod());
        merge::merge(&mut made, overlay);
        pod.check(&made).ok()?;
        Some(made)
    }
}

/// Whether `path` ends at the key an element of a list merges by (which
/// changed may pair elements anew).
fn is_merge_key(path: &[PathStep<'_>]) -> bool {
    match path {
        [.., PathStep::Key(list), PathStep::Index(_), PathStep::Key(key)] => merge::merge_key(list) == Some(*key),
        _ => false,
    }
}

fn at<'v>(value: &'v Value, path: &[PathStep<'_>]) -> Option<&'v Value> {
    path.iter().try_fold(value, |node, step| match step {
        PathStep::Key(k) => node.as_object()?.get(*k),
        PathStep::Index(i) => node.as_array()?.get(*i),
    })
}

fn at_mut<'v>(value: &'v mut Value, path: &[PathStep<'_>]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |node, step| match step {
        PathStep::Key(k) => node.as_object_mut()?.get_mut(*k),
        PathStep::Index(i) => node.as_array_mut()?.get_mut(*i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SIDECAR: &str = "spec:\n  containers:\n  - name: istio-proxy\n    lifecycle:\n    image: proxyv2:1.28\n    env:\n    - name: WORKLOAD\n      value: sleep\n    ports:\n    - containerPort: 15090\n      name: http-envoy-prom\n    resources:\n      limits:\n        cpu: \"2\"\n    securityContext:\n      runAsUser: 1337\n  volumes:\n  - name: istio-envoy\n    emptyDir: {}\n";

    /// What merging into an empty pod and decoding it give: the pod, or
    /// `None` for an error.
    fn merged(overlay: &Value) -> Option<Value> {
        let pod = Typed::pod();
        let mut made = Value::clone(&Typed::empty_pod());
        merge::merge(&mut made, overlay);
        pod.check(&made).ok().map(|()| made)
    }

    #[test]
    fn a_render_with_changed_scalars_makes_the_merges_pod_or_leaves_it_to_the_merge() {
        let (_, read) = LastRead::read(SIDECAR).expect("a mapping");
        let kept = KeptRender::new(read);
        let cases: &[(&str, &str, bool)] = &[
            ("value: sleep", "value: other", true),
            ("value: sleep", "value: \"8080\"", true),
            ("image: proxyv2:1.28", "image: proxyv2:1.29", true),
            ("cpu: \"2\"", "cpu: 500m", true),
            ("runAsUser: 1337", "runAsUser: 0", true),
            ("name: http-envoy-prom", "name: other", true),
            // Decoding fails: the merge says so.
            ("value: sleep", "value: 8080", false),
            ("cpu: \"2\"", "cpu: lots", false),
            ("runAsUser: 1337", "runAsUser: x", false),
            ("runAsUser: 1337", "runAsUser: 1.5", false),
            // Merge keys and nulls: the merge pairs or drops.
            ("- name: istio-proxy", "- name: other", false),
            ("- name: WORKLOAD", "- name: OTHER", false),
            ("- containerPort: 15090", "- containerPort: 15091", false),
            ("value: sleep", "value: null", false),
            ("value: sleep", "value: ~", false),
        ];
        for &(from, to, made) in cases {
            let text = SIDECAR.replacen(from, to, 1);
            let changed = kept.read.changed_scalars(&text).expect("a scalar changed in place");
            let overlay = kept.read.tree_with(&changed, &[]);
            assert!(!changed.is_empty(), "{to}");
            let pod = kept.template_pod(&changed);
            assert_eq!(pod.is_some(), made, "{from} -> {to}");
            if let Some(pod) = pod {
                let mut made = Value::clone(&pod);
                for (index, scalar) in &changed {
                    let path = kept.read.path(*index);
                    assert_eq!(at(&overlay, &path), Some(scalar));
                    *at_mut(&mut made, &path).expect("the scalar's place") = scalar.clone();
                }
                assert_eq!(Some(made), merged(&overlay), "{from} -> {to}: the merge's pod but for the scalars");
            }
        }
    }

    /// `overlay`'s elements of `list` merged into an empty list and
    /// round-tripped, as the merge's round trip leaves them.
    fn round_tripped(overlay: &Value, list: &str) -> Option<Vec<Value>> {
        let mut pod = Value::Object(Map::new());
        let only = serde_json::json!({"spec": {list: overlay["spec"][list].clone()}});
        merge::merge(&mut pod, &only);
        let pod = Typed::pod().normalize_owned(pod).ok()?;
        pod["spec"][list].as_array().cloned()
    }

    #[test]
    fn elements_with_changed_scalars_are_as_round_tripped_or_left_out() {
        let text = SIDECAR.replacen("    ports:\n", "    ports:\n    - containerPort: 80\n      protocol: TCP\n", 1);
        let (_, read) = LastRead::read(&text).expect("a mapping");
        let kept = KeptRender::new(read);
        let cases: &[(&str, &str, bool)] = &[
            ("value: sleep", "value: other", true),
            ("value: sleep", "value: \"8080\"", true),
            ("image: proxyv2:1.28", "image: proxyv2:1.29", true),
            ("runAsUser: 1337", "runAsUser: 1000", true),
            ("protocol: TCP", "protocol: UDP", true),
            // Zero values, special types, merge keys, what does not
            // decode: left to the merge.
            ("value: sleep", "value: \"\"", false),
            ("runAsUser: 1337", "runAsUser: 0", false),
            ("cpu: \"2\"", "cpu: 500m", false),
            ("name: http-envoy-prom", "name: other", true),
            ("- name: WORKLOAD", "- name: OTHER", false),
            ("- containerPort: 15090", "- containerPort: 15091", false),
            ("runAsUser: 1337", "runAsUser: x", false),
        ];
        for &(from, to, in_place) in cases {
            let changed_text = text.replacen(from, to, 1);
            let changed = kept.read.changed_scalars(&changed_text).expect("a scalar changed in place");
            let overlay = kept.read.tree_with(&changed, &[]);
            let elements = kept.elements(&changed);
            let containers = elements.iter().find(|(list, _)| *list == "containers");
            assert_eq!(containers.is_some(), in_place, "{from} -> {to}");
            for (list, ready) in &elements {
                assert_eq!(Some(ready), round_tripped(&overlay, list).as_ref(), "{from} -> {to}: {list}");
            }
            assert!(elements.iter().any(|(list, _)| *list == "volumes"), "{from} -> {to}: volumes unchanged");
        }
    }

    #[test]
    fn unknown_fields_are_known_from_the_kept_render() {
        let (_, read) = LastRead::read(SIDECAR).expect("a mapping");
        assert!(KeptRender::new(read).has_known_fields());
        let misplaced = SIDECAR.replacen("    resources:\n      limits:", "    resources:\n      limts:", 1);
        let (_, read) = LastRead::read(&misplaced).expect("a mapping");
        let kept = KeptRender::new(read);
        assert!(!kept.has_known_fields());
        let overlay = kept.read.reread(&misplaced.replacen("cpu: \"2\"", "cpu: \"3\"", 1)).expect("reread");
        let pod = GoType::named("corev1.Pod").expect("Pod");
        assert_eq!(unknown_fields(pod, &overlay).len(), 1, "the same keys, the same unknown field");
    }

    #[test]
    fn an_overlay_a_merge_rearranges_keeps_no_pod() {
        for text in [
            "spec:\n  containers:\n  - name: a\n    image: x\n  - name: a\n    image: y\n",
            "spec:\n  containers:\n  - name: a\n    image: x\n    $patch: replace\n",
            "spec:\n  containers:\n  - name: a\n    image: x\n    args: [a, null]\n",
            "spec:\n  containers:\n  - image: x\n",
        ] {
            let (_, read) = LastRead::read(text).expect("a mapping");
            let kept = KeptRender::new(read);
            let changed = text.replacen("image: x", "image: z", 1);
            let scalars = kept.read.changed_scalars(&changed).expect("read in place");
            assert_eq!(kept.template_pod(&scalars), None, "{text}");
        }
    }

    /// The spares kept of all its elements.
    fn spares(kept: &KeptRender) -> usize {
        let lists = kept.elements.get().and_then(Option::as_ref).expect("elements made");
        lists.iter().flat_map(|(_, e)| e.iter().flatten()).map(KeptElement::spares).sum()
    }

    /// Elements given back, whatever was done to them, never change what
    /// the next render's elements are: those of the same shape are set
    /// back and taken as copies, the rest dropped.
    #[test]
    fn elements_given_back_are_the_kept_ones_again_or_dropped() {
        let (_, read) = LastRead::read(SIDECAR).expect("a mapping");
        let kept = KeptRender::new(read);
        let render = |from: &str, to: &str| {
            let text = SIDECAR.replacen(from, to, 1);
            let changed = kept.read.changed_scalars(&text).expect("a scalar changed in place");
            let expected: Vec<_> = NEW_ELEMENT_LISTS
                .iter()
                .filter_map(|list| Some((*list, round_tripped(&kept.read.tree_with(&changed, &[]), list)?)))
                .collect();
            (kept.elements(&changed), expected)
        };
        // What post-processing or the caller may have done to an element:
        // (what, whether it keeps the element's shape).
        type Edit = (&'static str, bool, fn(&mut Value));
        let edits: &[Edit] = &[
            ("nothing", true, |_| {}),
            ("a scalar", true, |e| e["image"] = json!("other:1")),
            ("a scalar's type", true, |e| e["securityContext"]["runAsUser"] = json!("x")),
            ("a scalar for a map", false, |e| e["image"] = json!({"a": 1})),
            ("a map for a scalar", false, |e| e["resources"]["limits"] = json!("x")),
            ("an entry added", false, |e| e["env"][0]["valueFrom"] = json!({})),
            ("an entry removed", false, |e| _ = e.as_object_mut().map(|m| m.remove("image"))),
            ("a key renamed", false, |e| {
                let m = e.as_object_mut().expect("an object");
                let image = m.remove("image").expect("an image");
                m.insert("imag".to_owned(), image);
            }),
            ("an element added", false, |e| e["env"].as_array_mut().expect("env").push(json!({"name": "X"}))),
            ("an element removed", false, |e| _ = e["ports"].as_array_mut().expect("ports").pop()),
        ];
        for (what, keeps_shape, edit) in edits {
            let (mut given, _) = render("value: sleep", "value: first");
            let proxy = &mut given.iter_mut().find(|(list, _)| *list == "containers").expect("containers").1[0];
            edit(proxy);
            let before = spares(&kept);
            for (list, elements) in given {
                for element in elements {
                    let name = crate::pod::name_of(&element).to_owned();
                    let taken = kept
                        .element(list, &name)
                        .expect("a kept element")
                        .write_and_keep(element, &mut Vec::new())
                        .is_ok();
                    assert_eq!(taken, *keeps_shape || list != "containers", "{what}: {list} {name}");
                }
            }
            let after = spares(&kept);
            assert_eq!(after - before, if *keeps_shape { 2 } else { 1 }, "{what}");
            // The next render, with other scalars, takes the spares.
            for (from, to) in [("image: proxyv2:1.28", "image: proxyv2:1.29"), ("value: sleep", "value: second")] {
                let (made, expected) = render(from, to);
                assert_eq!(made, expected, "{what}, then {to}");
            }
        }
        assert!(kept.element("containers", "app").is_none(), "no kept element of its name");
        assert!(kept.element("volumes", "istio-proxy").is_none(), "not in that list");
    }
}
