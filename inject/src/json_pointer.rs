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
        tokens(pointer)?.try_fold(self, |node, token| match node {
            Value::Object(map) => map.get(&*token),
            Value::Array(items) => items.get(index(&token)?),
            _ => None,
        })
    }

    fn at_mut(&mut self, pointer: &str) -> Option<&mut Value> {
        tokens(pointer)?.try_fold(self, |node, token| match node {
            Value::Object(map) => map.get_mut(&*token),
            Value::Array(items) => items.get_mut(index(&token)?),
            _ => None,
        })
    }
}

/// The pointer's reference tokens, unescaped (`~1` is `/`, `~0` is `~`);
/// `None` when it is neither empty nor starts with `/`.
fn tokens(pointer: &str) -> Option<impl Iterator<Item = Cow<'_, str>>> {
    let rest = match pointer.strip_prefix('/') {
        Some(rest) => Some(rest),
        None if pointer.is_empty() => None,
        None => return None,
    };
    let split = rest.map(|rest| rest.split('/'));
    Some(split.into_iter().flatten().map(|token| {
        if token.contains('~') { Cow::Owned(token.replace("~1", "/").replace("~0", "~")) } else { Cow::Borrowed(token) }
    }))
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
