//! A pass over a JSON body before it is parsed: how many values it holds
//! and about how much memory `serde_json::Value` will take for it. A
//! 6 MB array of zeros is 3 million values, and 100 MB parsed; knowing
//! that costs a few milliseconds and no allocation beyond a small stack.
//!
//! The body is not validated here (the parser does that): for invalid
//! JSON the figures are merely approximate.

/// What a body holds, as far as memory goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Values: scalars, strings (not object keys), arrays and objects.
    pub values: usize,
    /// About the bytes a `serde_json::Value` of the body allocates at its
    /// peak (array buffers while they grow included).
    pub parsed_bytes: usize,
}

/// The size of a `serde_json::Value`.
const VALUE: usize = 32;
/// A `BTreeMap<String, Value>` leaf node (11 keys and values, rounded to
/// the allocator's size class); internal nodes are rarer and a little
/// larger.
const MAP_NODE: usize = 640;
/// Members per node: a map built by inserting leaves its nodes about half
/// full.
const MEMBERS_PER_NODE: usize = 6;
/// A string's allocation beyond its bytes (the allocator's rounding).
const STRING_OVERHEAD: usize = 16;
/// Deeper nesting is refused by the parser (its limit is 128) anyway.
const MAX_DEPTH: usize = 512;

/// An open array or object and the entries counted in it so far.
struct Open {
    object: bool,
    entries: usize,
    /// Whether a value has started since the last separator.
    has_value: bool,
}

/// Counts the values in `body` and estimates their parsed size.
pub fn measure(body: &[u8]) -> Shape {
    let mut shape = Shape { values: 0, parsed_bytes: VALUE };
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    // Inside a scalar (number, true, false, null).
    let mut in_scalar = false;
    let entry = |stack: &mut Vec<Open>| {
        if let Some(top) = stack.last_mut()
            && !top.has_value
        {
            top.has_value = true;
            top.entries += 1;
        }
    };
    while i < body.len() {
        let b = body[i];
        let scalar_byte = !matches!(b, b'{' | b'}' | b'[' | b']' | b',' | b':' | b'"' | b' ' | b'\t' | b'\n' | b'\r');
        if scalar_byte {
            if !in_scalar {
                in_scalar = true;
                shape.values += 1;
                entry(&mut stack);
            }
            i += 1;
            continue;
        }
        in_scalar = false;
        match b {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                // To the closing quote, past escaped ones.
                let end = loop {
                    match body.get(j..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
                        Some(k) if body[j + k] == b'\\' => j += k + 2,
                        Some(k) => break j + k,
                        None => break body.len(),
                    }
                };
                let len = end.saturating_sub(start);
                if len > 0 {
                    shape.parsed_bytes += len + STRING_OVERHEAD;
                }
                // A key is followed by ':'; it is not a value.
                let after = body[(end + 1).min(body.len())..].iter().find(|c| !c.is_ascii_whitespace());
                if after != Some(&b':') {
                    shape.values += 1;
                    entry(&mut stack);
                }
                i = end + 1;
                continue;
            }
            b'{' | b'[' => {
                shape.values += 1;
                entry(&mut stack);
                if stack.len() < MAX_DEPTH {
                    stack.push(Open { object: b == b'{', entries: 0, has_value: false });
                }
            }
            b'}' | b']' => {
                if let Some(open) = stack.pop() {
                    shape.parsed_bytes += container_bytes(&open);
                }
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    top.has_value = false;
                }
            }
            b':' => {
                // A member counts here, once: not at its key, nor at its
                // value that follows.
                if let Some(top) = stack.last_mut() {
                    top.has_value = true;
                    top.entries += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    for open in &stack {
        shape.parsed_bytes += container_bytes(open);
    }
    shape
}

/// The heap an array or object of `entries` takes once parsed.
fn container_bytes(open: &Open) -> usize {
    let n = open.entries;
    if n == 0 {
        return 0;
    }
    if open.object {
        n.div_ceil(MEMBERS_PER_NODE) * MAP_NODE
    } else {
        // A Vec grown by doubling: its capacity is the next power of two,
        // and the old buffer is alive while the new one is filled.
        let capacity = n.next_power_of_two().max(4);
        capacity * VALUE * 3 / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(json: &str) -> usize {
        measure(json.as_bytes()).values
    }

    #[test]
    fn every_value_is_counted_once_and_keys_are_not_values() {
        assert_eq!(values("0"), 1);
        assert_eq!(values("[]"), 1);
        assert_eq!(values("[0,0,0]"), 4);
        assert_eq!(values(r#"{"a":1,"b":[true,null,"x"]}"#), 6);
        assert_eq!(values(r#" { "a" : { "b" : "c" } , "d" : -1.5e3 } "#), 4);
        assert_eq!(values(r#"["a\"b", "c\\", "d"]"#), 4);
        assert_eq!(values(r#"{"k\":":"v"}"#), 2);
    }

    #[test]
    fn entries_are_counted_per_container() {
        let zeros = format!("[{}0]", "0,".repeat(999));
        let shape = measure(zeros.as_bytes());
        assert_eq!(shape.values, 1001);
        assert_eq!(shape.parsed_bytes, VALUE + 1024 * VALUE * 3 / 2);
        let object = format!("{{{}\"z\":0}}", (0..11).map(|i| format!("\"k{i}\":0,")).collect::<String>());
        let shape = measure(object.as_bytes());
        assert_eq!(shape.values, 13);
        // 12 members: two nodes, and the keys k0 to k10 and z.
        let keys = 10 * (2 + STRING_OVERHEAD) + (3 + STRING_OVERHEAD) + (1 + STRING_OVERHEAD);
        assert_eq!(shape.parsed_bytes, VALUE + 2 * MAP_NODE + keys);
    }

    #[test]
    fn unterminated_input_is_measured_without_panicking() {
        for text in ["[", "{\"a", "\"abc\\", "[[[[1,", "{\"a\":", "\\", "]]]}}"] {
            let _ = measure(text.as_bytes());
        }
    }
}
