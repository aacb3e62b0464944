//! sprig's regular-expression functions over Go's RE2 syntax.
//!
//! Rust's `regex` crate shares RE2's syntax and leftmost-first semantics;
//! where the two differ (Perl classes `\d \w \s \b` are ASCII in Go), the
//! pattern is translated before compiling.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::cast::string_slice;
use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::value::Value;

/// Rewrites Go's ASCII-only Perl classes for Rust's Unicode-aware ones.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (e, in_class) {
                    ('d', false) => "[0-9]",
                    ('D', false) => "[^0-9]",
                    ('w', false) => "[0-9A-Za-z_]",
                    ('W', false) => "[^0-9A-Za-z_]",
                    ('s', false) => "[\\t\\n\\f\\r ]",
                    ('S', false) => "[^\\t\\n\\f\\r ]",
                    ('b', false) => "(?-u:\\b)",
                    ('B', false) => "(?-u:\\B)",
                    ('d', true) => "0-9",
                    ('w', true) => "0-9A-Za-z_",
                    ('s', true) => "\\t\\n\\f\\r ",
                    ('D', true) => "[:^digit:]",
                    ('W', true) => "[:^word:]",
                    ('S', true) => "[:^space:]",
                    _ => {
                        out.push('\\');
                        out.push(e);
                        continue;
                    }
                };
                out.push_str(replacement);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push(chars.next().unwrap_or(']'));
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // A POSIX class inside a class: copy through its end.
                out.push('[');
                for c in chars.by_ref() {
                    out.push(c);
                    if c == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Go's wording of a syntax error, from Rust's.
fn go_error(pattern: &str, err: &regex::Error) -> String {
    let text = err.to_string();
    let what = if text.contains("unclosed group") {
        format!("missing closing ): `{pattern}`")
    } else if text.contains("unopened group") {
        format!("unexpected ): `{pattern}`")
    } else if text.contains("unclosed character class") {
        let at = pattern.rfind('[').map_or(pattern, |i| &pattern[i..]);
        format!("missing closing ]: `{at}`")
    } else if text.contains("repetition operator missing expression") {
        let op = pattern.chars().find(|c| matches!(c, '*' | '+' | '?')).unwrap_or('*');
        format!("missing argument to repetition operator: `{op}`")
    } else if text.contains("incomplete escape") {
        "trailing backslash at end of expression: ``".to_owned()
    } else if text.contains("invalid escape") || text.contains("unrecognized escape") {
        format!("invalid escape sequence: `{pattern}`")
    } else if text.contains("invalid character class range") {
        format!("invalid character class range: `{pattern}`")
    } else {
        format!("invalid or unsupported Perl syntax: `{pattern}`")
    };
    format!("error parsing regexp: {what}")
}

/// A compiled pattern, or Go's error text for it.
type Compiled = std::result::Result<Rc<regex::bytes::Regex>, String>;

thread_local! {
    static CACHE: RefCell<HashMap<Vec<u8>, Compiled>> =
        RefCell::new(HashMap::new());
}

/// Compiles `pattern` (cached: templates compile the same few over and
/// over, as Go recompiles on every call).
fn compile(pattern: &[u8]) -> Compiled {
    CACHE.with(|cache| {
        if let Some(hit) = cache.borrow().get(pattern) {
            return hit.clone();
        }
        let text = String::from_utf8_lossy(pattern);
        let result = regex::bytes::Regex::new(&translate(&text)).map(Rc::new).map_err(|e| go_error(&text, &e));
        let mut cache = cache.borrow_mut();
        if cache.len() > 256 {
            cache.clear();
        }
        cache.insert(pattern.to_vec(), result.clone());
        result
    })
}

/// `regexp.MustCompile`'s panic text.
fn must_compile(pattern: &[u8]) -> std::result::Result<Rc<regex::bytes::Regex>, String> {
    compile(pattern).map_err(|e| format!("regexp: Compile({}): {e}", backquote(pattern)))
}

fn backquote(s: &[u8]) -> String {
    format!("`{}`", String::from_utf8_lossy(s))
}

pub(super) fn regex_match<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(compile(a.str(0)).is_ok_and(|r| r.is_match(a.str(1)))))
}

pub(super) fn must_regex_match<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(compile(a.str(0))?.is_match(a.str(1))))
}

fn find_all(r: &regex::bytes::Regex, s: &[u8], n: i64) -> Vec<Vec<u8>> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    r.find_iter(s).take(limit).map(|m| m.as_bytes().to_vec()).collect()
}

pub(super) fn regex_find_all<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(string_slice(find_all(&*must_compile(a.str(0))?, a.str(1), a.int(2))))
}

pub(super) fn must_regex_find_all<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(string_slice(find_all(&*compile(a.str(0))?, a.str(1), a.int(2))))
}

fn find(r: &regex::bytes::Regex, s: &[u8]) -> Vec<u8> {
    r.find(s).map(|m| m.as_bytes().to_vec()).unwrap_or_default()
}

pub(super) fn regex_find<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(find(&*must_compile(a.str(0))?, a.str(1))))
}

pub(super) fn must_regex_find<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(find(&*compile(a.str(0))?, a.str(1))))
}

/// `ReplaceAllString`: `$1`/`${name}` expand as Go's `Expand` does.
fn replace_all(r: &regex::bytes::Regex, s: &[u8], repl: &[u8], literal: bool) -> Vec<u8> {
    if literal {
        r.replace_all(s, regex::bytes::NoExpand(repl)).into_owned()
    } else {
        r.replace_all(s, repl).into_owned()
    }
}

pub(super) fn regex_replace_all<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(replace_all(&*must_compile(a.str(0))?, a.str(1), a.str(2), false)))
}

pub(super) fn must_regex_replace_all<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(replace_all(&*compile(a.str(0))?, a.str(1), a.str(2), false)))
}

pub(super) fn regex_replace_all_literal<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(replace_all(&*must_compile(a.str(0))?, a.str(1), a.str(2), true)))
}

pub(super) fn must_regex_replace_all_literal<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(replace_all(&*compile(a.str(0))?, a.str(1), a.str(2), true)))
}

/// `Regexp.Split(s, n)`, transcribed.
fn split(r: &regex::bytes::Regex, s: &[u8], n: i64) -> Vec<Vec<u8>> {
    if n == 0 {
        return Vec::new();
    }
    if !r.as_str().is_empty() && s.is_empty() {
        return vec![Vec::new()];
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in r.find_iter(s).take(limit) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(s[beg..end].to_vec());
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(s[beg..].to_vec());
    }
    out
}

pub(super) fn regex_split<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(string_slice(split(&*must_compile(a.str(0))?, a.str(1), a.int(2))))
}

pub(super) fn must_regex_split<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(string_slice(split(&*compile(a.str(0))?, a.str(1), a.int(2))))
}

/// `regexp.QuoteMeta`.
pub(super) fn regex_quote_meta<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut out = Vec::new();
    for &b in a.str(0) {
        if br"\.+*?()|[]{}^$".contains(&b) {
            out.push(b'\\');
        }
        out.push(b);
    }
    Ok(Value::string(out))
}
