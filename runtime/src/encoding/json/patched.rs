//! How far a strategic-merge patch reaches into a value that was already
//! as its Go type encodes it before the patch was merged in: the walk that
//! [`normalize_patched`](super::normalize::normalize_patched) and
//! [`check_patched`](super::check::check_patched) share, so that decoding
//! and re-encoding cost the patch's size rather than the value's.
//!
//! Only what the merge can have changed is followed: the fields, map
//! entries and merge-keyed list elements the patch names. Anything this
//! walk does not follow exactly (directives, replaced lists, duplicate
//! merge keys, structs whose JSON names differ from their decoding names)
//! is handled whole, as the full round trip would; so is a value the patch
//! names every part of (the elements it adds), where following the patch
//! would cost more than the whole. Handling a value whole is always right:
//! the walk only ever saves work.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use serde_json::{Map, Value};

use crate::types::{DefKind, Field, GoType, Kind, Ty};

/// The key the elements of a list field merge by (`containers` by
/// `name`), or `None` for a list a patch replaces whole.
pub type MergeKey = fn(&str) -> Option<&'static str>;

/// How far a patch reaches into a value of some type.
pub(super) enum Reach<'p> {
    /// All of it: the value is decoded and re-encoded whole.
    Whole,
    /// A pointer's target, of this type.
    Through(GoType),
    /// The struct's fields the patch names (and, for the encoder, those
    /// the type always writes).
    Fields(&'static StructPlan, &'p Map<String, Value>),
    /// The map's entries (of this type) the patch names.
    Entries(GoType, &'p Map<String, Value>),
    /// The list's elements (of this type) whose merge key the patch
    /// names.
    Items(GoType, Elements<'p>),
}

/// How far `patch` reaches into `value`, of type `t`, the field named
/// `field` of its struct (which says how a list merges).
pub(super) fn reach<'p>(t: GoType, value: &Value, patch: &'p Value, field: &str, merge_key: MergeKey) -> Reach<'p> {
    if t.special().is_some() {
        return Reach::Whole;
    }
    match t.underlying().expr() {
        Ty::Ptr(e) if !value.is_null() => Reach::Through(GoType(e)),
        Ty::Slice(e) => match (value, patch) {
            // A patch with more elements than the list is as dear to
            // follow as the whole, which is always right. One with an
            // element for each is followed: its elements may reach little
            // of theirs (a lone init container's security context).
            (Value::Array(items), Value::Array(patches)) if patches.len() <= items.len() => {
                let elem = GoType(e);
                let keyed = merge_key(field).filter(|_| elem.underlying().kind() == Kind::Struct);
                match keyed.and_then(|key| Elements::of(key, items, patches)) {
                    Some(elements) => Reach::Items(elem, elements),
                    None => Reach::Whole,
                }
            }
            _ => Reach::Whole,
        },
        Ty::Map(_, v) => match (value, patch) {
            (Value::Object(own), Value::Object(entries)) if entries.len() < own.len() && !has_directive(entries) => {
                Reach::Entries(GoType(v), entries)
            }
            _ => Reach::Whole,
        },
        Ty::Named(_) if t.kind() == Kind::Struct => match (value, patch, StructPlan::of(t)) {
            (Value::Object(own), Value::Object(fields), Some(plan))
                if fields.len() < own.len() && !has_directive(fields) =>
            {
                Reach::Fields(plan, fields)
            }
            _ => Reach::Whole,
        },
        _ => Reach::Whole,
    }
}

fn has_directive(map: &Map<String, Value>) -> bool {
    map.keys().any(|k| k.starts_with('$'))
}

/// A merge key's value, as the merge tells keys apart (a string `"80"`
/// is not the number `80`).
#[derive(PartialEq, Eq, Hash)]
enum KeyOf<'v> {
    Text(&'v str),
    Number(&'v serde_json::Number),
    Bool(bool),
}

impl<'v> KeyOf<'v> {
    fn of(value: &'v Value) -> Option<KeyOf<'v>> {
        match value {
            Value::String(s) => Some(KeyOf::Text(s)),
            Value::Number(n) => Some(KeyOf::Number(n)),
            Value::Bool(b) => Some(KeyOf::Bool(*b)),
            _ => None,
        }
    }
}

/// A merge-keyed list's patch elements by key.
pub(super) struct Elements<'p> {
    key: &'static str,
    by_key: ByKey<'p>,
}

/// Patch elements by key: a few (an injection's sidecar and init
/// containers) are found by comparing, more through a hash table.
enum ByKey<'p> {
    Few(Vec<(KeyOf<'p>, &'p Value)>),
    Many(HashMap<KeyOf<'p>, &'p Value>),
}

/// Up to how many patch elements are compared rather than hashed.
const FEW: usize = 8;

impl<'p> ByKey<'p> {
    /// Adds `patch` under `key`: `false` if the key was there already.
    fn insert(&mut self, key: KeyOf<'p>, patch: &'p Value) -> bool {
        match self {
            ByKey::Few(few) if few.iter().any(|(k, _)| *k == key) => false,
            ByKey::Few(few) => {
                few.push((key, patch));
                true
            }
            ByKey::Many(many) => many.insert(key, patch).is_none(),
        }
    }
}

impl<'p> Elements<'p> {
    /// The patch's elements by key, when the merge paired each merged
    /// element with at most one of them: every patch element an object
    /// with a scalar key and no directive, no key twice, and every
    /// merged element keyed.
    fn of(key: &'static str, merged: &[Value], patches: &'p [Value]) -> Option<Elements<'p>> {
        let mut by_key = if patches.len() <= FEW {
            ByKey::Few(Vec::with_capacity(patches.len()))
        } else {
            ByKey::Many(HashMap::with_capacity(patches.len()))
        };
        for patch in patches {
            let Value::Object(fields) = patch else { return None };
            if has_directive(fields) || !by_key.insert(KeyOf::of(fields.get(key)?)?, patch) {
                return None;
            }
        }
        let keyed = |item: &Value| item.get(key).and_then(KeyOf::of).is_some();
        merged.iter().all(keyed).then_some(Elements { key, by_key })
    }

    /// The patch element merged into `item`, if any.
    pub(super) fn patch_of(&self, item: &Value) -> Option<&'p Value> {
        let key = KeyOf::of(item.get(self.key)?)?;
        match &self.by_key {
            ByKey::Few(few) => few.iter().find(|(k, _)| *k == key).map(|(_, patch)| *patch),
            ByKey::Many(many) => many.get(&key).copied(),
        }
    }
}

/// A struct type's fields as its JSON object holds them (embedded
/// structs' fields promoted), when they are simple enough to follow
/// field by field.
pub(crate) struct StructPlan {
    /// By JSON name.
    by_name: Vec<(&'static str, &'static Field)>,
    /// Indexes into `by_name` by a hash of the name (open addressing;
    /// `EMPTY` where none): every decoded key is looked up, and a binary
    /// search compares several names for each.
    table: Box<[u16]>,
    /// Those the encoder writes even when the object lacks them, in
    /// declaration order.
    pub(super) written_when_absent: Vec<&'static Field>,
}

impl StructPlan {
    /// The plan of struct type `t`; `None` when the walk cannot follow it
    /// field by field: inline maps, renamed embedded structs, oneofs, a
    /// field whose decoding name differs from its encoded name, or two
    /// fields of one name.
    pub(super) fn of(t: GoType) -> Option<&'static StructPlan> {
        static PLANS: LazyLock<Box<[OnceLock<Option<StructPlan>>]>> =
            LazyLock::new(|| (0..GoType::count()).map(|_| OnceLock::new()).collect());
        PLANS.get(t.0 as usize)?.get_or_init(|| StructPlan::build(t)).as_ref()
    }

    fn build(t: GoType) -> Option<StructPlan> {
        fn promoted(t: GoType, out: &mut Vec<&'static Field>) -> Option<()> {
            if !matches!(t.def().map(|d| d.kind), Some(DefKind::Struct(..))) {
                return None;
            }
            for field in t.fields() {
                // An embedded struct without a tag of its own: its fields
                // are the object's.
                if field.inline && field.tag.is_empty() && field.json.is_empty() {
                    promoted(GoType(field.ty), out)?;
                } else if field.oneof || field.tag.is_empty() || field.tag != field.json {
                    return None;
                } else {
                    out.push(field);
                }
            }
            Some(())
        }
        let mut fields = Vec::new();
        promoted(t, &mut fields)?;
        let mut by_name: Vec<(&str, &Field)> = fields.iter().map(|f| (f.json, *f)).collect();
        by_name.sort_unstable_by_key(|(name, _)| *name);
        if by_name.windows(2).any(|w| w[0].0 == w[1].0) {
            return None;
        }
        let written_when_absent = fields.into_iter().filter(|f| !super::typed::left_out::<Value>(f, None)).collect();
        let mut table = vec![EMPTY; (by_name.len() * 4).next_power_of_two()].into_boxed_slice();
        let mask = table.len() - 1;
        for (i, (name, _)) in by_name.iter().enumerate() {
            let mut at = name_hash(name) & mask;
            while table[at] != EMPTY {
                at = (at + 1) & mask;
            }
            table[at] = u16::try_from(i).ok().filter(|&i| i != EMPTY)?;
        }
        Some(StructPlan { by_name, table, written_when_absent })
    }

    /// The field JSON key `key` decodes into.
    pub(super) fn field(&self, key: &str) -> Option<&'static Field> {
        let mask = self.table.len() - 1;
        let mut at = name_hash(key) & mask;
        loop {
            let (name, field) = *self.by_name.get(usize::from(self.table[at]))?;
            if name == key {
                return Some(field);
            }
            at = (at + 1) & mask;
        }
    }
}

/// No field, in a plan's table.
const EMPTY: u16 = u16::MAX;

/// A hash of a field name from its length and three of its bytes: cheap,
/// and apart for a struct's names, which differ there (a table at most a
/// quarter full absorbs the rest).
fn name_hash(name: &str) -> usize {
    let bytes = name.as_bytes();
    let (first, middle, last) = match bytes {
        [] => (0, 0, 0),
        [.., last] => (bytes[0], bytes[bytes.len() / 2], *last),
    };
    let mixed = (bytes.len() as u64) ^ (u64::from(first) << 8) ^ (u64::from(middle) << 16) ^ (u64::from(last) << 24);
    (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_finds_each_of_its_fields_by_name_and_nothing_else() {
        let mut planned = 0;
        for t in (0..GoType::count()).filter_map(|i| u16::try_from(i).ok()).map(GoType) {
            let Some(plan) = StructPlan::of(t) else { continue };
            planned += 1;
            let names: Vec<&str> = plan.by_name.iter().map(|(name, _)| *name).collect();
            for &(name, field) in &plan.by_name {
                assert!(plan.field(name).is_some_and(|found| std::ptr::eq(found, field)), "{}.{name}", t.name());
                for other in [format!("{name}x"), name.to_uppercase(), name[..name.len() / 2].to_owned()] {
                    assert_eq!(plan.field(&other).is_some(), names.contains(&other.as_str()), "{}.{other}", t.name());
                }
            }
            assert!(plan.field("").is_none() || names.contains(&""));
        }
        assert!(planned > 50, "{planned} struct types planned");
    }
}
