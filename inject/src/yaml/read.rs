//! Reading YAML into template data, as Kubernetes tooling reads it:
//! `sigs.k8s.io/yaml` decodes with go-yaml v2 (YAML 1.1 scalars: `yes`,
//! `on`, `0777` octal...), turns the result into JSON and decodes that with
//! `encoding/json`. So numbers end up as `float64` (or `json.Number`), map
//! keys as strings, and timestamps stay strings.

use std::collections::HashMap;
use std::fmt;

use injit_runtime::encoding::json::write_json_float;
use injit_runtime::{Data, NumberMode, Object};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, StrInput, Tag};

/// A document that is not YAML, or not data JSON can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line and column of the offending place.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 1000;

/// Every document of a YAML stream (`---` separated). An empty document is
/// `null`.
pub fn documents(text: &str, numbers: NumberMode) -> Result<Vec<Data>, YamlError> {
    if let Some(data) = super::block::document::<Data>(text, numbers) {
        return Ok(vec![data]);
    }
    full_documents(text, numbers)
}

/// `documents` by the full YAML parser, for whatever the block reader
/// declines (and to check it against).
pub fn full_documents(text: &str, numbers: NumberMode) -> Result<Vec<Data>, YamlError> {
    let mut reader = Reader::new(text, numbers);
    let mut docs = Vec::new();
    loop {
        let (event, span) = reader.next()?;
        match event {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => return Ok(docs),
            Event::DocumentStart(_) => {
                reader.anchors.clear();
                let (first, span) = reader.next()?;
                if let Event::DocumentEnd = first {
                    docs.push(Data::Null);
                    continue;
                }
                docs.push(reader.node(first, span, 0)?);
                match reader.next()? {
                    (Event::DocumentEnd, _) => {}
                    (_, span) => return Err(error(span, "expected the end of the document")),
                }
            }
            _ => return Err(error(span, "expected a document")),
        }
    }
}

/// The first document (what `yaml.Unmarshal` reads); no document is `null`.
pub fn document(text: &str, numbers: NumberMode) -> Result<Data, YamlError> {
    Ok(documents(text, numbers)?.into_iter().next().unwrap_or(Data::Null))
}

fn error(span: Span, message: impl Into<String>) -> YamlError {
    YamlError { line: span.start.line(), column: span.start.col() + 1, message: message.into() }
}

struct Reader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    numbers: NumberMode,
    anchors: HashMap<usize, Data>,
    /// go-yaml's guard against alias bombs: values decoded, and how many
    /// of them came from expanding aliases.
    decoded: usize,
    from_aliases: usize,
}

/// A scalar as go-yaml v2 resolves it.
#[derive(Debug)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, numbers: NumberMode) -> Self {
        Reader { parser: Parser::new_from_str(text), numbers, anchors: HashMap::new(), decoded: 0, from_aliases: 0 }
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(e)) => {
                Err(YamlError { line: e.marker().line(), column: e.marker().col() + 1, message: e.info().to_owned() })
            }
            None => Ok((Event::StreamEnd, Span::default())),
        }
    }

    /// Counts decoded nodes; refuses a document that aliases expand past
    /// go-yaml's ratio (an alias bomb), blaming the node at `span`.
    fn count(&mut self, nodes: usize, aliased: bool, span: Span) -> Result<(), YamlError> {
        self.decoded += nodes;
        if aliased {
            self.from_aliases += nodes;
        }
        if self.from_aliases > 100
            && self.decoded > 1000
            && self.from_aliases as f64 / self.decoded as f64 > allowed_alias_ratio(self.decoded)
        {
            return Err(error(span, "document contains excessive aliasing"));
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Data, YamlError> {
        if depth > MAX_DEPTH {
            return Err(error(span, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.count(1, false, span)?;
        let (data, anchor) = match event {
            Event::Scalar(value, style, anchor, tag) => {
                (self.scalar_data(resolve(&value, style, tag.as_deref(), span)?, span)?, anchor)
            }
            Event::Alias(id) => {
                let Some(data) = self.anchors.get(&id).cloned() else {
                    return Err(error(span, "unknown anchor"));
                };
                self.count(node_count(&data), true, span)?;
                return Ok(data);
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if let Event::SequenceEnd = event {
                        break;
                    }
                    items.push(self.node(event, span, depth + 1)?);
                }
                (Data::Array(items.into_boxed_slice()), anchor)
            }
            Event::MappingStart(anchor, _) => (self.mapping(span, depth)?, anchor),
            _ => return Err(error(span, "expected a value")),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, data.clone());
        }
        Ok(data)
    }

    /// A mapping's entries in document order; of repeated keys the last
    /// wins, and a merge key (`<<`) writes its maps' entries where it stands,
    /// as go-yaml v2 does.
    fn mapping(&mut self, start: Span, depth: usize) -> Result<Data, YamlError> {
        let mut entries: Vec<(Box<str>, Data)> = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if let Event::MappingEnd = event {
                break;
            }
            let is_merge = matches!(&event, Event::Scalar(v, ScalarStyle::Plain, _, None) if v == "<<");
            if is_merge {
                let (event, span) = self.next()?;
                let is_sequence = matches!(event, Event::SequenceStart(..));
                let value = self.node(event, span, depth + 1)?;
                let maps: Vec<&Object> = match &value {
                    Data::Object(o) => vec![o],
                    Data::Array(items) if is_sequence => {
                        let mut maps = Vec::new();
                        // Earlier maps take precedence: write them last.
                        for item in items.iter().rev() {
                            let Data::Object(o) = item else {
                                return Err(error(span, "map merge requires map or sequence of maps as the value"));
                            };
                            maps.push(o);
                        }
                        maps
                    }
                    _ => return Err(error(span, "map merge requires map or sequence of maps as the value")),
                };
                for map in maps {
                    entries.extend(map.iter().map(|(k, v)| (Box::from(k), v.clone())));
                }
                continue;
            }
            let key = self.key(event, span, depth)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span, depth + 1)?;
            entries.push((key, value));
        }
        let _ = start;
        Ok(Data::Object(Object::new(entries)))
    }

    /// A mapping key as `sigs.k8s.io/yaml` turns it into a JSON key.
    fn key(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Box<str>, YamlError> {
        let scalar = match event {
            Event::Scalar(value, style, anchor, tag) => {
                let scalar = resolve(&value, style, tag.as_deref(), span)?;
                if anchor != 0 {
                    let data = self.scalar_data(clone_scalar(&scalar), span)?;
                    self.anchors.insert(anchor, data);
                }
                scalar
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(Data::String(s)) => Scalar::Str(s.to_string()),
                Some(Data::Bool(b)) => Scalar::Bool(*b),
                Some(Data::Number(f)) => Scalar::Float(*f),
                Some(Data::JsonNumber(n)) => Scalar::Str(n.to_string()),
                Some(Data::Null) => Scalar::Null,
                Some(_) => return Err(error(span, "invalid map key: a map or sequence")),
                None => return Err(error(span, "unknown anchor")),
            },
            other => {
                // Read the whole key so the error points at it, not past it.
                self.node(other, span, depth + 1)?;
                return Err(error(span, "invalid map key: a map or sequence"));
            }
        };
        key_text(scalar).map_err(|message| error(span, message))
    }

    /// A value after the trip through JSON.
    fn scalar_data(&self, scalar: Scalar, span: Span) -> Result<Data, YamlError> {
        scalar_data(scalar, self.numbers).map_err(|message| error(span, message))
    }
}

/// A mapping key as `sigs.k8s.io/yaml` turns it into a JSON key.
pub(super) fn key_text(scalar: Scalar) -> Result<Box<str>, String> {
    Ok(match scalar {
        Scalar::Str(s) => s.into(),
        Scalar::Bool(b) => if b { "true" } else { "false" }.into(),
        Scalar::Int(i) => i.to_string().into(),
        Scalar::Float(f) => float_key(f).into(),
        Scalar::Uint(u) => return Err(format!("unsupported map key of type uint64: {u}")),
        Scalar::Null => return Err("unsupported map key: null".to_owned()),
    })
}

/// A scalar value after the trip through JSON.
pub(super) fn scalar_data(scalar: Scalar, numbers: NumberMode) -> Result<Data, String> {
    let number = |text: String, value: f64| match numbers {
        NumberMode::Float => Data::Number(value),
        NumberMode::JsonNumber => Data::JsonNumber(text.into()),
    };
    Ok(match scalar {
        Scalar::Null => Data::Null,
        Scalar::Bool(b) => Data::Bool(b),
        Scalar::Str(s) => Data::String(s.into()),
        Scalar::Int(i) => number(i.to_string(), i as f64),
        Scalar::Uint(u) => number(u.to_string(), u as f64),
        Scalar::Float(f) if !f.is_finite() => {
            let shown = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(format!("json: unsupported value: {shown}"));
        }
        Scalar::Float(f) => number(json_float(f), f),
    })
}

fn clone_scalar(s: &Scalar) -> Scalar {
    match s {
        Scalar::Null => Scalar::Null,
        Scalar::Bool(b) => Scalar::Bool(*b),
        Scalar::Int(i) => Scalar::Int(*i),
        Scalar::Uint(u) => Scalar::Uint(*u),
        Scalar::Float(f) => Scalar::Float(*f),
        Scalar::Str(s) => Scalar::Str(s.clone()),
    }
}

fn node_count(data: &Data) -> usize {
    match data {
        Data::Array(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Data::Object(o) => 1 + o.iter().map(|(_, v)| 1 + node_count(v)).sum::<usize>(),
        _ => 1,
    }
}

/// go-yaml's `allowedAliasRatio`: small documents may be almost all
/// aliases, large ones only a tenth.
fn allowed_alias_ratio(decoded: usize) -> f64 {
    const LOW: f64 = 400_000.0;
    const HIGH: f64 = 4_000_000.0;
    let decoded = decoded as f64;
    if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decoded - LOW) / (HIGH - LOW))
    }
}

/// go-yaml v2's `resolve` for a scalar with its style and tag.
fn resolve(value: &str, style: ScalarStyle, tag: Option<&Tag>, span: Span) -> Result<Scalar, YamlError> {
    let tag =
        tag.map(|t| if t.handle == "!!" { format!("!!{}", t.suffix) } else { format!("{}{}", t.handle, t.suffix) });
    let tag = tag.as_deref().map(|t| t.strip_prefix("tag:yaml.org,2002:").map_or(t.to_owned(), |s| format!("!!{s}")));
    match tag.as_deref() {
        // A non-plain scalar is a string unless a tag says otherwise.
        None if style != ScalarStyle::Plain => Ok(Scalar::Str(value.to_owned())),
        None => Ok(resolve_plain(value)),
        Some("!!str") => Ok(Scalar::Str(value.to_owned())),
        Some("!!binary") => injit_runtime::encoding::base64::decode(value.as_bytes())
            .map(|bytes| Scalar::Str(String::from_utf8_lossy(&bytes).into_owned()))
            .map_err(|e| error(span, format!("!!binary value contains invalid base64 data: {e}"))),
        Some(t @ ("!!int" | "!!float" | "!!bool" | "!!null" | "!!timestamp")) => resolve_tagged(value, t, span),
        // Tags go-yaml does not know leave the text as it is.
        Some(_) => Ok(Scalar::Str(value.to_owned())),
    }
}

/// A scalar with a core-schema tag must resolve to that type (an integer
/// may stand for a float).
fn resolve_tagged(value: &str, tag: &str, span: Span) -> Result<Scalar, YamlError> {
    let resolved = resolve_plain(value);
    let ok = match (tag, &resolved) {
        ("!!int", Scalar::Int(_) | Scalar::Uint(_)) | ("!!float", Scalar::Float(_)) => true,
        ("!!bool", Scalar::Bool(_)) | ("!!null", Scalar::Null) => true,
        ("!!timestamp", Scalar::Str(_)) => is_timestamp(value),
        _ => false,
    };
    if ok {
        return Ok(resolved);
    }
    match (tag, &resolved) {
        ("!!float", Scalar::Int(i)) => return Ok(Scalar::Float(*i as f64)),
        ("!!float", Scalar::Uint(u)) => return Ok(Scalar::Float(*u as f64)),
        _ => {}
    }
    let found = match resolved {
        Scalar::Null => "!!null",
        Scalar::Bool(_) => "!!bool",
        Scalar::Int(_) | Scalar::Uint(_) => "!!int",
        Scalar::Float(_) => "!!float",
        Scalar::Str(_) if is_timestamp(value) => "!!timestamp",
        Scalar::Str(_) => "!!str",
    };
    Err(error(span, format!("cannot decode {found} `{value}` as a {tag}")))
}

pub(super) fn resolve_plain(value: &str) -> Scalar {
    use injit_runtime::encoding::yaml::Resolved;
    match injit_runtime::encoding::yaml::resolve_plain(value) {
        Resolved::Null => Scalar::Null,
        Resolved::Bool(b) => Scalar::Bool(b),
        Resolved::Int(i) => Scalar::Int(i),
        Resolved::Uint(u) => Scalar::Uint(u),
        Resolved::Float(f) => Scalar::Float(f),
        // Timestamps stay strings when decoded into interface{}.
        Resolved::Timestamp | Resolved::Str => Scalar::Str(value.to_owned()),
    }
}

fn is_timestamp(s: &str) -> bool {
    injit_runtime::encoding::yaml::is_timestamp(s)
}

/// `strconv.FormatFloat(f, 'g', -1, 32)` with go-yaml's names for the
/// infinities (how `sigs.k8s.io/yaml` spells a float map key).
fn float_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    injit_strconv::format_float_bits(f, injit_strconv::FloatFormat::General { upper: false }, -1, 32)
}

/// How `encoding/json` writes a float64 (the text a `json.Number` keeps).
fn json_float(f: f64) -> String {
    let mut out = Vec::new();
    // Callers pass finite values only, which always encode.
    let _ = write_json_float(&mut out, f, false);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Data {
        document(text, NumberMode::Float).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn get<'d>(data: &'d Data, key: &str) -> &'d Data {
        let Data::Object(o) = data else { panic!("not a map: {data:?}") };
        o.get(key.as_bytes()).unwrap_or_else(|| panic!("no key {key}"))
    }

    #[test]
    fn resolves_scalars_as_go_yaml_v2() {
        let d = read(
            "a: yes\nb: off\nc: 0777\nd: 0x1F\ne: 1_000\nf: 1.5e3\ng: ~\nh: '5'\ni: 2001-12-14\nj: .5\nk: 0b101\n",
        );
        assert_eq!(get(&d, "a"), &Data::Bool(true));
        assert_eq!(get(&d, "b"), &Data::Bool(false));
        assert_eq!(get(&d, "c"), &Data::Number(511.0));
        assert_eq!(get(&d, "d"), &Data::Number(31.0));
        assert_eq!(get(&d, "e"), &Data::Number(1000.0));
        assert_eq!(get(&d, "f"), &Data::Number(1500.0));
        assert_eq!(get(&d, "g"), &Data::Null);
        assert_eq!(get(&d, "h"), &Data::String("5".into()));
        assert_eq!(get(&d, "i"), &Data::String("2001-12-14".into()));
        assert_eq!(get(&d, "j"), &Data::Number(0.5));
        assert_eq!(get(&d, "k"), &Data::Number(5.0));
    }

    #[test]
    fn keys_become_strings() {
        // YAML 1.1: a key `y` is the boolean true.
        let d = read("1: a\ny: b\n1.5: c\n");
        assert_eq!(get(&d, "1"), &Data::String("a".into()));
        assert_eq!(get(&d, "true"), &Data::String("b".into()));
        assert_eq!(get(&d, "1.5"), &Data::String("c".into()));
    }

    #[test]
    fn merge_keys_and_aliases() {
        let d = read("base: &b {x: 1, w: 2}\nuse:\n  x: 0\n  <<: *b\n  z: 3\n");
        let used = get(&d, "use");
        // go-yaml v2 writes merged entries where the merge key stands.
        assert_eq!(get(used, "x"), &Data::Number(1.0));
        assert_eq!(get(used, "w"), &Data::Number(2.0));
        assert_eq!(get(used, "z"), &Data::Number(3.0));
    }

    #[test]
    fn json_numbers_keep_go_text() {
        let d = document("a: 10\nb: 1e-7\nc: 2.50\n", NumberMode::JsonNumber).expect("valid");
        assert_eq!(get(&d, "a"), &Data::JsonNumber("10".into()));
        assert_eq!(get(&d, "b"), &Data::JsonNumber("1e-7".into()));
        assert_eq!(get(&d, "c"), &Data::JsonNumber("2.5".into()));
    }

    #[test]
    fn errors_name_the_line() {
        let e = document("a: 1\nb: [1, 2\n", NumberMode::Float).expect_err("unclosed flow sequence");
        assert!(e.line >= 2, "{e}");
        let e = document("a: !!int abc\n", NumberMode::Float).expect_err("bad int");
        assert_eq!(e.to_string(), "line 1 column 4: cannot decode !!str `abc` as a !!int");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let e = document(&text, NumberMode::Float).expect_err("10^9 nodes");
        assert!(e.message.contains("excessive aliasing"), "{e}");
        // The alias that tipped it over is named, not line 0.
        assert!((2..=9).contains(&e.line), "{e}");
    }

    #[test]
    fn multiple_documents() {
        let docs = documents("a: 1\n---\nb: 2\n---\n", NumberMode::Float).expect("valid");
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[2], Data::Null);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(5000) + &"]".repeat(5000);
        assert!(document(&text, NumberMode::Float).is_err());
    }
}
