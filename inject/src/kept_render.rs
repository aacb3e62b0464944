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

use std::sync::{Arc, OnceLock};

use injit_runtime::encoding::json::check::PathStep;
use injit_runtime::types::GoType;
use serde_json::{Map, Value};

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
}

/// A render read from a kept one: these of its scalars read anew.
pub(crate) type Reread = (Arc<KeptRender>, Vec<u32>);

impl KeptRender {
    pub(crate) fn new(read: LastRead) -> KeptRender {
        KeptRender { read, template_pod: OnceLock::new(), known_fields: OnceLock::new() }
    }

    /// The template pod `overlay` makes of an empty pod, read from this
    /// render with scalars `changed` read anew, as far as injection reads
    /// a template pod: its containers', volumes' and pull secrets' names,
    /// which are the kept pod's (merge keys never change here), and its
    /// decoding, which succeeds (each changed scalar decodes where it
    /// lands). Its other scalars are the kept render's. `None` when that
    /// would not be the merge's pod but for those scalars, or decoding it
    /// might fail.
    pub(crate) fn template_pod(&self, overlay: &Value, changed: &[u32]) -> Option<Arc<Value>> {
        let pod = Typed::pod();
        let kept = self.template_pod.get_or_init(|| self.own_template_pod().map(Arc::new)).as_ref()?;
        for &index in changed {
            let path = self.read.path(index);
            let scalar = at(overlay, &path)?;
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

    /// Whether the overlays read from this render have only fields the
    /// pod's types have: unknown fields are keys, which rereading keeps.
    pub(crate) fn has_known_fields(&self) -> bool {
        *self.known_fields.get_or_init(|| {
            GoType::named("corev1.Pod").is_some_and(|pod| unknown_fields(pod, self.read.value()).is_empty())
        })
    }

    /// The render's own overlay merged into an empty pod, if the merge
    /// keeps its scalars' places and the pod decodes.
    fn own_template_pod(&self) -> Option<Value> {
        let overlay = self.read.value();
        if !merge::keeps_places(overlay) {
            return None;
        }
        let pod = Typed::pod();
        let mut made = pod.normalize(&Value::Object(Map::new())).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const SIDECAR: &str = "spec:\n  containers:\n  - name: istio-proxy\n    lifecycle:\n    image: proxyv2:1.28\n    env:\n    - name: WORKLOAD\n      value: sleep\n    ports:\n    - containerPort: 15090\n      name: http-envoy-prom\n    resources:\n      limits:\n        cpu: \"2\"\n    securityContext:\n      runAsUser: 1337\n  volumes:\n  - name: istio-envoy\n    emptyDir: {}\n";

    /// What merging into an empty pod and decoding it give: the pod, or
    /// `None` for an error.
    fn merged(overlay: &Value) -> Option<Value> {
        let pod = Typed::pod();
        let mut made = pod.normalize(&Value::Object(Map::new())).expect("an empty pod");
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
            let (overlay, changed) = kept.read.reread_scalars(&text).expect("a scalar changed in place");
            assert!(!changed.is_empty(), "{to}");
            let pod = kept.template_pod(&overlay, &changed);
            assert_eq!(pod.is_some(), made, "{from} -> {to}");
            if let Some(pod) = pod {
                let mut made = Value::clone(&pod);
                for &index in &changed {
                    let path = kept.read.path(index);
                    let place = path.iter().try_fold(&mut made, |node, step| match step {
                        PathStep::Key(k) => node.as_object_mut()?.get_mut(*k),
                        PathStep::Index(i) => node.as_array_mut()?.get_mut(*i),
                    });
                    *place.expect("the scalar's place") = at(&overlay, &path).expect("the scalar").clone();
                }
                assert_eq!(Some(made), merged(&overlay), "{from} -> {to}: the merge's pod but for the scalars");
            }
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
        let (overlay, _) =
            kept.read.reread_scalars(&misplaced.replacen("cpu: \"2\"", "cpu: \"3\"", 1)).expect("reread");
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
            let (overlay, scalars) = kept.read.reread_scalars(&changed).expect("read in place");
            assert_eq!(kept.template_pod(&overlay, &scalars), None, "{text}");
        }
    }
}
