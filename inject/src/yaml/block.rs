//! A fast reader for the YAML that injection templates render: block
//! mappings and sequences, plain and quoted one-line scalars, literal
//! block scalars and flow collections, in one document. It reads about
//! ten times faster than the full parser, which matters because every
//! injection parses the rendered sidecar.
//!
//! It declines (returns `None`) anything else — anchors, aliases, tags,
//! folded or multi-line scalars, merge keys, several documents, tabs,
//! control characters, anything it is unsure of — and the full parser
//! reads the text instead, errors included. What it accepts it must read
//! exactly as the full parser does; `tests` and the YAML corpus check it.

use injit_runtime::{Data, NumberMode, Object};
use serde_json::{Map, Value};

use super::read::{Scalar, key_text, resolve_plain, scalar_data};

/// What the reader builds: template `Data`, or the JSON trees the
/// injector merges (built directly, with no `Data` in between).
pub(crate) trait Tree: Sized {
    fn null() -> Self;
    fn string(s: String) -> Self;
    fn scalar(s: Scalar, numbers: NumberMode) -> Option<Self>;
    fn array(items: Vec<Self>) -> Self;
    /// Entries in document order; of repeated keys the last wins.
    fn object(entries: Vec<(Box<str>, Self)>) -> Self;
}

impl Tree for Data {
    fn null() -> Self {
        Data::Null
    }

    fn string(s: String) -> Self {
        Data::String(s.into())
    }

    fn scalar(s: Scalar, numbers: NumberMode) -> Option<Self> {
        scalar_data(s, numbers).ok()
    }

    fn array(items: Vec<Self>) -> Self {
        Data::Array(items.into_boxed_slice())
    }

    fn object(entries: Vec<(Box<str>, Self)>) -> Self {
        Data::Object(Object::new(entries))
    }
}

impl Tree for Value {
    fn null() -> Self {
        Value::Null
    }

    fn string(s: String) -> Self {
        Value::String(s)
    }

    fn scalar(s: Scalar, numbers: NumberMode) -> Option<Self> {
        match s {
            Scalar::Str(s) => Some(Value::String(s)),
            other => scalar_data(other, numbers).ok().map(crate::object::into_value),
        }
    }

    fn array(items: Vec<Self>) -> Self {
        Value::Array(items)
    }

    fn object(entries: Vec<(Box<str>, Self)>) -> Self {
        let mut map = Map::new();
        for (k, v) in entries {
            map.insert(k.into_string(), v);
        }
        Value::Object(map)
    }
}

/// Deeper nesting is left to the full parser (and its limit).
const MAX_DEPTH: usize = 200;

/// The one document of `text`, if the block reader can read it.
pub(crate) fn document<T: Tree>(text: &str, numbers: NumberMode) -> Option<T> {
    read(text, numbers, None).map(|(data, _)| data)
}

/// [`document`], with where each one-line scalar of the text sits: its
/// line, the column its text starts at, and its place in the tree. `None`
/// for the places when a mapping repeats a key (the last one wins, so a
/// key no longer names one line).
pub(crate) fn document_with_slots<T: Tree>(text: &str, numbers: NumberMode) -> Option<(T, Option<Slots>)> {
    read(text, numbers, Some(Slots::default()))
}

fn read<T: Tree>(text: &str, numbers: NumberMode, slots: Option<Slots>) -> Option<(T, Option<Slots>)> {
    if has_control(text) {
        return None;
    }
    let mut lines = Vec::new();
    for raw in text.split('\n') {
        if raw.starts_with("---") || raw.starts_with("...") || raw.starts_with('%') {
            return None;
        }
        let content = raw.trim_start_matches(' ');
        lines.push(Line { indent: raw.len() - content.len(), content, raw });
    }
    let mut reader = Block { lines, pos: 0, numbers, tree: std::marker::PhantomData::<T>, slots };
    let (indent, _) = reader.peek()?;
    let data = reader.node(indent, None, 0)?;
    // Nothing may follow the document's node.
    if reader.peek().is_some() {
        return None;
    }
    Some((data, reader.slots))
}

/// The scalar a one-line `text` reads as after `k: ` (or `- ` when
/// `in_sequence`), with nothing deeper after it: what [`document`] reads of
/// that line, without building and reading a document. `None` where the
/// text may read otherwise (a collection, a block scalar, a nested entry,
/// a comment or nothing), which is then the document reader's to say.
pub(crate) fn one_line_scalar<T: Tree>(text: &str, in_sequence: bool, numbers: NumberMode) -> Option<T> {
    let &first = text.as_bytes().first()?;
    if matches!(first, b' ' | b'#' | b'|' | b'[' | b'{') || text.contains('\n') || has_control(text) {
        return None;
    }
    // `- ` then a sequence or a mapping entry nests; after `k: ` the
    // scalar reader declines them.
    if in_sequence && (text == "-" || text.starts_with("- ") || is_mapping_entry(text)) {
        return None;
    }
    if first == b'"' || first == b'\'' {
        return quoted_alone(text).map(T::string);
    }
    T::scalar(resolve_plain(plain_block(text)?), numbers)
}

/// Tabs, carriage returns, control characters (C0, DEL, C1) and byte
/// order marks: the full parser's business.
fn has_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    let control = |i: usize, b: u8| {
        (b < 0x20 && b != b'\n')
            || b == 0x7f
            || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
            || (b == 0xef && bytes.get(i + 1) == Some(&0xbb) && bytes.get(i + 2) == Some(&0xbf))
            // U+2028 and U+2029, which go-yaml reads as line breaks.
            || (b == 0xe2 && bytes.get(i + 1) == Some(&0x80) && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)))
    };
    bytes.iter().enumerate().any(|(i, &b)| control(i, b))
}

/// Where the scalars of a document that sit on lines of their own (one
/// line, or a literal block's) are.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    /// The mapping keys the paths name.
    pub(crate) keys: Vec<Box<str>>,
    /// The steps of every path, one after another.
    pub(crate) steps: Vec<Step>,
    /// Each scalar: its line, the column its text starts at, and its
    /// path (a range of `steps`).
    pub(crate) scalars: Vec<ScalarSlot>,
    /// The path to the node being read.
    path: Vec<Step>,
}

/// One step of a path into the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// The entry whose key is `keys[i]`.
    Key(u32),
    /// The sequence's element.
    Index(u32),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ScalarSlot {
    /// The line its text starts on, and the line after its last (more
    /// than one for a literal block scalar).
    pub(crate) line: u32,
    pub(crate) end: u32,
    /// Whether it ends the document (a literal block's chomping differs
    /// there).
    pub(crate) last: bool,
    /// Where its text starts on its first line.
    pub(crate) column: u32,
    /// Its path: a range of `Slots::steps`.
    pub(crate) steps: (u32, u32),
}

#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    /// The line after its indentation (for a sequence entry's content,
    /// after the `- `).
    content: &'a str,
    raw: &'a str,
}

struct Block<'a, T> {
    lines: Vec<Line<'a>>,
    pos: usize,
    numbers: NumberMode,
    tree: std::marker::PhantomData<T>,
    /// Where one-line scalars sit, when asked for and still known.
    slots: Option<Slots>,
}

fn is_blank_or_comment(content: &str) -> bool {
    content.is_empty() || content.starts_with('#')
}

impl<'a, T: Tree> Block<'a, T> {
    /// The next line with content: its indentation and text.
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        while let Some(line) = self.lines.get(self.pos) {
            if !is_blank_or_comment(line.content) {
                return Some((line.indent, line.content));
            }
            self.pos += 1;
        }
        None
    }

    /// The node whose first line is the next content line, at `indent`;
    /// `parent` is the indentation of the collection holding it (block
    /// scalars and flow continuations must be deeper).
    fn node(&mut self, indent: usize, parent: Option<usize>, depth: usize) -> Option<T> {
        if depth > MAX_DEPTH {
            return None;
        }
        let (_, content) = self.peek()?;
        if content == "-" || content.starts_with("- ") {
            return self.sequence(indent, depth);
        }
        // (The key itself is read by `mapping`, which declines what
        // `mapping_key` would.)
        if is_mapping_entry(content) {
            return self.mapping(indent, depth);
        }
        // A scalar or flow node on a line of its own.
        self.pos += 1;
        // A flow collection in a sequence entry continues deeper than the
        // `-`; one at the top, at or deeper than its own column.
        let flow_min = parent.map_or(indent, |p| p + 1);
        let value = self.inline(content, parent.unwrap_or(indent).min(indent), flow_min, depth)?;
        Some(value)
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<T> {
        let mut items = Vec::new();
        while let Some((at, content)) = self.peek() {
            if at < indent {
                break;
            }
            if at > indent {
                return None;
            }
            let rest = if content == "-" {
                ""
            } else if let Some(rest) = content.strip_prefix("- ") {
                rest
            } else {
                // The parent mapping goes on (`key:\n- a\nnext: b`).
                break;
            };
            let item_text = rest.trim_start_matches(' ');
            self.enter(Step::Index(u32::try_from(items.len()).ok()?));
            if is_blank_or_comment(item_text) {
                self.pos += 1;
                items.push(self.nested(indent, depth)?);
                self.leave();
                continue;
            }
            // The entry's content is a node at its own column.
            let column = indent + (content.len() - item_text.len());
            let line = &mut self.lines[self.pos];
            line.indent = column;
            line.content = item_text;
            items.push(self.node(column, Some(indent), depth + 1)?);
            self.leave();
        }
        Some(T::array(items))
    }

    /// The value of an entry with nothing after its indicator: a deeper
    /// node, or null.
    fn nested(&mut self, indent: usize, depth: usize) -> Option<T> {
        match self.peek() {
            Some((at, _)) if at > indent => self.node(at, Some(indent), depth + 1),
            _ => Some(T::null()),
        }
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<T> {
        let mut entries: Vec<(Box<str>, T)> = Vec::new();
        while let Some((at, content)) = self.peek() {
            if at < indent {
                break;
            }
            if at > indent {
                return None;
            }
            let (key, rest) = mapping_key(content)??;
            self.pos += 1;
            let rest = rest.trim_start_matches(' ');
            if let Some(slots) = &mut self.slots {
                let at = u32::try_from(slots.keys.len()).ok()?;
                slots.keys.push(key.clone());
                slots.path.push(Step::Key(at));
            }
            let value = if is_blank_or_comment(rest) {
                match self.peek() {
                    Some((at, _)) if at > indent => self.node(at, Some(indent), depth + 1)?,
                    // A sequence may sit at its key's indentation.
                    Some((at, c)) if at == indent && (c == "-" || c.starts_with("- ")) => {
                        self.sequence(indent, depth + 1)?
                    }
                    _ => T::null(),
                }
            } else {
                // Go's parser lets a closing bracket sit at the key's column.
                self.inline(rest, indent, indent, depth + 1)?
            };
            self.leave();
            entries.push((key, value));
        }
        // A repeated key names two lines, and the tree holds the last.
        if self.slots.is_some() && has_repeated_key(&entries) {
            self.slots = None;
        }
        Some(T::object(entries))
    }

    /// A value written on the line after `key: ` or `- ` (or alone):
    /// a literal block scalar, a flow collection, a quoted or a plain
    /// scalar. `parent` is the indentation its continuation lines must
    /// exceed.
    fn inline(&mut self, text: &'a str, parent: usize, flow_min: usize, depth: usize) -> Option<T> {
        // The line just read (before continuation checks move on).
        let line = self.pos - 1;
        match text.as_bytes()[0] {
            b'|' => {
                let value = self.literal(text, parent)?;
                let end = self.pos;
                self.record_lines(line, end, text);
                Some(value)
            }
            b'[' | b'{' => {
                let joined = self.flow_text(text, flow_min)?;
                let mut flow =
                    Flow { s: joined.as_bytes(), i: 0, numbers: self.numbers, tree: std::marker::PhantomData::<T> };
                let data = flow.node(depth)?;
                // What follows the collection must be a comment on its last
                // line, never more lines.
                while flow.s.get(flow.i) == Some(&b' ') {
                    flow.i += 1;
                }
                if flow.i != flow.s.len() && (!flow.rest_is_comment() || flow.s[flow.i..].contains(&b'\n')) {
                    return None;
                }
                self.no_continuation(parent)?;
                Some(data)
            }
            b'"' | b'\'' => {
                let value = quoted_alone(text)?;
                self.no_continuation(parent)?;
                self.record(line, text);
                Some(T::string(value))
            }
            _ => {
                let value = plain_block(text)?;
                self.no_continuation(parent)?;
                self.record(line, text);
                T::scalar(resolve_plain(value), self.numbers)
            }
        }
    }

    /// Goes one step into the tree (for the slots' paths).
    fn enter(&mut self, step: Step) {
        if let Some(slots) = &mut self.slots {
            slots.path.push(step);
        }
    }

    fn leave(&mut self) {
        if let Some(slots) = &mut self.slots {
            slots.path.pop();
        }
    }

    /// Records the one-line scalar whose text, `text`, ends line `line`.
    fn record(&mut self, line: usize, text: &str) {
        self.record_lines(line, line + 1, text);
    }

    /// Records the scalar on lines `line..end` whose text starts with
    /// `text` (which ends line `line`).
    fn record_lines(&mut self, line: usize, end: usize, text: &str) {
        let raw = self.lines[line].raw;
        let last = end == self.lines.len();
        let Some(slots) = &mut self.slots else { return };
        let (Ok(line), Ok(end), Ok(column), Ok(start)) = (
            u32::try_from(line),
            u32::try_from(end),
            u32::try_from(raw.len() - text.len()),
            u32::try_from(slots.steps.len()),
        ) else {
            self.slots = None;
            return;
        };
        slots.steps.extend_from_slice(&slots.path);
        let steps = (start, start + slots.path.len() as u32);
        slots.scalars.push(ScalarSlot { line, end, last, column, steps });
    }

    /// A one-line scalar must not be followed by deeper lines (they would
    /// continue it, which this reader leaves to the full parser).
    fn no_continuation(&mut self, parent: usize) -> Option<()> {
        match self.peek() {
            Some((at, _)) if at > parent => None,
            _ => Some(()),
        }
    }

    /// `|`, `|-` or `|+` and the lines deeper than `parent` that follow.
    fn literal(&mut self, header: &str, parent: usize) -> Option<T> {
        let chomp = match header.trim_end_matches(' ') {
            "|" => Chomp::Clip,
            "|-" => Chomp::Strip,
            "|+" => Chomp::Keep,
            _ => return None,
        };
        // The first non-empty line sets the block's indentation.
        let mut block_indent = None;
        let mut end = self.pos;
        let mut leading_blank_max = 0;
        while let Some(line) = self.lines.get(end) {
            if line.content.is_empty() {
                if block_indent.is_none() {
                    leading_blank_max = leading_blank_max.max(line.raw.len());
                }
                end += 1;
                continue;
            }
            match block_indent {
                None if line.indent > parent => block_indent = Some(line.indent),
                None => break,
                Some(b) if line.indent >= b => {}
                Some(_) => break,
            }
            end += 1;
        }
        let Some(block_indent) = block_indent else {
            // An empty block scalar.
            return None;
        };
        if leading_blank_max > block_indent {
            return None;
        }
        // Trailing empty lines belong to chomping; the block ends at the
        // last content line.
        let mut last = end;
        while last > self.pos && self.lines[last - 1].content.is_empty() {
            last -= 1;
        }
        let mut text = String::new();
        for line in &self.lines[self.pos..last] {
            text.push_str(line.raw.get(block_indent..).unwrap_or(""));
            text.push('\n');
        }
        // Whitespace-only trailing lines deeper than the block hold
        // content: left to the full parser.
        if self.lines[last..end].iter().any(|l| l.raw.len() > block_indent) {
            return None;
        }
        let trailing = end - last;
        // The final line of the stream has no newline after it.
        let at_end = end == self.lines.len();
        if at_end && !self.lines[end - 1].raw.is_empty() && end > last {
            // Spaces at the very end of the stream: the full parser's case.
            return None;
        }
        match chomp {
            Chomp::Strip => {
                text.pop();
            }
            Chomp::Clip => {}
            Chomp::Keep => {
                let breaks = if at_end { trailing.saturating_sub(1) } else { trailing };
                for _ in 0..breaks {
                    text.push('\n');
                }
            }
        }
        self.pos = end;
        Some(T::string(text))
    }

    /// A flow collection's text, joined over the lines it spans (each
    /// continuation at least `min_indent` deep).
    fn flow_text(&mut self, first: &'a str, min_indent: usize) -> Option<String> {
        // Lines are joined with their breaks: a plain scalar may not span
        // them here (YAML would fold it), only whitespace between tokens.
        let mut joined = String::from(first);
        let mut state = Balance::default();
        state.feed(first)?;
        while !state.closed() {
            let line = self.lines.get(self.pos)?;
            let content = line.content;
            if content.is_empty() {
                self.pos += 1;
                joined.push('\n');
                continue;
            }
            // Nothing in a flow collection may start at the first column.
            if line.indent < min_indent.max(1) || content.starts_with('#') {
                return None;
            }
            state.feed(content)?;
            joined.push('\n');
            joined.push_str(content);
            self.pos += 1;
        }
        Some(joined)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// Bracket depth across the lines of a flow collection (quotes must close
/// on their line).
#[derive(Default)]
struct Balance {
    depth: i32,
    started: bool,
    /// The last character that was not a space, across lines.
    last: u8,
}

impl Balance {
    fn feed(&mut self, text: &str) -> Option<()> {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'[' | b'{' => {
                    self.depth += 1;
                    self.started = true;
                }
                b']' | b'}' => self.depth -= 1,
                b'"' | b'\'' => {
                    // A quote opens a scalar only where a token starts; in
                    // the middle of a plain word it is the full parser's.
                    if !matches!(self.last, b'[' | b'{' | b',' | b':') {
                        return None;
                    }
                    let (_, used) = quoted(&text[i..])?;
                    i += used;
                    self.last = b'"';
                    continue;
                }
                b'#' if i == 0 || bytes[i - 1] == b' ' => return None,
                _ => {}
            }
            if self.depth < 0 {
                return None;
            }
            if bytes[i] != b' ' {
                self.last = bytes[i];
            }
            i += 1;
        }
        Some(())
    }

    fn closed(&self) -> bool {
        self.started && self.depth == 0
    }
}

fn has_repeated_key<T>(entries: &[(Box<str>, T)]) -> bool {
    let mut keys: Vec<&str> = entries.iter().map(|(k, _)| &**k).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

/// Whether `content` starts a mapping entry (a plain key and `: `), as
/// `mapping_key` would find, without reading the key; quoted keys are
/// read.
fn is_mapping_entry(content: &str) -> bool {
    match content.as_bytes()[0] {
        b'"' | b'\'' => mapping_key(content).is_none_or(|entry| entry.is_some()),
        b'[' | b'{' | b'|' | b'>' | b'#' => false,
        _ => key_end(content).is_some(),
    }
}

/// Where a plain key ends: at the first `: ` (or a final `:`) outside a
/// comment.
fn key_end(content: &str) -> Option<usize> {
    let bytes = content.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && i > 0 && bytes[i - 1] == b' ' {
            return None;
        }
        if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            return Some(i);
        }
    }
    None
}

/// `key: rest` of a block mapping line: `Some(None)` when the line is no
/// mapping entry, `None` when it is one this reader does not read.
#[allow(clippy::option_option)]
fn mapping_key(content: &str) -> Option<Option<(Box<str>, &str)>> {
    let first = content.as_bytes()[0];
    if first == b'"' || first == b'\'' {
        let Some((key, used)) = quoted(content) else { return Some(None) };
        let after = &content[used..];
        let after = after.trim_start_matches(' ');
        return match after.strip_prefix(':') {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => Some(Some((key.into(), rest))),
            _ => Some(None),
        };
    }
    if matches!(first, b'[' | b'{' | b'|' | b'>' | b'#') {
        return Some(None);
    }
    let Some(split) = key_end(content) else { return Some(None) };
    let key = content[..split].trim_end_matches(' ');
    // Implicit keys longer than 1024 characters are an error to YAML.
    if key.is_empty() || key.len() > 1000 || starts_with_indicator(key) || key == "<<" || key.contains(" #") {
        return None;
    }
    let key = key_text(resolve_plain(key)).ok()?;
    Some(Some((key, &content[split + 1..])))
}

fn starts_with_indicator(text: &str) -> bool {
    let b = text.as_bytes()[0];
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    ) && !(b == b'-' && text.len() > 1 && text.as_bytes()[1] != b' ')
}

/// A plain scalar in block context: the text up to a comment, which must
/// not hold `: ` (the full parser's error) nor start with an indicator.
fn plain_block(text: &str) -> Option<&str> {
    let mut end = text.len();
    if let Some(i) = text.find(" #") {
        end = i;
    }
    let value = text[..end].trim_end_matches(' ');
    if value.is_empty() || starts_with_indicator(value) || value.contains(": ") || value.ends_with(':') {
        return None;
    }
    Some(value)
}

/// A quoted scalar that is all of `text` but for spaces and a comment
/// (`#` after a space) after it.
fn quoted_alone(text: &str) -> Option<String> {
    let (value, used) = quoted(text)?;
    let after = text[used..].trim_start_matches(' ');
    if !is_blank_or_comment(after) || (after.starts_with('#') && used == text.len() - after.len()) {
        return None;
    }
    Some(value)
}

/// A quoted scalar at the start of `text`: its value and the bytes it
/// used. `None` when it does not close on the line or uses an escape this
/// reader does not know.
fn quoted(text: &str) -> Option<(String, usize)> {
    let quote = text.as_bytes()[0];
    let mut out = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if quote == b'\'' => {
                if text[i + 1..].starts_with('\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                return Some((out, i + 1));
            }
            '"' if quote == b'"' => return Some((out, i + 1)),
            '\\' if quote == b'"' => {
                let (_, e) = chars.next()?;
                let hex = |chars: &mut std::iter::Skip<std::str::CharIndices<'_>>, n: usize| {
                    let mut v = 0u32;
                    for _ in 0..n {
                        v = v * 16 + chars.next()?.1.to_digit(16)?;
                    }
                    char::from_u32(v)
                };
                out.push(match e {
                    '0' => '\0',
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    't' => '\t',
                    'n' => '\n',
                    'v' => '\u{b}',
                    'f' => '\u{c}',
                    'r' => '\r',
                    'e' => '\u{1b}',
                    ' ' => ' ',
                    '"' => '"',
                    '/' => '/',
                    '\\' => '\\',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    'x' => hex(&mut chars, 2)?,
                    'u' => hex(&mut chars, 4)?,
                    'U' => hex(&mut chars, 8)?,
                    _ => return None,
                });
            }
            c => out.push(c),
        }
    }
    None
}

/// A flow collection, once its text is on one line.
struct Flow<'s, T> {
    s: &'s [u8],
    i: usize,
    numbers: NumberMode,
    tree: std::marker::PhantomData<T>,
}

impl<T: Tree> Flow<'_, T> {
    /// Spaces and line breaks between tokens.
    fn skip_spaces(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\n')) {
            self.i += 1;
        }
    }

    fn rest_is_comment(&self) -> bool {
        self.s.get(self.i) == Some(&b'#') && self.i > 0 && self.s[self.i - 1] == b' '
    }

    fn text(&self, from: usize, to: usize) -> &str {
        std::str::from_utf8(&self.s[from..to]).unwrap_or("")
    }

    /// The items of a flow collection opened at the current byte and closed
    /// by `close`: `item` reads one, commas separate them.
    fn flow_items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.i += 1;
        loop {
            self.skip_spaces();
            if self.s.get(self.i) == Some(&close) {
                self.i += 1;
                return Some(());
            }
            item(self)?;
            self.skip_spaces();
            match *self.s.get(self.i)? {
                b',' => self.i += 1,
                b if b == close => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn node(&mut self, depth: usize) -> Option<T> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_spaces();
        match *self.s.get(self.i)? {
            b'[' => {
                let mut items = Vec::new();
                self.flow_items(b']', |reader| {
                    items.push(reader.node(depth + 1)?);
                    Some(())
                })?;
                Some(T::array(items))
            }
            b'{' => {
                let mut entries: Vec<(Box<str>, T)> = Vec::new();
                self.flow_items(b'}', |reader| {
                    let key = match reader.scalar()? {
                        (Scalar::Str(s), true) => s.into_boxed_str(),
                        (scalar, _) => key_text(scalar).ok()?,
                    };
                    if &*key == "<<" {
                        return None;
                    }
                    reader.skip_spaces();
                    if reader.s.get(reader.i) != Some(&b':') {
                        return None;
                    }
                    reader.i += 1;
                    entries.push((key, reader.node(depth + 1)?));
                    Some(())
                })?;
                Some(T::object(entries))
            }
            _ => {
                let (scalar, _) = self.scalar()?;
                // A single-pair mapping inside a sequence: not read here.
                self.skip_spaces();
                if self.s.get(self.i) == Some(&b':') {
                    return None;
                }
                T::scalar(scalar, self.numbers)
            }
        }
    }

    /// A scalar in flow context, and whether it was quoted.
    fn scalar(&mut self) -> Option<(Scalar, bool)> {
        self.skip_spaces();
        let start = self.i;
        match *self.s.get(self.i)? {
            b'"' | b'\'' => {
                let text = std::str::from_utf8(&self.s[start..]).ok()?;
                let (value, used) = quoted(text)?;
                self.i += used;
                Some((Scalar::Str(value), true))
            }
            b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b'?'
            | b':' => None,
            b'-' if self.s.get(self.i + 1).is_none_or(|b| b" ,[]{}".contains(b)) => None,
            _ => {
                while let Some(&b) = self.s.get(self.i) {
                    if matches!(b, b',' | b'[' | b']' | b'{' | b'}' | b'\n') {
                        break;
                    }
                    if b == b':' {
                        // `a:b` in flow context is left to the full parser.
                        if self.s.get(self.i + 1).is_some_and(|n| *n != b' ' && !b",]}".contains(n)) {
                            return None;
                        }
                        break;
                    }
                    if b == b'#' && self.s[self.i - 1] == b' ' {
                        return None;
                    }
                    self.i += 1;
                }
                let text = self.text(start, self.i).trim_end_matches(' ');
                if text.is_empty() {
                    return None;
                }
                Some((resolve_plain(text), false))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (Option<Data>, Data) {
        let full = super::super::read::full_documents(text, NumberMode::JsonNumber)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .into_iter()
            .next()
            .unwrap_or(Data::Null);
        let as_value: Option<Value> = document(text, NumberMode::JsonNumber);
        assert_eq!(as_value, Some(crate::object::from_data(&full)).filter(|_| as_value.is_some()), "{text:?}");
        (document(text, NumberMode::JsonNumber), full)
    }

    fn reads(text: &str) {
        let (fast, full) = both(text);
        assert_eq!(fast.as_ref(), Some(&full), "{text:?}");
    }

    fn declines(text: &str) {
        assert_eq!(document::<Data>(text, NumberMode::JsonNumber), None, "{text:?}");
    }

    #[test]
    fn reads_what_templates_render() {
        reads("a: 1\nb: two\nc:\n  d: [x, \"y\", 3]\n  e: {}\n");
        reads(
            "metadata:\n  annotations: {\n    a: \"1\",\n    b: 'x''y',\n  }\nspec:\n  containers:\n  - name: p\n    args:\n    - a\n    -  \"1337\" \n    env:\n    - name: X\n      value: |\n        line 1\n          line 2\n\n    - name: Y\n      value: |-\n        {\"a\": 1}\n",
        );
        reads("# comment\n\nlist:\n- a\n- - b\n  - c\n-\n  x: 1\n- \nnext: yes\n");
        reads(
            "a: 'single'   # comment\nb: \"esc \\\" \\n \\u00e9 \\x41\"\nc: ~\nd: 0777\ne: 1.5e3\nf: true\ng: -1\nh: -x\n",
        );
        reads("k: |+\n  keep\n\n\nz: 1\n");
        reads("k: |\n  clip\n\n\n");
        reads("- a\n- b\n");
        reads("just a scalar\n");
        reads("\"quoted\": 1\n'single': 2\n1: int key\ny: bool key\n");
        reads("a:\n  - x\n  - y\nb: [ ]\nc: { a: [1, {b: c}], d: \"e\" }\n");
        reads("resources:\n  limits:\n    cpu: 2000m\n    memory: 1024Mi\n  \n  requests:\n    cpu: 100m\n");
    }

    #[test]
    fn declines_what_it_does_not_read() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: >\n  folded\n",
            "a: multi\n  line plain\n",
            "a: \"open\n  quote\"\n",
            "--- \na: 1\n",
            "a: 1\n---\nb: 2\n",
            "<<: {a: 1}\n",
            "? complex\n: key\n",
            "a:\tb\n",
            "a: b: c\n",
            "[a, b]: c\n",
            "a: [b:c]\n",
            "a: |2\n   x\n",
            "m:\n  a: [x'y] #'\n  b: c]\n",
            "a: [b\n\n  c]\n",
            "a: [b   \n  c]\n",
            "",
            "# only a comment\n",
        ] {
            declines(text);
        }
    }

    #[test]
    fn agrees_with_the_full_parser_on_go_yamls_output() {
        // YAML written by go-yaml v2 for random values (the emitter's
        // conformance cases): the block reader must read exactly what the
        // full parser reads, or decline.
        let corpus = include_str!("../../../snapshots/tests/yaml/expected.jsonl");
        let mut read = 0;
        for line in corpus.lines() {
            let text: String = serde_json::from_str(line).expect("a JSON string");
            let Ok(full) = super::super::read::full_documents(&text, NumberMode::JsonNumber) else { continue };
            if let Some(fast) = document::<Data>(&text, NumberMode::JsonNumber) {
                assert_eq!(Some(&fast), full.first(), "{text:?}");
                let value: Option<Value> = document(&text, NumberMode::JsonNumber);
                assert_eq!(value, Some(crate::object::from_data(&fast)), "{text:?}");
                read += 1;
            }
        }
        eprintln!("block reader: {read} documents");
        assert!(read > 500, "the block reader read only {read} documents of the corpus");
    }

    #[test]
    fn mutated_documents_are_read_as_the_full_parser_reads_them_or_declined() {
        // Every document of the corpus, with one to three characters
        // deleted or YAML syntax characters inserted, 40 times: the block
        // reader must not panic, and whatever it accepts the full parser
        // must accept with the same value.
        let corpus = include_str!("../../../snapshots/tests/yaml/expected.jsonl");
        let inserts = [' ', '-', ':', '#', '"', '\'', '|', '[', ']', '{', '}', ',', '\n', 'a', '&', '*', '!', '?'];
        let mut mutations = super::super::mutations::Mutations::new(0x7777_1111);
        let (mut accepted, mut tried) = (0, 0);
        for line in corpus.lines() {
            let text: String = serde_json::from_str(line).expect("a JSON string");
            for _ in 0..40 {
                let edits = 1 + mutations.next() % 3;
                let mutated = mutations.mutate(&text, &inserts, edits);
                tried += 1;
                let Some(fast) = document::<Data>(&mutated, NumberMode::JsonNumber) else { continue };
                accepted += 1;
                let full = super::super::read::full_documents(&mutated, NumberMode::JsonNumber)
                    .unwrap_or_else(|e| panic!("accepted what the full parser refuses ({e}): {mutated:?}"));
                assert_eq!(Some(&fast), full.first(), "{mutated:?}");
            }
        }
        assert!(accepted > tried / 10, "{accepted} of {tried} accepted");
    }
}
