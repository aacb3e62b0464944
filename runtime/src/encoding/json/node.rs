//! JSON trees the typed encoder and decoder read, and what they write to.
//!
//! Templates see `Data`; the injector keeps pods as `serde_json::Value`.
//! Both go through the same Go-type encoding (`json.rs`) and decoding
//! checks (`decode.rs`), so the semantics live once.

use std::borrow::Cow;

use serde_json::{Map, Number, Value as JsonValue};

use super::write::{write_json_float, write_json_string};
use crate::value::data::Data;

/// A node of a JSON tree.
pub trait JsonNode: Sized {
    fn is_null(&self) -> bool;
    fn as_bool(&self) -> Option<bool>;
    fn as_f64(&self) -> Option<f64>;
    /// A number as its text: as written when the tree keeps it
    /// (`json.Number`), else as Go's `encoding/json` prints the value.
    fn number_text(&self) -> Option<Cow<'_, str>>;
    fn as_str(&self) -> Option<&str>;
    fn as_slice(&self) -> Option<&[Self]>;
    fn get(&self, key: &str) -> Option<&Self>;
    /// Entries of an object in key order; `None` for other nodes.
    fn entries(&self) -> Option<Vec<(&str, &Self)>>;
    /// Entries of an object or elements of an array.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn is_object(&self) -> bool {
        self.entries().is_some()
    }

    fn is_number(&self) -> bool {
        self.as_f64().is_some()
    }

    /// The node as a data tree, for encoders that only read those
    /// (`protojson`); `None` for other trees.
    fn as_data(&self) -> Option<&Data> {
        None
    }

    /// Calls `f` on each entry of an object in key order, up to its first
    /// error; `None` for other nodes. Trees that can lend their entries
    /// without collecting them say so (the decoding checks walk every
    /// object).
    fn try_entries(&self, f: &mut dyn FnMut(&str, &Self) -> Result<(), String>) -> Option<Result<(), String>> {
        let entries = self.entries()?;
        Some(entries.into_iter().try_for_each(|(key, value)| f(key, value)))
    }

    /// A number's value when the tree holds it as an integer, so that a
    /// range check needs no text; `None` leaves it to `number_text`.
    fn exact_integer(&self) -> Option<i128> {
        None
    }

    /// An integer's value, exact when the text is an integer.
    fn as_i64(&self) -> Option<i64> {
        let text = self.number_text()?;
        text.parse::<i64>().ok().or_else(|| self.as_f64().map(|f| f as i64))
    }
}

fn go_float_text(f: f64) -> String {
    let mut out = Vec::new();
    if write_json_float(&mut out, f, false).is_err() {
        return f.to_string();
    }
    String::from_utf8(out).unwrap_or_default()
}

impl JsonNode for Data {
    fn is_null(&self) -> bool {
        matches!(self, Data::Null)
    }

    fn as_data(&self) -> Option<&Data> {
        Some(self)
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Data::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Data::Number(f) => Some(*f),
            Data::JsonNumber(s) => injit_strconv::parse_float(s.as_bytes()).ok(),
            _ => None,
        }
    }

    fn number_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Data::Number(f) => Some(Cow::Owned(go_float_text(*f))),
            Data::JsonNumber(s) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Data::String(s) => Some(s),
            _ => None,
        }
    }

    fn as_slice(&self) -> Option<&[Data]> {
        match self {
            Data::Array(items) => Some(items),
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&Data> {
        match self {
            Data::Object(o) => o.get(key.as_bytes()),
            _ => None,
        }
    }

    fn entries(&self) -> Option<Vec<(&str, &Data)>> {
        match self {
            Data::Object(o) => Some(o.iter().collect()),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Data::Array(items) => items.len(),
            Data::Object(o) => o.len(),
            _ => 0,
        }
    }

    fn is_object(&self) -> bool {
        matches!(self, Data::Object(_))
    }

    /// What the default gives, without formatting and parsing the text: a
    /// float's shortest text is its integer digits exactly when it is an
    /// integer below 1e21, and otherwise the default converts the float.
    fn as_i64(&self) -> Option<i64> {
        match self {
            Data::Number(f) => Some(*f as i64),
            Data::JsonNumber(s) => s.parse::<i64>().ok().or_else(|| self.as_f64().map(|f| f as i64)),
            _ => None,
        }
    }
}

impl JsonNode for JsonValue {
    fn is_null(&self) -> bool {
        self.is_null()
    }

    fn as_bool(&self) -> Option<bool> {
        self.as_bool()
    }

    fn as_f64(&self) -> Option<f64> {
        self.as_f64()
    }

    fn number_text(&self) -> Option<Cow<'_, str>> {
        let JsonValue::Number(n) = self else { return None };
        Some(Cow::Owned(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => go_float_text(f),
            _ => n.to_string(),
        }))
    }

    fn as_str(&self) -> Option<&str> {
        self.as_str()
    }

    fn as_slice(&self) -> Option<&[JsonValue]> {
        self.as_array().map(Vec::as_slice)
    }

    fn get(&self, key: &str) -> Option<&JsonValue> {
        self.as_object()?.get(key)
    }

    fn entries(&self) -> Option<Vec<(&str, &JsonValue)>> {
        self.as_object().map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }

    fn try_entries(&self, f: &mut dyn FnMut(&str, &JsonValue) -> Result<(), String>) -> Option<Result<(), String>> {
        Some(self.as_object()?.iter().try_for_each(|(key, value)| f(key, value)))
    }

    fn exact_integer(&self) -> Option<i128> {
        let JsonValue::Number(n) = self else { return None };
        n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from))
    }

    fn len(&self) -> usize {
        match self {
            JsonValue::Array(items) => items.len(),
            JsonValue::Object(m) => m.len(),
            _ => 0,
        }
    }

    fn is_object(&self) -> bool {
        self.is_object()
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            JsonValue::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            _ => None,
        }
    }
}

/// Where the encoder writes.
pub trait JsonSink {
    fn null(&mut self);
    fn bool(&mut self, b: bool);
    fn int(&mut self, i: i64);
    fn uint(&mut self, u: u64);
    fn float(&mut self, f: f64, bits32: bool) -> Result<(), String>;
    /// A number written as given (`json.Number`).
    fn number_text(&mut self, text: &str);
    fn string(&mut self, s: &str);
    fn begin_array(&mut self);
    fn end_array(&mut self);
    fn begin_object(&mut self);
    fn key(&mut self, key: &str);
    fn end_object(&mut self);
    /// What a `MarshalJSON` method returned (valid, compact JSON): Go
    /// copies it in, escaping as it escapes its own strings.
    fn marshaled(&mut self, json: &[u8]);
}

/// Writes an untyped node (an `interface{}` value) as `encoding/json` does.
pub fn write_generic<N: JsonNode, S: JsonSink>(sink: &mut S, node: &N) -> Result<(), String> {
    if node.is_null() {
        sink.null();
    } else if let Some(b) = node.as_bool() {
        sink.bool(b);
    } else if let Some(s) = node.as_str() {
        sink.string(s);
    } else if let Some(items) = node.as_slice() {
        sink.begin_array();
        for item in items {
            write_generic(sink, item)?;
        }
        sink.end_array();
    } else if let Some(entries) = node.entries() {
        sink.begin_object();
        for (k, v) in entries {
            sink.key(k);
            write_generic(sink, v)?;
        }
        sink.end_object();
    } else if let Some(text) = node.number_text() {
        sink.number_text(&text);
    } else {
        sink.null();
    }
    Ok(())
}

/// JSON text, as `json.Marshal` writes it (`html`: escape `<`, `>`, `&`).
pub struct TextSink<'o> {
    out: &'o mut Vec<u8>,
    html: bool,
    /// Per open container: whether a separator is due before the next
    /// element, and whether a key was just written.
    stack: Vec<(bool, bool)>,
}

impl<'o> TextSink<'o> {
    pub fn new(out: &'o mut Vec<u8>, html: bool) -> TextSink<'o> {
        TextSink { out, html, stack: Vec::new() }
    }

    fn element(&mut self) {
        if let Some((comma, after_key)) = self.stack.last_mut() {
            if *after_key {
                *after_key = false;
                return;
            }
            if *comma {
                self.out.push(b',');
            }
            *comma = true;
        }
    }
}

impl JsonSink for TextSink<'_> {
    fn null(&mut self) {
        self.element();
        self.out.extend_from_slice(b"null");
    }

    fn bool(&mut self, b: bool) {
        self.element();
        self.out.extend_from_slice(if b { b"true" } else { b"false" });
    }

    fn int(&mut self, i: i64) {
        self.element();
        self.out.extend_from_slice(i.to_string().as_bytes());
    }

    fn uint(&mut self, u: u64) {
        self.element();
        self.out.extend_from_slice(u.to_string().as_bytes());
    }

    fn float(&mut self, f: f64, bits32: bool) -> Result<(), String> {
        self.element();
        write_json_float(self.out, f, bits32)
    }

    fn number_text(&mut self, text: &str) {
        self.element();
        self.out.extend_from_slice(text.as_bytes());
    }

    fn string(&mut self, s: &str) {
        self.element();
        write_json_string(self.out, s.as_bytes(), self.html);
    }

    fn begin_array(&mut self) {
        self.element();
        self.out.push(b'[');
        self.stack.push((false, false));
    }

    fn end_array(&mut self) {
        self.stack.pop();
        self.out.push(b']');
    }

    fn begin_object(&mut self) {
        self.element();
        self.out.push(b'{');
        self.stack.push((false, false));
    }

    fn key(&mut self, key: &str) {
        self.element();
        write_json_string(self.out, key.as_bytes(), self.html);
        self.out.push(b':');
        if let Some(top) = self.stack.last_mut() {
            top.1 = true;
        }
    }

    fn end_object(&mut self) {
        self.stack.pop();
        self.out.push(b'}');
    }

    fn marshaled(&mut self, json: &[u8]) {
        self.element();
        compact_into(self.out, json, self.html);
    }
}

/// `encoding/json`'s `compact` of a marshaler's output: `<`, `>` and `&`
/// in strings escaped when `html`, U+2028 and U+2029 always.
fn compact_into(out: &mut Vec<u8>, json: &[u8], html: bool) {
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            } else if html && matches!(b, b'<' | b'>' | b'&') {
                out.extend_from_slice(format!("\\u00{b:02x}").as_bytes());
                i += 1;
                continue;
            } else if b == 0xE2 && json.get(i + 1) == Some(&0x80) && matches!(json.get(i + 2), Some(0xA8 | 0xA9)) {
                out.extend_from_slice(if json[i + 2] == 0xA8 { b"\\u2028" } else { b"\\u2029" });
                i += 3;
                continue;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        out.push(b);
        i += 1;
    }
}

/// A `serde_json::Value` tree.
#[derive(Default)]
pub struct ValueSink {
    stack: Vec<Frame>,
    result: Option<JsonValue>,
}

enum Frame {
    Array(Vec<JsonValue>),
    Object(Map<String, JsonValue>, Option<String>),
}

impl ValueSink {
    pub fn new() -> ValueSink {
        ValueSink::default()
    }

    /// The tree written.
    pub fn finish(self) -> JsonValue {
        self.result.unwrap_or(JsonValue::Null)
    }

    fn put(&mut self, value: JsonValue) {
        match self.stack.last_mut() {
            None => self.result = Some(value),
            Some(Frame::Array(items)) => items.push(value),
            Some(Frame::Object(map, key)) => {
                map.insert(key.take().unwrap_or_default(), value);
            }
        }
    }
}

impl JsonSink for ValueSink {
    fn null(&mut self) {
        self.put(JsonValue::Null);
    }

    fn bool(&mut self, b: bool) {
        self.put(JsonValue::Bool(b));
    }

    fn int(&mut self, i: i64) {
        self.put(JsonValue::from(i));
    }

    fn uint(&mut self, u: u64) {
        self.put(JsonValue::from(u));
    }

    fn float(&mut self, f: f64, _bits32: bool) -> Result<(), String> {
        let number = Number::from_f64(f).ok_or_else(|| format!("json: unsupported value: {f}"))?;
        self.put(JsonValue::Number(number));
        Ok(())
    }

    fn number_text(&mut self, text: &str) {
        let value = text
            .parse::<i64>()
            .map(JsonValue::from)
            .or_else(|_| text.parse::<u64>().map(JsonValue::from))
            .unwrap_or_else(|_| {
                text.parse::<f64>().ok().and_then(Number::from_f64).map_or(JsonValue::Null, JsonValue::Number)
            });
        self.put(value);
    }

    fn string(&mut self, s: &str) {
        self.put(JsonValue::String(s.to_owned()));
    }

    fn begin_array(&mut self) {
        self.stack.push(Frame::Array(Vec::new()));
    }

    fn end_array(&mut self) {
        if let Some(Frame::Array(items)) = self.stack.pop() {
            self.put(JsonValue::Array(items));
        }
    }

    fn begin_object(&mut self) {
        self.stack.push(Frame::Object(Map::new(), None));
    }

    fn key(&mut self, key: &str) {
        if let Some(Frame::Object(_, k)) = self.stack.last_mut() {
            *k = Some(key.to_owned());
        }
    }

    fn end_object(&mut self) {
        if let Some(Frame::Object(map, _)) = self.stack.pop() {
            self.put(JsonValue::Object(map));
        }
    }

    fn marshaled(&mut self, json: &[u8]) {
        self.put(serde_json::from_slice(json).unwrap_or(JsonValue::Null));
    }
}

#[cfg(test)]
mod as_i64_tests {
    use super::*;

    #[test]
    fn data_numbers_convert_as_their_text_would() {
        let floats = [
            0.0,
            -0.0,
            1.5,
            -1.5,
            9080.0,
            -7.0,
            2f64.powi(53) + 2.0,
            9.2e18,
            9.3e18,
            -9.3e18,
            1e20,
            1e21,
            -1e22,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        for f in floats {
            let by_text = go_float_text(f).parse::<i64>().ok().or(Some(f as i64));
            assert_eq!(Data::Number(f).as_i64(), by_text, "{f}");
        }
    }
}
