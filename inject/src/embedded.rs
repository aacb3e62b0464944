//! Finding the templates inside an injector config, with their positions in
//! the file, so tools can point into the YAML file rather than into the
//! template text extracted from it.
//!
//! Handles the config itself (what `kubectl get cm istio-sidecar-injector -o
//! jsonpath='{.data.config}'` prints) and a whole ConfigMap (`-o yaml`), in
//! both eras: `templates:` (current) and `template:` (1.0-1.8).

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A template found in a config file.
#[derive(Clone, Debug)]
pub struct EmbeddedTemplate {
    /// Where it sits in the config: `templates.sidecar`, or `template`.
    pub key: String,
    /// Its name, as Istio knows it (`sidecar` for the legacy `template`).
    pub name: String,
    pub text: String,
    pub offsets: OffsetMap,
}

/// Which layout the config uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigEra {
    /// `policy` and one `template` (Istio 1.0-1.8).
    Legacy,
    /// A `templates` map (Istio 1.9 and later).
    Current,
}

/// The templates of an injector config file.
#[derive(Clone, Debug)]
pub struct EmbeddedTemplates {
    pub era: ConfigEra,
    pub templates: Vec<EmbeddedTemplate>,
    /// Keys that hold template text but that Istio ignores, e.g. the
    /// `template` poison pill next to `templates`.
    pub ignored: Vec<String>,
}

/// Maps byte offsets in an extracted template to byte offsets in its file.
#[derive(Clone, Debug)]
pub struct OffsetMap {
    /// `(template offset, file offset)` of the start of each template line.
    lines: Vec<(u32, u32)>,
    /// False when the scalar's style hides the correspondence (folded or
    /// escaped text): offsets then map to the start of the scalar.
    exact: bool,
}

impl OffsetMap {
    /// The identity map, for a template that is the whole file.
    pub fn identity() -> OffsetMap {
        OffsetMap { lines: vec![(0, 0)], exact: true }
    }

    fn fixed(file_offset: u32) -> OffsetMap {
        OffsetMap { lines: vec![(0, file_offset)], exact: false }
    }

    pub fn is_exact(&self) -> bool {
        self.exact
    }

    pub fn to_file(&self, offset: u32) -> u32 {
        if !self.exact {
            return self.lines[0].1;
        }
        let i = self.lines.partition_point(|&(t, _)| t <= offset).saturating_sub(1);
        let (t, f) = self.lines[i];
        f + (offset - t)
    }

    /// This map followed by `outer` (a template inside a config inside a
    /// ConfigMap).
    fn then(self, outer: &OffsetMap) -> OffsetMap {
        if !outer.exact || !self.exact {
            return OffsetMap::fixed(outer.to_file(self.to_file(0)));
        }
        let lines = self.lines.into_iter().map(|(t, f)| (t, outer.to_file(f))).collect();
        OffsetMap { lines, exact: true }
    }
}

/// A YAML node with the position of scalars.
enum Node<'a> {
    Scalar { value: Cow<'a, str>, style: ScalarStyle, span: Span },
    Map(Vec<(Node<'a>, Node<'a>)>),
    Seq,
    Alias,
}

impl<'a> Node<'a> {
    fn get(&self, key: &str) -> Option<&Node<'a>> {
        let Node::Map(entries) = self else {
            return None;
        };
        entries.iter().find(|(k, _)| matches!(k, Node::Scalar { value, .. } if value == key)).map(|(_, v)| v)
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
}

fn read_node<'a>(parser: &mut Parser<'a, saphyr_parser::StrInput<'a>>, first: (Event<'a>, Span)) -> Option<Node<'a>> {
    match first.0 {
        Event::Scalar(value, style, _, _) => Some(Node::Scalar { value, style, span: first.1 }),
        Event::Alias(_) => Some(Node::Alias),
        Event::SequenceStart(..) => loop {
            let event = parser.next_event()?.ok()?;
            if matches!(event.0, Event::SequenceEnd) {
                return Some(Node::Seq);
            }
            read_node(parser, event)?;
        },
        Event::MappingStart(..) => {
            let mut entries = Vec::new();
            loop {
                let event = parser.next_event()?.ok()?;
                if matches!(event.0, Event::MappingEnd) {
                    return Some(Node::Map(entries));
                }
                let key = read_node(parser, event)?;
                let value_event = parser.next_event()?.ok()?;
                let value = read_node(parser, value_event)?;
                entries.push((key, value));
            }
        }
        _ => None,
    }
}

/// The first document's root node, or `None` if the text is not YAML.
fn read_root(text: &str) -> Option<Node<'_>> {
    let mut parser = Parser::new_from_str(text);
    loop {
        let event = parser.next_event()?.ok()?;
        match event.0 {
            Event::StreamStart | Event::DocumentStart(_) => continue,
            Event::StreamEnd => return None,
            _ => return read_node(&mut parser, event),
        }
    }
}

/// Byte offsets of line starts, for turning YAML markers (line, char
/// column) into byte offsets.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// The text of 1-based `line`, without its newline.
    fn line(&self, line: usize) -> Option<(usize, &'a str)> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self.starts.get(line).map_or(self.text.len(), |&s| s - 1);
        Some((start, &self.text[start..end]))
    }

    fn byte_offset(&self, line: usize, col_chars: usize) -> usize {
        let Some((start, text)) = self.line(line) else {
            return self.text.len();
        };
        start + text.char_indices().nth(col_chars).map_or(text.len(), |(i, _)| i)
    }
}

/// How the characters of a scalar's value sit in the file.
fn offsets_of(value: &str, style: ScalarStyle, span: &Span, lines: &Lines<'_>) -> OffsetMap {
    let start = lines.byte_offset(span.start.line(), span.start.col()) as u32;
    match style {
        ScalarStyle::Literal => {
            // The scalar's span starts at its first content character, which
            // gives the block's indentation.
            let leading_blank = value.len() - value.trim_start_matches('\n').len();
            let first = span.start.line().saturating_sub(leading_blank);
            let indent = span.start.col();
            let mut map = Vec::new();
            let mut t_offset = 0u32;
            for (k, t_line) in value.split('\n').enumerate() {
                let Some((f_start, f_line)) = lines.line(first + k) else {
                    break;
                };
                if !t_line.is_empty() && f_line.get(indent..) != Some(t_line) {
                    return OffsetMap::fixed(start);
                }
                map.push((t_offset, (f_start + indent.min(f_line.len())) as u32));
                t_offset += t_line.len() as u32 + 1;
            }
            if map.is_empty() {
                return OffsetMap::fixed(start);
            }
            OffsetMap { lines: map, exact: true }
        }
        ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if !value.contains('\n') => {
            let quote = u32::from(style != ScalarStyle::Plain);
            let at = (start + quote) as usize;
            if lines.text.get(at..at + value.len()) == Some(value) {
                OffsetMap { lines: vec![(0, at as u32)], exact: true }
            } else {
                OffsetMap::fixed(start)
            }
        }
        _ => OffsetMap::fixed(start),
    }
}

/// The templates of an injector config, or `None` when `text` is not one
/// (not YAML, or no `template`/`templates` key): then it is probably a
/// template file itself.
pub fn find_templates(text: &str) -> Option<EmbeddedTemplates> {
    find_in(text, &OffsetMap::identity())
}

fn find_in(text: &str, outer: &OffsetMap) -> Option<EmbeddedTemplates> {
    let root = read_root(text)?;
    let lines = Lines::new(text);
    // A whole ConfigMap: the config is the string under `data.config`.
    if root.get("kind").and_then(Node::as_str) == Some("ConfigMap") {
        let Some(Node::Scalar { value, style, span }) = root.get("data").and_then(|d| d.get("config")) else {
            return None;
        };
        let inner = offsets_of(value, *style, span, &lines).then(outer);
        return find_in(value, &inner);
    }
    let scalar = |node: &Node<'_>, key: String, name: String| match node {
        Node::Scalar { value, style, span } => Some(EmbeddedTemplate {
            key,
            name,
            text: value.to_string(),
            offsets: offsets_of(value, *style, span, &lines).then(outer),
        }),
        _ => None,
    };
    if let Some(Node::Map(entries)) = root.get("templates") {
        let templates = entries
            .iter()
            .filter_map(|(k, v)| {
                let name = k.as_str()?.to_owned();
                scalar(v, format!("templates.{name}"), name)
            })
            .collect();
        let ignored = root.get("template").map(|_| vec!["template".to_owned()]).unwrap_or_default();
        return Some(EmbeddedTemplates { era: ConfigEra::Current, templates, ignored });
    }
    let template = scalar(root.get("template")?, "template".into(), "sidecar".into())?;
    Some(EmbeddedTemplates { era: ConfigEra::Legacy, templates: vec![template], ignored: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_literal_block_positions_into_the_file() {
        let file = "policy: enabled\ntemplates:\n  sidecar: |\n    a: {{ .x }}\n\n    b: {{ .y }}\n";
        let found = find_templates(file).unwrap();
        assert_eq!(found.era, ConfigEra::Current);
        let t = &found.templates[0];
        assert_eq!(t.name, "sidecar");
        assert_eq!(t.text, "a: {{ .x }}\n\nb: {{ .y }}\n");
        let y = t.text.find(".y").unwrap() as u32;
        assert_eq!(&file[t.offsets.to_file(y) as usize..][..2], ".y");
    }

    #[test]
    fn finds_legacy_template_and_configmaps() {
        let legacy = "policy: enabled\ntemplate: |-\n  x: [[ .A ]]\n";
        let found = find_templates(legacy).unwrap();
        assert_eq!(found.era, ConfigEra::Legacy);
        let t = &found.templates[0];
        assert_eq!(&legacy[t.offsets.to_file(6) as usize..][..2], ".A");

        let cm =
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  config: |\n    templates:\n      s: |\n        v: {{ .Z }}\n";
        let found = find_templates(cm).unwrap();
        let t = &found.templates[0];
        let z = t.text.find(".Z").unwrap() as u32;
        assert_eq!(&cm[t.offsets.to_file(z) as usize..][..2], ".Z");
        assert!(find_templates("{{ .x }}: y").is_none());
    }

    #[test]
    fn ignores_the_poison_pill_next_to_templates() {
        let file = "template: \"{{ Nope }}\"\ntemplates:\n  sidecar: \"a\"\n";
        let found = find_templates(file).unwrap();
        assert_eq!(found.ignored, vec!["template".to_owned()]);
        assert_eq!(found.templates.len(), 1);
    }
}
