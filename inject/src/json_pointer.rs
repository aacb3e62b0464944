//! RFC 6901 JSON pointers into `serde_json` trees, without the allocation
//! `Value::pointer` makes for each token (it unescapes every token into a
//! new string, twice): injection reads a pod at a few dozen pointers per
//! admission, and those allocations were a tenth of its time. A token is
//! unescaped only when it holds a `~`.

use std::borrow::Cow;

use serde_json::Value;

/// Reading and changing a JSON tree at a pointer (`/spec/containers/0`),
/// as `Value::pointer` and `Value::pointer_mut` do.
pub trait Pointer {
    /// The value at `pointer`: `Value::pointer`'s answer.
    fn at(&self, pointer: &str) -> Option<&Value>;

    /// The value at `pointer`, to change: `Value::pointer_mut`'s answer.
    fn at_mut(&mut self, pointer: &str) -> Option<&mut Value>;
}

impl Pointer for Value {
    fn at(&self, pointer: &str) -> Option<&Value> {
        let mut node = self;
        for token in Tokens::of(pointer)? {
            node = match node {
                Value::Object(map) => map.get(&*token)?,
                Value::Array(items) => items.get(index(&token)?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    fn at_mut(&mut self, pointer: &str) -> Option<&mut Value> {
        let mut node = self;
        for token in Tokens::of(pointer)? {
            node = match node {
                Value::Object(map) => map.get_mut(&*token)?,
                Value::Array(items) => items.get_mut(index(&token)?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// The pointer's reference tokens, unescaped (`~1` is `/`, `~0` is `~`).
/// Split a byte at a time: tokens are a few bytes, shorter than what a
/// searcher gains on.
struct Tokens<'p> {
    /// What follows the next token's `/`; `None` once all are read.
    rest: Option<&'p str>,
}

impl<'p> Tokens<'p> {
    /// `None` when the pointer is neither empty nor starts with `/`.
    fn of(pointer: &'p str) -> Option<Tokens<'p>> {
        match pointer.strip_prefix('/') {
            Some(rest) => Some(Tokens { rest: Some(rest) }),
            None if pointer.is_empty() => Some(Tokens { rest: None }),
            None => None,
        }
    }
}

impl<'p> Iterator for Tokens<'p> {
    type Item = Cow<'p, str>;

    fn next(&mut self) -> Option<Cow<'p, str>> {
        let rest = self.rest?;
        let end = rest.bytes().position(|b| b == b'/');
        let token = match end {
            Some(end) => {
                self.rest = Some(&rest[end + 1..]);
                &rest[..end]
            }
            None => {
                self.rest = None;
                rest
            }
        };
        Some(if token.contains('~') {
            Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(token)
        })
    }
}

/// An array index as RFC 6901 writes it: digits, no sign, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn pointers_read_as_serde_json_reads_them() {
        let doc = json!({
            "": {"": 0, "x": 1},
            "a/b": {"c~d": [10, 11, {"~1": "tilde one"}]},
            "m~n": 2,
            "list": [0, [1, 2], {"k": null}],
            "s": "string",
        });
        let pointers = [
            "",
            "/",
            "//",
            "//x",
            "/a~1b",
            "/a~1b/c~0d",
            "/a~1b/c~0d/2/~01",
            "/a~1b/c~0d/1",
            "/m~0n",
            "/m~n",
            "/list/0",
            "/list/1/1",
            "/list/01",
            "/list/+1",
            "/list/-",
            "/list/3",
            "/list/2/k",
            "/list/x",
            "/s",
            "/s/0",
            "x",
            "/missing/x",
            "/list/1/9999999999999999999999",
        ];
        for pointer in pointers {
            assert_eq!(doc.at(pointer), doc.pointer(pointer), "{pointer:?}");
            let (mut ours, mut theirs) = (doc.clone(), doc.clone());
            if let (Some(a), Some(b)) = (ours.at_mut(pointer), theirs.pointer_mut(pointer)) {
                assert_eq!(a, b, "{pointer:?}");
                *a = json!("changed");
                *b = json!("changed");
            } else {
                assert_eq!(ours.at_mut(pointer).is_none(), theirs.pointer_mut(pointer).is_none(), "{pointer:?}");
            }
            assert_eq!(ours, theirs, "{pointer:?}");
        }
    }
}
