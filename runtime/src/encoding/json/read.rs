//! Decoding JSON text into [`Data`], as Go's `json.Unmarshal` into
//! `interface{}` does: its numbers, its strings (invalid UTF-8 and unpaired
//! surrogates become U+FFFD) and its error messages.

use crate::value::data::{Data, Object};

/// How JSON numbers are decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NumberMode {
    /// `float64`, Go's default.
    #[default]
    Float,
    /// `json.Number`, as with `Decoder.UseNumber`.
    JsonNumber,
}

/// A JSON document that Go's `encoding/json` would reject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub message: String,
    pub offset: usize,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JsonError {}

impl Data {
    /// Decodes JSON as Go's `json.Unmarshal` into `interface{}` does.
    pub fn from_json(text: &[u8], numbers: NumberMode) -> Result<Data, JsonError> {
        let mut reader = JsonReader { input: text, pos: 0, numbers, depth: 0 };
        reader.skip_space();
        let value = reader.value()?;
        reader.skip_space();
        if reader.pos != text.len() {
            return Err(reader.invalid("after top-level value"));
        }
        Ok(value)
    }
}

/// Go nests JSON at most this deep (`encoding/json`'s maxNestingDepth).
const MAX_DEPTH: usize = 10000;

struct JsonReader<'a> {
    input: &'a [u8],
    pos: usize,
    numbers: NumberMode,
    depth: usize,
}

/// Go's `quoteChar` in encoding/json's scanner errors.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        _ => {
            let q = injit_strconv::quote(&[c]);
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

impl JsonReader<'_> {
    fn error(&self, message: &str) -> JsonError {
        JsonError { message: message.to_owned(), offset: self.pos }
    }

    /// Go's scanner error for the byte at the current position, or
    /// "unexpected end of JSON input" at the end.
    fn invalid(&self, context: &str) -> JsonError {
        match self.input.get(self.pos) {
            None => self.error("unexpected end of JSON input"),
            Some(&c) => self.error(&format!("invalid character {} {context}", quote_char(c))),
        }
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], value: Data) -> Result<Data, JsonError> {
        let name = std::str::from_utf8(word).unwrap_or_default();
        for (i, &expected) in word.iter().enumerate() {
            match self.input.get(self.pos + i) {
                Some(&c) if c == expected => {}
                Some(_) => {
                    self.pos += i;
                    let want = expected as char;
                    return Err(self.invalid(&format!("in literal {name} (expecting '{want}')")));
                }
                None => {
                    self.pos += i;
                    return Err(self.error("unexpected end of JSON input"));
                }
            }
        }
        self.pos += word.len();
        Ok(value)
    }

    fn value(&mut self) -> Result<Data, JsonError> {
        match self.input.get(self.pos) {
            None => Err(self.error("unexpected end of JSON input")),
            Some(b'n') => self.literal(b"null", Data::Null),
            Some(b't') => self.literal(b"true", Data::Bool(true)),
            Some(b'f') => self.literal(b"false", Data::Bool(false)),
            Some(b'"') => Ok(Data::String(self.string()?.into_boxed_str())),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::object),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.invalid("looking for beginning of value")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Data, JsonError>) -> Result<Data, JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("exceeded max depth"));
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn array(&mut self) -> Result<Data, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.input.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Data::Array(items.into_boxed_slice()));
        }
        loop {
            self.skip_space();
            items.push(self.value()?);
            self.skip_space();
            match self.input.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Data::Array(items.into_boxed_slice()));
                }
                _ => return Err(self.invalid("after array element")),
            }
        }
    }

    fn object(&mut self) -> Result<Data, JsonError> {
        self.pos += 1;
        let mut entries = Vec::new();
        self.skip_space();
        if self.input.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Data::Object(Object::new(entries)));
        }
        loop {
            self.skip_space();
            if self.input.get(self.pos) != Some(&b'"') {
                return Err(self.invalid("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.skip_space();
            if self.input.get(self.pos) != Some(&b':') {
                return Err(self.invalid("after object key"));
            }
            self.pos += 1;
            self.skip_space();
            let value = self.value()?;
            entries.push((key.into_boxed_str(), value));
            self.skip_space();
            match self.input.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Data::Object(Object::new(entries)));
                }
                _ => return Err(self.invalid("after object key:value pair")),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.input.get(self.pos..self.pos + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        let v = u32::from_str_radix(text, 16).ok()?;
        self.pos += 4;
        Some(v)
    }

    /// A JSON string; invalid UTF-8 and unpaired surrogates become U+FFFD,
    /// as Go decodes them.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let start = self.pos;
            while let Some(&b) = self.input.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.extend_from_slice(&self.input[start..self.pos]);
            match self.input.get(self.pos) {
                None => return Err(self.error("unexpected end of JSON input")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(&esc) = self.input.get(self.pos) else {
                        return Err(self.error("unexpected end of JSON input"));
                    };
                    self.pos += 1;
                    let simple = match esc {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(0x08),
                        b'f' => Some(0x0c),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => {
                            self.pos -= 1;
                            return Err(self.invalid("in string escape code"));
                        }
                    };
                    if let Some(b) = simple {
                        out.push(b);
                        continue;
                    }
                    let Some(first) = self.hex4() else {
                        while self.input.get(self.pos).is_some_and(u8::is_ascii_hexdigit) {
                            self.pos += 1;
                        }
                        return Err(self.invalid("in \\u hexadecimal character escape"));
                    };
                    let mut ch = char::from_u32(first);
                    if (0xD800..0xDC00).contains(&first) {
                        let save = self.pos;
                        let low = if self.input[self.pos..].starts_with(b"\\u") {
                            self.pos += 2;
                            self.hex4()
                        } else {
                            None
                        };
                        match low {
                            Some(low) if (0xDC00..0xE000).contains(&low) => {
                                ch = char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00));
                            }
                            _ => self.pos = save,
                        }
                    }
                    let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                Some(_) => return Err(self.invalid("in string literal")),
            }
        }
    }

    fn number(&mut self) -> Result<Data, JsonError> {
        let start = self.pos;
        let bytes = self.input;
        let digits = |pos: &mut usize| {
            let s = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos > s
        };
        let mut pos = self.pos;
        if bytes.get(pos) == Some(&b'-') {
            pos += 1;
        }
        if bytes.get(pos) == Some(&b'0') {
            pos += 1;
        } else if !digits(&mut pos) {
            self.pos = pos;
            return Err(self.invalid("in numeric literal"));
        }
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            if !digits(&mut pos) {
                self.pos = pos;
                return Err(self.invalid("after decimal point in numeric literal"));
            }
        }
        if let Some(b'e' | b'E') = bytes.get(pos) {
            pos += 1;
            if let Some(b'+' | b'-') = bytes.get(pos) {
                pos += 1;
            }
            if !digits(&mut pos) {
                self.pos = pos;
                return Err(self.invalid("in exponent of numeric literal"));
            }
        }
        self.pos = pos;
        let text = std::str::from_utf8(&bytes[start..pos]).unwrap_or("0");
        match self.numbers {
            NumberMode::JsonNumber => Ok(Data::JsonNumber(text.into())),
            NumberMode::Float => match injit_strconv::parse_float(text.as_bytes()) {
                Ok(v) => Ok(Data::Number(v)),
                Err(_) => Err(JsonError {
                    message: format!("json: cannot unmarshal number {text} into Go value of type float64"),
                    offset: start,
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_go() {
        let d = Data::from_json(br#"{"b": 1, "a": [true, null, "x\u00e9\ud83d\ude00"], "b": 2.5}"#, NumberMode::Float)
            .unwrap();
        let Data::Object(o) = d else { panic!() };
        assert_eq!(o.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(o.get(b"b"), Some(&Data::Number(2.5)));
        assert_eq!(Data::from_json(br#""\ud800x""#, NumberMode::Float).unwrap(), Data::String("\u{FFFD}x".into()));
        assert_eq!(Data::from_json(b"1.0", NumberMode::JsonNumber).unwrap(), Data::JsonNumber("1.0".into()));
        assert!(Data::from_json(b"1e400", NumberMode::Float).is_err());
        assert!(Data::from_json(b"[1,]", NumberMode::Float).is_err());
        assert!(Data::from_json(b"01", NumberMode::Float).is_err());
    }
}
