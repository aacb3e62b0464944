//! Reading a template's render as YAML again, from its last render. Under
//! one config a sidecar template renders the same text for most pods but
//! for a few scalars (the workload's name, its ports, its labels): the
//! tree read from the last render is copied, and only the scalars on the
//! lines that changed are read and put in their place — one-line scalars,
//! and literal blocks (`|-`, which Istio's template writes the pod's
//! ports in). Anything else — lines added or removed, a line changed
//! before its scalar, a changed line that holds no such scalar, a new
//! scalar that would read as more than a scalar — reads the whole text
//! instead. The result is the tree the block reader gives for the whole
//! text: the same reader reads each changed scalar, in a document of the
//! same shape around it.

use injit_runtime::NumberMode;
use injit_runtime::encoding::json::check::PathStep;
use serde_json::{Map, Value};

use super::block::{Slots, Step, document_with_slots};

/// A render read as YAML, kept to read the next one from.
#[derive(Debug)]
pub struct LastRead {
    text: String,
    value: Value,
    slots: Slots,
    /// For each line, the scalar on it (an index into `slots.scalars`).
    by_line: Vec<Option<u32>>,
    /// Where each line of `text` starts, and where a line after the last
    /// would.
    starts: Vec<usize>,
}

impl LastRead {
    /// `text` read as a YAML mapping by the block reader, and kept; `None`
    /// when the block reader does not read it, or it is not a mapping.
    pub fn read(text: &str) -> Option<(Value, LastRead)> {
        let (value, slots) = document_with_slots::<Value>(text, NumberMode::JsonNumber)?;
        let slots = slots?;
        if !value.is_object() {
            return None;
        }
        let mut starts: Vec<usize> =
            std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1)).collect();
        let lines = starts.len();
        starts.push(text.len() + 1);
        let mut by_line = vec![None; lines];
        for (i, slot) in slots.scalars.iter().enumerate() {
            let i = u32::try_from(i).ok()?;
            by_line.get_mut(slot.line as usize..slot.end as usize)?.fill(Some(i));
        }
        Some((value.clone(), LastRead { text: text.to_owned(), value, slots, by_line, starts }))
    }

    /// The tree the render read as.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Line `line` of the last render, without its newline.
    fn line(&self, line: usize) -> &str {
        &self.text[self.starts[line]..self.starts[line + 1] - 1]
    }

    /// `text` read from this render, if it differs from it only in
    /// scalars on lines of their own.
    pub fn reread(&self, text: &str) -> Option<Value> {
        self.changed_scalars(text).map(|changed| self.tree_with(&changed, &[]))
    }

    /// The scalars of `text` that differ from this render's, by index (for
    /// [`path`](LastRead::path)) in the order of the text, as read there,
    /// if it differs from this render only in scalars on lines of their
    /// own.
    pub fn changed_scalars(&self, text: &str) -> Option<Vec<(u32, Value)>> {
        let (old, new) = (self.text.as_bytes(), text.as_bytes());
        let mut changed = Vec::new();
        // Where the texts are at the start of one line, past what was
        // compared: the texts before are alike but for the scalars read.
        let (mut at_old, mut at_new) = (0, 0);
        loop {
            let alike = common_prefix(&old[at_old..], &new[at_new..]);
            if at_old + alike == old.len() && at_new + alike == new.len() {
                break;
            }
            // The lines agree up to the one that differs, so that the
            // same offset starts them in both.
            let line = self.starts.partition_point(|&start| start <= at_old + alike) - 1;
            let index = (*self.by_line.get(line)?)?;
            let slot = self.slots.scalars[index as usize];
            let (first, end, column) = (slot.line as usize, slot.end as usize, slot.column as usize);
            if self.starts[first] < at_old {
                return None;
            }
            let first_new = at_new + (self.starts[first] - at_old);
            let (new_lines, read) = lines(&text[first_new..], end - first)?;
            let (old_first, new_first) = (self.line(first), new_lines[0]);
            if new_first.len() <= column || new_first.as_bytes()[..column] != old_first.as_bytes()[..column] {
                return None;
            }
            // A literal block's lines must stay in it: as deep as its
            // first, which stays where it was (so they are deeper than
            // what holds the block, there as in the document read here).
            let old_block: Vec<&str> = (first + 1..end).map(|l| self.line(l)).collect();
            let new_block = &new_lines[1..];
            if old_block != new_block {
                let depth = |line: &&str| line.len() - line.trim_start_matches(' ').len();
                let content = |line: &&&str| !line.trim_start_matches(' ').is_empty();
                let indent = old_block.iter().find(content).map(depth)?;
                if new_block.iter().find(content).map(depth) != Some(indent)
                    || new_block.iter().filter(content).any(|l| depth(l) < indent)
                {
                    return None;
                }
            }
            let steps = &self.slots.steps[slot.steps.0 as usize..slot.steps.1 as usize];
            let scalar = read_scalar(&new_first[column..], new_block, slot.last, steps.last())?;
            changed.push((index, scalar));
            // Both past the scalar's lines; past the end when they hold
            // the last line, which both must then (the same line count).
            at_old = self.starts[end];
            at_new = first_new + read;
            match (at_old > old.len(), at_new > new.len()) {
                (false, false) => {}
                (true, true) => break,
                _ => return None,
            }
        }
        Some(changed)
    }

    /// This render's tree with the `changed` scalars in place, but for the
    /// lists of `spec` named in `left_out` (and the scalars in them).
    pub fn tree_with(&self, changed: &[(u32, Value)], left_out: &[&str]) -> Value {
        let without_lists = |spec: &Map<String, Value>| -> Map<String, Value> {
            spec.iter()
                .filter(|(key, _)| !left_out.contains(&key.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let mut tree = match (&self.value, left_out) {
            (Value::Object(top), [_, ..]) => Value::Object(
                top.iter()
                    .map(|(key, value)| match value {
                        Value::Object(spec) if key == "spec" => (key.clone(), Value::Object(without_lists(spec))),
                        _ => (key.clone(), value.clone()),
                    })
                    .collect(),
            ),
            _ => self.value.clone(),
        };
        for (index, scalar) in changed {
            let steps = self.steps(*index);
            if self.spec_field(steps).is_some_and(|(list, _)| left_out.contains(&list)) {
                continue;
            }
            // Each changed scalar is one this tree has.
            if let Some(place) = self.place(&mut tree, steps) {
                *place = scalar.clone();
            }
        }
        tree
    }

    /// List `list` of `spec` of this render with the `changed` scalars in
    /// place (what [`tree_with`](LastRead::tree_with) left out).
    pub fn list_with(&self, changed: &[(u32, Value)], list: &str) -> Option<Value> {
        let mut value = self.value.get("spec")?.get(list)?.clone();
        for (index, scalar) in changed {
            if let Some((of, rest)) = self.spec_field(self.steps(*index))
                && of == list
                && let Some(place) = self.place(&mut value, rest)
            {
                *place = scalar.clone();
            }
        }
        Some(value)
    }

    /// For steps into a field of `spec`: the field's name, and the steps
    /// inside it.
    fn spec_field<'s>(&self, steps: &'s [Step]) -> Option<(&str, &'s [Step])> {
        match steps {
            [Step::Key(spec), Step::Key(field), rest @ ..] if &*self.slots.keys[*spec as usize] == "spec" => {
                Some((&self.slots.keys[*field as usize], rest))
            }
            _ => None,
        }
    }

    fn steps(&self, index: u32) -> &[Step] {
        let slot = self.slots.scalars[index as usize];
        &self.slots.steps[slot.steps.0 as usize..slot.steps.1 as usize]
    }

    /// Where scalar `index` (of those `changed_scalars` names) is in the
    /// tree.
    pub fn path(&self, index: u32) -> Vec<PathStep<'_>> {
        self.steps(index)
            .iter()
            .map(|step| match step {
                Step::Key(k) => PathStep::Key(&self.slots.keys[*k as usize]),
                Step::Index(i) => PathStep::Index(*i as usize),
            })
            .collect()
    }

    /// The node at `steps` in `tree`.
    fn place<'v>(&self, tree: &'v mut Value, steps: &[Step]) -> Option<&'v mut Value> {
        steps.iter().try_fold(tree, |node, step| match step {
            Step::Key(k) => node.as_object_mut()?.get_mut(&*self.slots.keys[*k as usize]),
            Step::Index(i) => node.as_array_mut()?.get_mut(*i as usize),
        })
    }
}

/// A scalar as the block reader reads it where it was: its text from its
/// first line (`text`) and the lines after (a literal block's), after a
/// key (`k: text`) or as a sequence's element (`- text`), followed by a
/// line at the first column unless it ended the document; `None` if it
/// reads as anything but that scalar there.
fn read_scalar(text: &str, more: &[&str], last: bool, step: Option<&Step>) -> Option<Value> {
    let sequence = matches!(step?, Step::Index(_));
    // Most changed scalars are one line: read without a document.
    if more.is_empty()
        && let Some(scalar) = super::block::one_line_scalar(text, sequence, NumberMode::JsonNumber)
    {
        return Some(scalar);
    }
    scalar_in_document(text, more, last, sequence)
}

/// `read_scalar` by reading the document the scalar would sit in.
fn scalar_in_document(text: &str, more: &[&str], last: bool, sequence: bool) -> Option<Value> {
    let mut document = String::with_capacity(text.len() + 16);
    document.push_str(if sequence { "- " } else { "k: " });
    document.push_str(text);
    for line in more {
        document.push('\n');
        document.push_str(line);
    }
    if !last {
        // What follows a block ends it (and keeps its chomping).
        document.push_str(if sequence { "\n- 0" } else { "\nz: 0" });
    }
    let expected = if last { 1 } else { 2 };
    match super::block::document::<Value>(&document, NumberMode::JsonNumber)? {
        Value::Object(mut entries) if !sequence && entries.len() == expected => entries.remove("k").filter(is_scalar),
        Value::Array(mut items) if sequence && items.len() == expected => {
            items.truncate(1);
            items.pop().filter(is_scalar)
        }
        _ => None,
    }
}

/// The first `count` lines of `text`, without their newlines, and how far
/// they reach: past the newline of the last, or past the end of `text`
/// when the last is its final line; `None` if it has fewer.
fn lines(text: &str, count: usize) -> Option<(Vec<&str>, usize)> {
    let mut lines = Vec::with_capacity(count);
    let mut at = 0;
    for _ in 0..count {
        let rest = text.get(at..)?;
        match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(newline) => {
                lines.push(&rest[..newline]);
                at += newline + 1;
            }
            None => {
                lines.push(rest);
                at = text.len() + 1;
            }
        }
    }
    Some((lines, at))
}

/// How many leading bytes `a` and `b` share: compared a block at a time,
/// as renders that differ do in a few places only.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= n && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    at + a[at..n].iter().zip(&b[at..n]).take_while(|(x, y)| x == y).count()
}

fn is_scalar(value: &Value) -> bool {
    !value.is_array() && !value.is_object()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::block;

    fn full(text: &str) -> Option<Value> {
        crate::object::yaml_documents(text).ok()?.into_iter().next()
    }

    const SIDECAR: &str = "spec:\n  containers:\n  - name: istio-proxy\n    args: [\"proxy\", \"sidecar\"]\n    env:\n    - name: WORKLOAD\n      value: \"sleep\"\n    - name: PORTS\n      value: |-\n        [{\"containerPort\":80}]\n    - name: OWNER\n      value: kubernetes://apis/v1/namespaces/default/pods/sleep # owner\n    ports:\n    - 15090\n    - containerPort: 15021\n      name: health\n";

    #[test]
    fn changed_scalars_are_read_in_place_and_the_rest_reads_whole() {
        let (first, last) = LastRead::read(SIDECAR).expect("a mapping the block reader reads");
        assert_eq!(Some(first), full(SIDECAR));
        let cases: &[(&str, &str, bool)] = &[
            ("value: \"sleep\"", "value: \"other-2\"", true),
            ("value: \"sleep\"", "value: other", true),
            ("value: \"sleep\"", "value: 8080", true),
            ("value: \"sleep\"", "value: 'a ''b'''", true),
            ("pods/sleep # owner", "pods/other", true),
            ("- 15090", "- 15091", true),
            ("- 15090", "- \"x\"", true),
            ("name: health", "name: ready", true),
            // Not one-line scalars, or not in the same place: read whole.
            ("value: \"sleep\"", "value: [a, b]", false),
            ("value: \"sleep\"", "value: {a: b}", false),
            ("value: \"sleep\"", "value: a: b", false),
            ("value: \"sleep\"", "value: |", false),
            ("value: \"sleep\"", "value: &anchor x", false),
            ("value: \"sleep\"", "value:", false),
            ("- 15090", "- a: b", false),
            ("- 15090", "- - 1", false),
            ("- name: WORKLOAD", "- name: OTHER", true),
            ("[{\"containerPort\":80}]", "[{\"containerPort\":81}]", true),
            ("[{\"containerPort\":80}]", "  [{\"containerPort\":81}]", false),
            ("[{\"containerPort\":80}]", "[{\"containerPort\":81}]\n", false),
            ("value: |-", "value: |", true),
            ("value: |-", "value: |+", true),
            ("value: |-", "value: >-", false),
            ("name: istio-proxy", "nom: istio-proxy", false),
            ("args: [\"proxy\", \"sidecar\"]", "args: [\"proxy\"]", false),
            ("value: \"sleep\"", "value: \"sleep\"\n      extra: 1", false),
        ];
        for &(from, to, in_place) in cases {
            let text = SIDECAR.replacen(from, to, 1);
            assert_ne!(text, SIDECAR, "{to}");
            let reread = last.reread(&text);
            assert_eq!(reread.is_some(), in_place, "{from} -> {to}: {reread:?}");
            if let Some(reread) = reread {
                assert_eq!(Some(reread), full(&text), "{from} -> {to}");
            }
        }
        assert_eq!(last.reread(SIDECAR), full(SIDECAR), "the same text");
    }

    /// The one-line reader reads what the document would, or leaves it
    /// to the document: over plain and quoted scalars of every kind, and
    /// those with YAML's syntax characters put in.
    #[test]
    fn one_line_scalars_read_as_their_documents_read_them() {
        let seeds = [
            "sleep",
            r#""sleep""#,
            "'a ''b'''",
            "8080",
            "-1",
            "0x1F",
            "0777",
            "1.5e3",
            ".inf",
            "-.Inf",
            ".nan",
            "true",
            "yes",
            "Off",
            "~",
            "null",
            "2001-12-14",
            "kubernetes://apis/apps/v1/namespaces/default/deployments/sleep",
            r#"[{"containerPort":80}]"#,
            "pods/sleep # owner",
            r#""esc \" \n \u00e9 \x41" # c"#,
            "a: b",
            "- x",
            "-",
            "-x",
            r#""a": b"#,
            "'open",
            "x #",
            "x#y",
            "é ü",
            "@at",
            "`tick",
            "%pc",
            "!tag",
            "&anchor x",
            "*alias",
            "? key",
            ": v",
            "|",
            "|-",
            ">",
            "{a: b}",
            "",
            " lead",
            "trail  ",
            r#""q" trailing"#,
            "'q'#c",
        ];
        let inserts = [' ', '-', ':', '#', '"', '\'', '|', '[', ']', '{', '}', ',', '&', '*', '!', '?', '\\', '\t'];
        let mut mutations = super::super::mutations::Mutations::new(0x2545_f491);
        let (mut fast, mut tried) = (0, 0);
        for text in seeds {
            for round in 0..60 {
                let edits = if round == 0 { 0 } else { 1 + mutations.next() % 2 };
                let mutated = mutations.mutate(text, &inserts, edits);
                for (sequence, last) in [(false, false), (false, true), (true, false), (true, true)] {
                    tried += 1;
                    let one_line = block::one_line_scalar::<Value>(&mutated, sequence, NumberMode::JsonNumber);
                    let Some(read) = one_line else { continue };
                    fast += 1;
                    let document = scalar_in_document(&mutated, &[], last, sequence);
                    assert_eq!(Some(read), document, "{mutated:?} (in a sequence: {sequence}, last: {last})");
                }
            }
        }
        assert!(fast > tried / 3, "{fast} of {tried} read on their own");
    }

    #[test]
    fn a_render_that_ends_otherwise_reads_as_itself() {
        let pairs = [
            ("a: |+\n  x", "a: |+\n  x\n"),
            ("a: |+\n  x\n", "a: |+\n  x"),
            ("a: |+\n  x\n", "a: |+\n  y\n\n"),
            ("a: 1\nb: 2", "a: 1\nb: 2\n"),
            ("a: 1\nb: 2", "a: 1\nb: 3"),
            ("a: 1\nb: 2\n", "a: 1\nb: 3"),
            ("a: 1\nb: 2", "a: 1\nb: 2\nc: 3"),
            ("a: 1\nb: 2\nc: 3", "a: 1\nb: 2"),
            ("a: 1\nb: |-\n  x\n  y\nc: 3", "a: 2\nb: |-\n  x\n  z\nc: 4"),
            ("a: 1\nb: |-\n  x\n  y\nc: 3", "a: 2\nb: |-\n  x\nc: 4"),
        ];
        for (from, to) in pairs {
            let (_, last) = LastRead::read(from).expect(from);
            if let Some(reread) = last.reread(to) {
                assert_eq!(Some(reread), full(to), "{from:?} -> {to:?}");
            }
        }
        let (_, last) = LastRead::read(pairs[8].0).expect("a mapping");
        assert!(last.reread(pairs[8].1).is_some(), "three scalars changed in place");
    }

    #[test]
    fn repeated_keys_and_documents_that_are_not_mappings_are_not_kept() {
        assert!(LastRead::read("a: 1\na: 2\n").is_none());
        assert!(LastRead::read("- a\n- b\n").is_none());
        assert!(LastRead::read("just text\n").is_none());
        assert!(LastRead::read("a: &x 1\nb: *x\n").is_none());
    }
}
