//! An element a kept render adds to a pod list whole (the proxy, its init
//! containers, its volumes: `kept_render::NEW_ELEMENT_LISTS`), and what
//! the webhook does with the copies it adds to pods once their patch is
//! written.
//!
//! Copying the proxy (some 400 JSON nodes) into each pod, writing it into
//! the patch and freeing it were most of what an admission cost beyond
//! the pod's own size. A copy still shaped as the kept element (the same
//! keys and list lengths everywhere), which one walk beside the kept
//! element finds, noting the scalars that differ, is
//! - **written** from the kept element's JSON text, written once, with
//!   only the scalars that differ written anew;
//! - **kept**: those scalars set back to the kept ones (reached without
//!   walking the rest), it is a spare, which the next render takes
//!   instead of a copy.
//!
//! A spare equals the kept element by construction, and a copy of another
//! shape is written and dropped as any other value.

use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use injit_runtime::value::data::same_key;
use serde_json::Value;

use crate::kept_render::KeptRender;

/// Most spares kept of one element: about as many as renders run at once.
const MAX_SPARES: usize = 16;

/// An element of a pod list as the kept render makes it, and copies of it
/// given back (each equal to it).
#[derive(Debug)]
pub(crate) struct KeptElement {
    value: Value,
    spares: Mutex<Vec<Value>>,
    /// Its JSON text, written when first asked for.
    written: OnceLock<Written>,
}

/// A value's compact JSON text (`serde_json`'s bytes) and where in it each
/// of its scalars is, in the order a walk meets them.
#[derive(Debug)]
struct Written {
    text: Vec<u8>,
    scalars: Vec<Range<usize>>,
    /// For each node in the order a walk meets them, the scalars and the
    /// nodes its subtree holds (itself included): what a walk to a few
    /// scalars skips.
    subtrees: Vec<Subtree>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Subtree {
    scalars: usize,
    nodes: usize,
}

impl KeptElement {
    pub(crate) fn new(value: Value) -> KeptElement {
        KeptElement { value, spares: Mutex::new(Vec::new()), written: OnceLock::new() }
    }

    pub(crate) fn value(&self) -> &Value {
        &self.value
    }

    /// A copy: a spare if there is one.
    pub(crate) fn copy(&self) -> Value {
        let spare = self.spares.lock().unwrap_or_else(PoisonError::into_inner).pop();
        spare.unwrap_or_else(|| self.value.clone())
    }

    /// How many spares it has.
    #[cfg(test)]
    pub(crate) fn spares(&self) -> usize {
        self.spares.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn spare(&self, element: Value) {
        let mut spares = self.spares.lock().unwrap_or_else(PoisonError::into_inner);
        if spares.len() < MAX_SPARES {
            spares.push(element);
        }
    }

    /// Writes `element` as `serde_json` would into `out` and keeps it as a
    /// spare if it has the kept element's shape: the kept text, with the
    /// scalars that differ written in their place and then set back.
    /// Gives it back, with nothing written, otherwise.
    pub(crate) fn write_and_keep(&self, mut element: Value, out: &mut Vec<u8>) -> Result<(), Value> {
        let mut differing = Vec::new();
        if !differences(&element, &self.value, &mut 0, &mut differing) {
            return Err(element);
        }
        let written = self.written.get_or_init(|| Written::of(&self.value));
        let mut from = 0;
        let mut indices = Vec::with_capacity(differing.len());
        for (index, scalar) in differing {
            let place = &written.scalars[index];
            out.extend_from_slice(&written.text[from..place.start]);
            serde_json::to_writer(&mut *out, scalar).expect("writing to a Vec cannot fail");
            from = place.end;
            indices.push(index);
        }
        out.extend_from_slice(&written.text[from..]);
        let mut walk = Guided { subtrees: &written.subtrees, node: 0, scalar: 0, targets: &indices };
        walk.set_back(&mut element, &self.value);
        debug_assert!(element == self.value, "a copy set back is the kept element");
        self.spare(element);
        Ok(())
    }
}

/// A walk of a value of the kept element's shape to the scalars
/// `targets` (indices in walk order, ascending), skipping subtrees that
/// hold none.
struct Guided<'w> {
    subtrees: &'w [Subtree],
    /// The next node's index, and the next scalar's.
    node: usize,
    scalar: usize,
    targets: &'w [usize],
}

impl Guided<'_> {
    /// Sets the targets among `value`'s scalars back to `kept`'s.
    fn set_back(&mut self, value: &mut Value, kept: &Value) {
        let Some(&target) = self.targets.first() else { return };
        let subtree = self.subtrees[self.node];
        if target >= self.scalar + subtree.scalars {
            self.node += subtree.nodes;
            self.scalar += subtree.scalars;
            return;
        }
        self.node += 1;
        match (value, kept) {
            (Value::Object(entries), Value::Object(kept)) => {
                entries.values_mut().zip(kept.values()).for_each(|(value, kept)| self.set_back(value, kept));
            }
            (Value::Array(items), Value::Array(kept)) => {
                items.iter_mut().zip(kept).for_each(|(item, kept)| self.set_back(item, kept));
            }
            (scalar, kept) => {
                *scalar = kept.clone();
                self.scalar += 1;
                self.targets = &self.targets[1..];
            }
        }
    }
}

impl Written {
    fn of(value: &Value) -> Written {
        let mut written = Written { text: Vec::new(), scalars: Vec::new(), subtrees: Vec::new() };
        written.add(value);
        written
    }

    /// Writes `value` as `serde_json`'s compact writer does, noting where
    /// each scalar went and what each subtree holds.
    fn add(&mut self, value: &Value) {
        let node = self.subtrees.len();
        let scalars = self.scalars.len();
        self.subtrees.push(Subtree::default());
        match value {
            Value::Object(entries) => {
                self.text.push(b'{');
                for (i, (key, entry)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.text.push(b',');
                    }
                    serde_json::to_writer(&mut self.text, key).expect("writing to a Vec cannot fail");
                    self.text.push(b':');
                    self.add(entry);
                }
                self.text.push(b'}');
            }
            Value::Array(items) => {
                self.text.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.text.push(b',');
                    }
                    self.add(item);
                }
                self.text.push(b']');
            }
            scalar => {
                let start = self.text.len();
                serde_json::to_writer(&mut self.text, scalar).expect("writing to a Vec cannot fail");
                self.scalars.push(start..self.text.len());
            }
        }
        self.subtrees[node] = Subtree { scalars: self.scalars.len() - scalars, nodes: self.subtrees.len() - node };
    }
}

/// Whether `value` has `kept`'s shape (the same objects' keys and arrays'
/// lengths everywhere), noting its scalars that differ from `kept`'s by
/// their index in a walk (`index` counts the scalars walked).
fn differences<'v>(value: &'v Value, kept: &Value, index: &mut usize, out: &mut Vec<(usize, &'v Value)>) -> bool {
    match (value, kept) {
        (Value::Object(entries), Value::Object(kept)) => {
            entries.len() == kept.len()
                && entries.iter().zip(kept).all(|((key, value), (kept_key, kept))| {
                    same_text(key, kept_key) && differences(value, kept, index, out)
                })
        }
        (Value::Array(items), Value::Array(kept)) => {
            items.len() == kept.len() && items.iter().zip(kept).all(|(item, kept)| differences(item, kept, index, out))
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => false,
        (scalar, kept) => {
            if !same_scalar(scalar, kept) {
                out.push((*index, scalar));
            }
            *index += 1;
            true
        }
    }
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) => same_text(a, b),
        (a, b) => a == b,
    }
}

/// `a == b` for the short keys and scalars of an element, compared inline
/// (`same_key`).
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    same_key(a.as_bytes(), b.as_bytes())
}

/// The elements an injector's kept renders add, for the copies of them an
/// admission's patch added (`Injector::kept_elements`).
pub struct KeptElements {
    renders: Vec<Arc<KeptRender>>,
}

impl KeptElements {
    pub(crate) fn new(renders: Vec<Arc<KeptRender>>) -> KeptElements {
        KeptElements { renders }
    }

    /// Writes `element`, an element of pod list `list` (`containers`,
    /// `initContainers`, `volumes`) that an injected pod added, as
    /// `serde_json::to_writer` would into `out`, and takes it back once
    /// written: if it has the shape of a kept element, it is written from
    /// that one's text and set back to be the next render's instead of a
    /// copy; otherwise it is written as any value and dropped.
    pub fn write_and_give_back(&self, list: &str, element: Value, out: &mut Vec<u8>) {
        let name = crate::pod::name_of(&element);
        let kept: Vec<&KeptElement> = self.renders.iter().filter_map(|render| render.element(list, name)).collect();
        if let Some(element) =
            kept.into_iter().try_fold(element, |element, kept| kept.write_and_keep(element, out).err())
        {
            serde_json::to_writer(&mut *out, &element).expect("writing to a Vec cannot fail");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Values of every JSON kind, escapes and non-ASCII included.
    fn samples() -> Vec<Value> {
        vec![
            json!({"name": "istio-proxy", "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc"],
                   "env": [{"name": "A", "value": "x\"y\\z\n\u{1}é"}, {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                   "ports": [{"containerPort": 15090, "protocol": "TCP"}], "tty": false, "stdin": null,
                   "resources": {"limits": {"cpu": "2"}}, "weight": 1.5, "negative": -3, "empty": {}, "none": []}),
            json!({"name": "istio-envoy", "emptyDir": {"medium": "Memory"}}),
        ]
    }

    #[test]
    fn texts_compare_as_strings_do() {
        let texts: Vec<String> = (0..40)
            .flat_map(|n| {
                let a = |n| "a".repeat(n);
                [a(n), format!("{}b", a(n)), format!("b{}", a(n)), format!("{}b{}", a(n / 2), a(n - n / 2))]
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn kept_text_is_serde_jsons() {
        for value in samples() {
            let written = Written::of(&value);
            assert_eq!(String::from_utf8(written.text).unwrap(), serde_json::to_string(&value).unwrap());
        }
    }

    /// Each scalar of each sample replaced by values of every kind: the
    /// element is written as `serde_json` writes it, and set back to the
    /// kept one; a changed shape writes nothing and is not kept.
    #[test]
    fn copies_are_written_as_serde_json_writes_them_and_set_back() {
        let replacements = [json!(null), json!(true), json!(0), json!(-7), json!(2.5), json!(""), json!("a\"\u{7f}ü")];
        let (mut written, mut refused, mut scalars) = (0, 0, 0);
        for value in samples() {
            let kept = KeptElement::new(value.clone());
            let mut pointers = Vec::new();
            scalar_pointers(&value, String::new(), &mut pointers);
            scalars += pointers.len();
            for pointer in &pointers {
                for replacement in &replacements {
                    let mut copy = value.clone();
                    *copy.pointer_mut(pointer).unwrap() = replacement.clone();
                    let mut out = b"[".to_vec();
                    let expected = serde_json::to_vec(&copy).unwrap();
                    assert!(kept.write_and_keep(copy, &mut out).is_ok(), "{pointer} = {replacement}");
                    assert_eq!(out[1..], expected[..], "{pointer} = {replacement}");
                    assert_eq!(kept.copy(), value, "set back");
                    written += 1;
                }
                for reshaped in [json!({}), json!([1]), json!({"k": "v"})] {
                    let mut copy = value.clone();
                    *copy.pointer_mut(pointer).unwrap() = reshaped;
                    let mut out = Vec::new();
                    assert!(kept.write_and_keep(copy, &mut out).is_err() && out.is_empty(), "{pointer}");
                    refused += 1;
                }
            }
            // Keys renamed, added, removed.
            let mut renamed = value.clone();
            let entries = renamed.as_object_mut().unwrap();
            let name = entries.remove("name").unwrap();
            entries.insert("nam".to_owned(), name);
            let mut added = value.clone();
            added["extra"] = json!(1);
            let mut removed = value.clone();
            removed.as_object_mut().unwrap().remove("name");
            for copy in [renamed, added, removed] {
                assert!(kept.write_and_keep(copy, &mut Vec::new()).is_err());
                refused += 1;
            }
        }
        assert_eq!(scalars, 18);
        assert_eq!((written, refused), (replacements.len() * scalars, 3 * scalars + 6));
    }

    fn scalar_pointers(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(entries) => entries.iter().for_each(|(k, v)| scalar_pointers(v, format!("{at}/{k}"), out)),
            Value::Array(items) => {
                items.iter().enumerate().for_each(|(i, v)| scalar_pointers(v, format!("{at}/{i}"), out))
            }
            _ => out.push(at),
        }
    }
}
