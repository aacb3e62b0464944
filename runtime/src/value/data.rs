//! Template input data, as Go holds decoded JSON: `map[string]interface{}`,
//! `[]interface{}`, `float64` (or `json.Number`), `string`, `bool`, `nil`.
//!
//! The tree is immutable and values borrow from it; maps keep their keys
//! sorted, which is both Go's iteration and printing order and what makes
//! lookups a binary search.

/// A decoded JSON (or YAML) value.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    /// A number decoded as Go's `float64`.
    Number(f64),
    /// A number decoded as `json.Number` (`UseNumber`): it prints its text.
    JsonNumber(Box<str>),
    String(Box<str>),
    Array(Box<[Data]>),
    Object(Object),
}

/// A map with string keys, sorted by key bytes (Go's order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object {
    entries: Box<[(Box<str>, Data)]>,
    /// Each key's first eight bytes as a big-endian number (zero-padded):
    /// lookups compare these integers and touch key bytes only on a tie,
    /// which with real field names is almost always the match itself.
    prefixes: Box<[u64]>,
}

/// A key's first eight bytes, zero-padded, as a big-endian integer. Where
/// two prefixes differ they order as the keys do.
#[inline]
fn key_prefix(key: &[u8]) -> u64 {
    // No copy through a stack buffer: a `memcpy` of variable length there,
    // read back as one word, stalls on store forwarding.
    if let Some(head) = key.first_chunk::<8>() {
        return u64::from_be_bytes(*head);
    }
    key.iter().enumerate().fold(0, |prefix, (i, &b)| prefix | u64::from(b) << (56 - 8 * i))
}

/// `a == b` for keys: a few words compared inline, where a call to
/// `memcmp` costs more than the comparison for keys this short.
#[inline]
pub fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("eight bytes"));
    let mut at = 0;
    while at + 8 < a.len() {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last eight bytes, overlapping what was compared already.
    word(a, a.len() - 8) == word(b, b.len() - 8)
}

impl Object {
    /// Builds a map; of duplicate keys the last wins, as in Go.
    pub fn new(mut entries: Vec<(Box<str>, Data)>) -> Object {
        // Entries in key order already (a JSON tree's object, data built
        // from it): kept as they are, without a second list.
        if entries.windows(2).all(|pair| pair[0].0.as_bytes() < pair[1].0.as_bytes()) {
            let prefixes = entries.iter().map(|(k, _)| key_prefix(k.as_bytes())).collect();
            return Object { entries: entries.into_boxed_slice(), prefixes };
        }
        // A stable sort keeps duplicates in input order; keep the last.
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut deduped: Vec<(Box<str>, Data)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match deduped.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => deduped.push((k, v)),
            }
        }
        let prefixes = deduped.iter().map(|(k, _)| key_prefix(k.as_bytes())).collect();
        Object { entries: deduped.into_boxed_slice(), prefixes }
    }

    pub fn get(&self, key: &[u8]) -> Option<&Data> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// The index of `key`'s entry, trying index `hint` first: callers that
    /// look up one key in objects of one shape remember where they found it.
    #[inline]
    pub fn position_from(&self, hint: usize, key: &[u8]) -> Option<usize> {
        if let (Some(&prefix), Some((k, _))) = (self.prefixes.get(hint), self.entries.get(hint))
            && prefix == key_prefix(key)
            && k.len() == key.len()
            && (key.len() <= 8 || same_key(k.as_bytes(), key))
        {
            return Some(hint);
        }
        self.position(key)
    }

    /// The index of `key`'s entry in key order.
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        let prefix = key_prefix(key);
        let (mut low, mut high) = (0, self.prefixes.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let order = self.prefixes[mid].cmp(&prefix).then_with(|| {
                // A tie on the prefix is nearly always the key itself.
                let k = self.entries[mid].0.as_bytes();
                if same_key(k, key) { std::cmp::Ordering::Equal } else { k.cmp(key) }
            });
            match order {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `i`th entry in key order.
    pub fn entry(&self, i: usize) -> Option<(&str, &Data)> {
        self.entries.get(i).map(|(k, v)| (&**k, v))
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Data)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    /// The entries, in key order, owned.
    pub fn into_entries(self) -> Vec<(Box<str>, Data)> {
        self.entries.into_vec()
    }
}

impl Data {
    /// Go's name for the value's dynamic type, as `%T` prints it.
    pub fn go_type(&self) -> &'static str {
        match self {
            Data::Null => "<nil>",
            Data::Bool(_) => "bool",
            Data::Number(_) => "float64",
            Data::JsonNumber(_) => "json.Number",
            Data::String(_) => "string",
            Data::Array(_) => "[]interface {}",
            Data::Object(_) => "map[string]interface {}",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_in_key_order_with_the_last_of_duplicates() {
        let object =
            |keys: &[(&str, f64)]| Object::new(keys.iter().map(|&(k, v)| (Box::from(k), Data::Number(v))).collect());
        let keys = |o: &Object| o.iter().map(|(k, _)| k.to_owned()).collect::<Vec<_>>();
        let sorted = object(&[("a", 1.0), ("b", 2.0), ("ba", 3.0)]);
        assert_eq!(keys(&sorted), ["a", "b", "ba"]);
        assert!(matches!(sorted.get(b"ba"), Some(Data::Number(n)) if *n == 3.0));
        let unsorted = object(&[("b", 1.0), ("a", 2.0), ("b", 3.0)]);
        assert_eq!(keys(&unsorted), ["a", "b"]);
        assert!(matches!(unsorted.get(b"b"), Some(Data::Number(n)) if *n == 3.0));
        // Adjacent duplicates are not in strictly increasing order.
        let repeated = object(&[("a", 1.0), ("a", 2.0)]);
        assert_eq!(keys(&repeated), ["a"]);
        assert!(matches!(repeated.get(b"a"), Some(Data::Number(n)) if *n == 2.0));
    }

    #[test]
    fn same_key_is_byte_equality() {
        let key: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=key.len() {
            let a = &key[..len];
            assert!(same_key(a, a), "{len}");
            assert!(!same_key(a, &key[..len.saturating_sub(1)]) || len == 0);
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 0x20;
                assert!(!same_key(a, &b), "length {len}, byte {at}");
            }
        }
    }
}
