//! What a template rendered that injection would silently lose or keep
//! wrong: fields the pod's types do not have (a mis-indented `limits:`
//! that Istio's decoding drops, leaving `resources: {}`), and `<no value>`
//! (a key the data lacks, printed). Injection goes on as Istio's does;
//! these become warnings (kube-inject's stderr, the webhook's
//! AdmissionResponse `warnings`), each naming the place in the rendered
//! YAML and the template line that wrote it.

use injit_runtime::types::GoType;
use saphyr_parser::{Event, Parser};
use serde_json::Value;

use crate::unknown_fields::{UnknownField, unknown_fields};

/// What Go prints for a missing key.
const NO_VALUE: &str = "<no value>";

/// One problem in a template's output: where in the rendered YAML (its
/// path and byte offset) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedProblem {
    /// `spec.containers[0].limits`.
    pub path: String,
    /// The offset in the rendered text, to find the template line.
    pub offset: Option<usize>,
    pub what: Problem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A field the Kubernetes type lacks: dropped when decoded.
    UnknownField { name: String, suggestion: Option<&'static str> },
    /// `<no value>` in a value.
    NoValue,
}

impl std::fmt::Display for RenderedProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.what {
            Problem::UnknownField { name, suggestion } => {
                write!(f, "{}: unknown field {name:?}", self.path)?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                write!(f, ", dropped as Istio drops it")
            }
            Problem::NoValue => {
                write!(f, "{}: {NO_VALUE:?} rendered (a key the data lacks, printed)", self.path)
            }
        }
    }
}

/// The problems of `rendered` (a template's text) read as `overlay`, in
/// output order. Cheap when there are none: one scan of the text and one
/// walk of the overlay.
pub fn rendered_problems(rendered: &str, overlay: &Value) -> Vec<RenderedProblem> {
    let Some(pod) = GoType::named("corev1.Pod") else { return Vec::new() };
    problems(rendered, unknown_fields(pod, overlay))
}

/// The problems of `rendered`, read as an overlay known to have no field
/// the pod's types lack (one with the keys of an overlay that had none):
/// its `<no value>`s.
pub fn rendered_problems_of_known_fields(rendered: &str) -> Vec<RenderedProblem> {
    problems(rendered, Vec::new())
}

fn problems(rendered: &str, unknown: Vec<UnknownField>) -> Vec<RenderedProblem> {
    let no_value = rendered.contains(NO_VALUE);
    if unknown.is_empty() && !no_value {
        return Vec::new();
    }
    let keys = key_offsets(rendered);
    let mut problems: Vec<RenderedProblem> = unknown
        .into_iter()
        .map(|u| {
            let segments = segments(&u.path);
            let offset = keys.iter().find(|(path, _)| *path == segments).map(|(_, at)| *at);
            RenderedProblem {
                path: u.path,
                offset,
                what: Problem::UnknownField { name: u.name, suggestion: u.suggestion },
            }
        })
        .collect();
    for (at, _) in rendered.match_indices(NO_VALUE) {
        // The key the value belongs to: the last one before it.
        let path = keys.iter().rev().find(|(_, key_at)| *key_at <= at).map(|(p, _)| dotted(p)).unwrap_or_default();
        problems.push(RenderedProblem { path, offset: Some(at), what: Problem::NoValue });
    }
    problems.sort_by_key(|p| p.offset.unwrap_or(usize::MAX));
    problems
}

/// A path's names: `spec.containers[0].limits` and `a[key]` alike.
fn segments(path: &str) -> Vec<String> {
    path.split(['.', '[', ']']).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn dotted(segments: &[String]) -> String {
    let mut out = String::new();
    for s in segments {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{s}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(s);
        }
    }
    out
}

/// Every mapping key of the first YAML document of `text`, as its path of
/// names (sequence items by index) and its byte offset.
fn key_offsets(text: &str) -> Vec<(Vec<String>, usize)> {
    // Byte offsets from saphyr's character indices.
    let byte_at: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let mut parser = Parser::new_from_str(text);
    let mut out = Vec::new();
    // Per open collection: a mapping's pending key (and whether the next
    // scalar is a key), or a sequence's next index.
    enum Open {
        Mapping { key: Option<String>, expect_key: bool },
        Sequence { index: usize },
    }
    let mut stack: Vec<Open> = Vec::new();
    let path_of = |stack: &[Open]| -> Vec<String> {
        stack
            .iter()
            .filter_map(|o| match o {
                Open::Mapping { key, .. } => key.clone(),
                Open::Sequence { index } => Some(index.to_string()),
            })
            .collect()
    };
    // A value ended: the parent mapping waits for a key, the sequence
    // moves on.
    let value_done = |stack: &mut Vec<Open>| match stack.last_mut() {
        Some(Open::Mapping { expect_key, .. }) => *expect_key = true,
        Some(Open::Sequence { index }) => *index += 1,
        None => {}
    };
    while let Some(Ok((event, span))) = parser.next_event() {
        match event {
            Event::DocumentEnd => break,
            Event::MappingStart(..) => stack.push(Open::Mapping { key: None, expect_key: true }),
            Event::SequenceStart(..) => stack.push(Open::Sequence { index: 0 }),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                value_done(&mut stack);
            }
            Event::Scalar(value, ..) => match stack.last_mut() {
                Some(Open::Mapping { key, expect_key }) if *expect_key => {
                    *key = Some(value.to_string());
                    *expect_key = false;
                    let at = byte_at.get(span.start.index()).copied().unwrap_or(text.len());
                    out.push((path_of(&stack), at));
                }
                _ => value_done(&mut stack),
            },
            Event::Alias(..) => value_done(&mut stack),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlay(text: &str) -> Value {
        crate::object::yaml_documents(text).unwrap().into_iter().next().unwrap()
    }

    #[test]
    fn a_misindented_field_is_found_where_it_was_written() {
        let text = "spec:\n  containers:\n  - name: p\n    resources:\n    limits:\n      cpu: 1\n";
        let problems = rendered_problems(text, &overlay(text));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "spec.containers[0].limits");
        assert_eq!(problems[0].offset, Some(text.find("limits").unwrap()));
        assert_eq!(
            problems[0].to_string(),
            "spec.containers[0].limits: unknown field \"limits\", dropped as Istio drops it"
        );
    }

    #[test]
    fn no_value_is_found_under_its_key() {
        let text = "metadata:\n  labels:\n    app: <no value>\n";
        let problems = rendered_problems(text, &overlay(text));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "metadata.labels.app");
        assert_eq!(problems[0].offset, Some(text.find("<no").unwrap()));
    }

    #[test]
    fn a_clean_overlay_has_none() {
        let text = "spec:\n  containers:\n  - name: p\n    resources:\n      limits: {cpu: 1}\n";
        assert!(rendered_problems(text, &overlay(text)).is_empty());
    }
}
