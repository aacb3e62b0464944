//! Index types that cannot be mixed up, and vectors indexed by them (after
//! Cranelift's `entity_impl!` and `PrimaryMap`).
//!
//! Each kind of IR id (a slot, an instruction, a node, a constant...) is a
//! `u32` of its own type, so passing a slot where a node is expected, or
//! looking a name id up among the texts, does not compile. An id is
//! `#[repr(transparent)]`: it has the layout and calling convention of a
//! `u32`, which is how native code stores and passes it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// An id that indexes an [`EntityVec`].
pub trait EntityRef: Copy + Eq {
    /// The id of index `index`.
    fn new(index: usize) -> Self;
    /// The index this id stands for.
    fn index(self) -> usize;
}

/// Declares `struct $name(u32)`, an id of its own type: `Copy`, `Eq`,
/// `Ord`, `Hash`, made from a `usize` index ([`EntityRef::new`], checked)
/// and turned back into one (`index`) or into its `u32` (`as_u32`, for
/// native code). `Debug` and `Display` print the bare number, as the
/// `u32` it replaces did, so IR listings read the same.
macro_rules! entity {
    ($(#[$attr:meta])* $vis:vis struct $name:ident;) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        $vis struct $name(u32);

        impl $name {
            /// The id of index `index`.
            ///
            /// # Panics
            /// When `index` does not fit in a `u32`: each id counts
            /// something of one template set (its slots, instructions,
            /// nodes, texts...), and four billion of them would take a
            /// source of gigabytes. Past that point the id would wrap onto
            /// another entity, so stopping is the only sound answer.
            #[inline]
            $vis fn new(index: usize) -> $name {
                $name(u32::try_from(index).expect(concat!("more ", stringify!($name), "s than a u32 can count")))
            }

            /// The id whose number is `n` (for reserved values).
            #[inline]
            $vis const fn from_u32(n: u32) -> $name {
                $name(n)
            }

            /// The index this id stands for.
            #[inline]
            $vis const fn index(self) -> usize {
                self.0 as usize
            }

            /// The id's number, as native code receives it.
            #[inline]
            $vis const fn as_u32(self) -> u32 {
                self.0
            }
        }

        impl $crate::entity::EntityRef for $name {
            #[inline]
            fn new(index: usize) -> $name {
                $name::new(index)
            }

            #[inline]
            fn index(self) -> usize {
                $name::index(self)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.0, f)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}
pub(crate) use entity;

/// A vector indexed by the ids `K` only (Cranelift's `PrimaryMap`): the
/// table a kind of id points into. `push` hands out the ids.
pub struct EntityVec<K, V> {
    items: Vec<V>,
    key: PhantomData<fn(K) -> K>,
}

impl<K: EntityRef, V> EntityVec<K, V> {
    pub fn new() -> Self {
        EntityVec { items: Vec::new(), key: PhantomData }
    }

    /// Appends `value`; returns its id.
    #[inline]
    pub fn push(&mut self, value: V) -> K {
        let key = K::new(self.items.len());
        self.items.push(value);
        key
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[inline]
    pub fn get(&self, key: K) -> Option<&V> {
        self.items.get(key.index())
    }

    /// Every id, in order. The iterator does not borrow the vector.
    pub fn keys(&self) -> impl Iterator<Item = K> + use<K, V> {
        (0..self.items.len()).map(K::new)
    }

    /// The values, in the order of their ids.
    pub fn iter(&self) -> std::slice::Iter<'_, V> {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, V> {
        self.items.iter_mut()
    }

    /// Every value with its id.
    pub fn iter_enumerated(&self) -> impl Iterator<Item = (K, &V)> {
        self.items.iter().enumerate().map(|(i, v)| (K::new(i), v))
    }

    /// Every entry set to `value`.
    pub fn fill(&mut self, value: V)
    where
        V: Clone,
    {
        self.items.fill(value);
    }

    /// The values as a slice, for what reads several at once (a block of
    /// consecutive slots) or needs their address (native code).
    #[inline]
    pub fn as_slice(&self) -> &[V] {
        &self.items
    }
}

impl<K: EntityRef, V> Index<K> for EntityVec<K, V> {
    type Output = V;

    #[inline]
    fn index(&self, key: K) -> &V {
        &self.items[key.index()]
    }
}

impl<K: EntityRef, V> IndexMut<K> for EntityVec<K, V> {
    #[inline]
    fn index_mut(&mut self, key: K) -> &mut V {
        &mut self.items[key.index()]
    }
}

impl<K: EntityRef, V> Default for EntityVec<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V: Clone> Clone for EntityVec<K, V> {
    fn clone(&self) -> Self {
        EntityVec { items: self.items.clone(), key: PhantomData }
    }
}

impl<K, V: PartialEq> PartialEq for EntityVec<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl<K, V: Eq> Eq for EntityVec<K, V> {}

/// As the `Vec` it wraps: `[a, b, c]`.
impl<K, V: fmt::Debug> fmt::Debug for EntityVec<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.items, f)
    }
}

/// The values of `items` get the ids `0, 1, ...` in order.
impl<K, V> From<Vec<V>> for EntityVec<K, V> {
    fn from(items: Vec<V>) -> Self {
        EntityVec { items, key: PhantomData }
    }
}

impl<K, V> FromIterator<V> for EntityVec<K, V> {
    fn from_iter<I: IntoIterator<Item = V>>(iter: I) -> Self {
        EntityVec { items: iter.into_iter().collect(), key: PhantomData }
    }
}

impl<K, V> IntoIterator for EntityVec<K, V> {
    type Item = V;
    type IntoIter = std::vec::IntoIter<V>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a EntityVec<K, V> {
    type Item = &'a V;
    type IntoIter = std::slice::Iter<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::EntityVec;

    entity! {
        /// An id for the tests.
        struct Id;
    }

    #[test]
    fn ids_print_as_their_number() {
        let id = Id::new(42);
        assert_eq!(format!("{id} {id:?} {id:4} {:?}", Some(id)), "42 42   42 Some(42)");
        assert_eq!((id.index(), id.as_u32(), Id::from_u32(42)), (42, 42, id));
    }

    #[test]
    fn push_hands_out_ids_in_order() {
        let mut v: EntityVec<Id, &str> = EntityVec::new();
        let (a, b) = (v.push("a"), v.push("b"));
        assert_eq!((a, b), (Id::new(0), Id::new(1)));
        assert_eq!((v[b], v.len()), ("b", 2));
        assert_eq!(v.keys().collect::<Vec<_>>(), [a, b]);
        assert_eq!(format!("{v:?}"), r#"["a", "b"]"#);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    #[should_panic(expected = "more Ids than a u32 can count")]
    fn an_index_beyond_u32_is_refused() {
        Id::new(1 << 32);
    }
}
