//! Values as Go's `reflect.Value` sees them while a template executes.
//!
//! A value has a representation and a static type. The distinction Go makes
//! between a value and the same value held in an `interface{}` shows in
//! output and errors (`can't evaluate field x in type interface {}`), so a
//! value records whether it is *boxed*: read out of a `[]interface{}` or a
//! `map[string]interface{}`. Values borrow strings, maps and slices from the
//! input data; values made while executing are reference counted.
//!
//! The runtime's second floor: values and what they hold (the input
//! [`Data`], function values, Go objects with methods, typed views over
//! typed data) and the stack their recursion runs on. It imports only
//! `types` and `gotime` below it.

pub mod data;
pub mod func;
pub mod go_time;
pub mod object;
pub(crate) mod stack;
pub mod typed;
pub mod typed_field;

use std::cell::RefCell;
use std::rc::Rc;

use data::{Data, Object};
use func::FuncValue;
use object::{BoundMethod, GoObject};
use typed::Place;

use crate::types::{Kind, Type};

/// A string: Go strings are bytes, usually but not always UTF-8.
#[derive(Clone, Debug)]
pub enum Str<'a> {
    Borrowed(&'a [u8]),
    Owned(Rc<[u8]>),
}

impl Str<'_> {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Borrowed(b) => b,
            Str::Owned(b) => b,
        }
    }
}

/// A slice made while executing.
///
/// Its elements may be shared with the longer slices `push` made from it:
/// sprig's `append` copies its list, so the templates' usual
/// `{{ $l = append $l $x }}` loop (Istio's over every container) would be
/// quadratic. Stored elements never change and a slice reads only its
/// first `len`, so the sharing cannot be seen.
#[derive(Clone, Debug)]
pub struct SliceValue<'a> {
    elements: Rc<Elements<'a>>,
    len: usize,
    /// Go's capacity; slicing may reach beyond the length up to it.
    pub cap: usize,
}

#[derive(Debug, Default)]
struct Elements<'a>(RefCell<Vec<Value<'a>>>);

impl<'a> SliceValue<'a> {
    pub fn new(items: Vec<Value<'a>>, cap: usize) -> SliceValue<'a> {
        let len = items.len();
        SliceValue { elements: Rc::new(Elements(RefCell::new(items))), len, cap }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Element `i`, `i < len`.
    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        if i >= self.len {
            return None;
        }
        self.elements.0.borrow().get(i).cloned()
    }

    /// The elements.
    pub fn items(&self) -> std::cell::Ref<'_, [Value<'a>]> {
        std::cell::Ref::map(self.elements.0.borrow(), |items| &items[..self.len])
    }

    /// This slice with `item` appended (its capacity its length): the
    /// elements are shared when no longer slice was pushed from this one
    /// yet, and `item` holds nothing made while executing (which could
    /// hold the elements in turn, a cycle never freed).
    pub fn pushed(&self, item: Value<'a>) -> SliceValue<'a> {
        let plain = matches!(
            item.repr,
            Repr::Invalid
                | Repr::Nil(_)
                | Repr::Bool(_)
                | Repr::Int(..)
                | Repr::Uint(..)
                | Repr::Float(..)
                | Repr::Complex(..)
                | Repr::Str(..)
                | Repr::Data(_)
                | Repr::Typed(..)
        );
        if plain
            && let Ok(mut items) = self.elements.0.try_borrow_mut()
            && items.len() == self.len
        {
            items.push(item);
            let len = self.len + 1;
            return SliceValue { elements: Rc::clone(&self.elements), len, cap: len };
        }
        let mut items = self.items().to_vec();
        items.push(item);
        let cap = items.len();
        SliceValue::new(items, cap)
    }
}

/// A map made while executing, keyed by strings and kept sorted.
#[derive(Clone, Debug, Default)]
pub struct MapValue<'a> {
    pub entries: Vec<(Rc<[u8]>, Value<'a>)>,
}

// Values nest as deep as templates make them (see `stack.rs`), and
// dropping one recurses as deep: each level is dropped with stack to spare.
impl Drop for Elements<'_> {
    fn drop(&mut self) {
        let items = std::mem::take(self.0.get_mut());
        if !items.is_empty() {
            stack::deeper(move || drop(items));
        }
    }
}

impl Drop for MapValue<'_> {
    fn drop(&mut self) {
        if !self.entries.is_empty() {
            let entries = std::mem::take(&mut self.entries);
            stack::deeper(move || drop(entries));
        }
    }
}

impl<'a> MapValue<'a> {
    pub fn get(&self, key: &[u8]) -> Option<&Value<'a>> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &self.entries[i].1)
    }

    /// Sets `key`, keeping keys sorted.
    pub fn insert(&mut self, key: Rc<[u8]>, value: Value<'a>) {
        match self.entries.binary_search_by(|(k, _)| (**k).cmp(&*key)) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (key, value)),
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Value<'a>> {
        let i = self.entries.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?;
        Some(self.entries.remove(i).1)
    }
}

#[derive(Debug)]
pub enum Repr<'a> {
    /// The zero `reflect.Value`: a missing map key, nil data.
    Invalid,
    /// A nil of a type that can be nil (interface, map, slice, func).
    Nil(Type),
    Bool(bool),
    Int(i64, Type),
    Uint(u64, Type),
    Float(f64, Type),
    Complex(f64, f64, Type),
    Str(Str<'a>, Type),
    /// A map or array of the input data.
    Data(&'a Data),
    Slice(Rc<SliceValue<'a>>, Type),
    /// A map made while executing. Go maps are references: `set` changes
    /// the map every holder sees.
    Map(Rc<RefCell<MapValue<'a>>>, Type),
    Func(Rc<FuncValue>),
    /// A Go value with methods (`*semver.Version`, `time.Time`, ...).
    Object(Rc<dyn GoObject>),
    /// A method of an object, resolved and waiting for its arguments.
    Method(Rc<BoundMethod>),
    /// Typed data: a struct, pointer, slice or map of a Go type, viewing
    /// its JSON node (`None` for a zero value or nil), and whether Go could
    /// take its address.
    Typed(crate::types::GoType, Option<&'a Data>, typed::Place),
}

// By hand only to inline it: both backends copy values between slots on
// almost every instruction.
impl Clone for Repr<'_> {
    #[inline]
    fn clone(&self) -> Self {
        match self {
            Repr::Invalid => Repr::Invalid,
            Repr::Nil(t) => Repr::Nil(*t),
            Repr::Bool(b) => Repr::Bool(*b),
            Repr::Int(i, t) => Repr::Int(*i, *t),
            Repr::Uint(u, t) => Repr::Uint(*u, *t),
            Repr::Float(f, t) => Repr::Float(*f, *t),
            Repr::Complex(re, im, t) => Repr::Complex(*re, *im, *t),
            Repr::Str(s, t) => Repr::Str(s.clone(), *t),
            Repr::Data(d) => Repr::Data(d),
            Repr::Slice(s, t) => Repr::Slice(Rc::clone(s), *t),
            Repr::Map(m, t) => Repr::Map(Rc::clone(m), *t),
            Repr::Func(f) => Repr::Func(Rc::clone(f)),
            Repr::Object(o) => Repr::Object(Rc::clone(o)),
            Repr::Method(m) => Repr::Method(Rc::clone(m)),
            Repr::Typed(t, d, p) => Repr::Typed(*t, *d, *p),
        }
    }
}

/// A Go value with its static type (see the module documentation).
#[derive(Clone, Debug)]
pub struct Value<'a> {
    pub repr: Repr<'a>,
    /// Held in an `interface{}`: the static type is `interface {}`.
    pub boxed: bool,
}

impl<'a> Value<'a> {
    /// The zero `reflect.Value`.
    pub const fn invalid() -> Value<'a> {
        Value { repr: Repr::Invalid, boxed: false }
    }

    #[inline]
    pub fn new(repr: Repr<'a>) -> Value<'a> {
        Value { repr, boxed: false }
    }

    pub fn nil_interface() -> Value<'a> {
        Value { repr: Repr::Nil(Type::Any), boxed: true }
    }

    pub fn bool(b: bool) -> Value<'a> {
        Value::new(Repr::Bool(b))
    }

    pub fn int(i: i64) -> Value<'a> {
        Value::new(Repr::Int(i, Type::Int))
    }

    pub fn int_of(i: i64, ty: Type) -> Value<'a> {
        Value::new(Repr::Int(i, ty))
    }

    pub fn uint_of(u: u64, ty: Type) -> Value<'a> {
        Value::new(Repr::Uint(u, ty))
    }

    pub fn float(f: f64) -> Value<'a> {
        Value::new(Repr::Float(f, Type::Float64))
    }

    pub fn str(s: &'a [u8]) -> Value<'a> {
        Value::new(Repr::Str(Str::Borrowed(s), Type::String))
    }

    pub fn string(s: impl Into<Rc<[u8]>>) -> Value<'a> {
        Value::new(Repr::Str(Str::Owned(s.into()), Type::String))
    }

    pub fn slice(items: Vec<Value<'a>>, ty: Type) -> Value<'a> {
        let cap = items.len();
        Value::new(Repr::Slice(Rc::new(SliceValue::new(items, cap)), ty))
    }

    pub fn map(map: MapValue<'a>, ty: Type) -> Value<'a> {
        Value::new(Repr::Map(Rc::new(RefCell::new(map)), ty))
    }

    pub fn object(object: impl GoObject + 'static) -> Value<'a> {
        Value::new(Repr::Object(Rc::new(object)))
    }

    /// The Go object of type `T` this value holds, if it holds one.
    pub fn as_go_object<T: GoObject + 'static>(&self) -> Option<&T> {
        match &self.repr {
            Repr::Object(o) => o.as_any().downcast_ref::<T>(),
            _ => None,
        }
    }

    /// The value as it sits in the data tree; `boxed` when it is an element
    /// of an `interface{}` container.
    #[inline]
    pub fn from_data(data: &'a Data, boxed: bool) -> Value<'a> {
        let repr = match data {
            Data::Null => {
                return if boxed { Value::nil_interface() } else { Value::invalid() };
            }
            Data::Bool(b) => Repr::Bool(*b),
            Data::Number(f) => Repr::Float(*f, Type::Float64),
            Data::JsonNumber(s) => Repr::Str(Str::Borrowed(s.as_bytes()), Type::JsonNumber),
            Data::String(s) => Repr::Str(Str::Borrowed(s.as_bytes()), Type::String),
            Data::Array(_) | Data::Object(_) => Repr::Data(data),
        };
        Value { repr, boxed }
    }

    /// The same value with its static type set to `interface {}`.
    #[inline]
    pub fn boxed(mut self) -> Value<'a> {
        self.box_in_place();
        self
    }

    #[inline]
    pub fn is_valid(&self) -> bool {
        !matches!(self.repr, Repr::Invalid)
    }

    /// The dynamic type (what the interface holds, if boxed); `None` for an
    /// invalid value or a nil interface.
    pub fn dyn_type(&self) -> Option<Type> {
        Some(match &self.repr {
            Repr::Invalid => return None,
            Repr::Nil(Type::Any) => return None,
            Repr::Nil(t) => *t,
            Repr::Bool(_) => Type::Bool,
            Repr::Int(_, t) | Repr::Uint(_, t) | Repr::Float(_, t) | Repr::Complex(_, _, t) | Repr::Str(_, t) => *t,
            Repr::Data(Data::Array(_)) => Type::AnySlice,
            Repr::Data(_) => Type::AnyMap,
            Repr::Slice(_, t) | Repr::Map(_, t) => *t,
            Repr::Func(_) | Repr::Method(_) => Type::Func,
            Repr::Object(o) => o.go_type(),
            Repr::Typed(t, _, _) => Type::Go(*t),
        })
    }

    /// The static type, as `reflect.Value.Type()` reports it.
    pub fn static_type(&self) -> Option<Type> {
        if self.boxed {
            return Some(Type::Any);
        }
        self.dyn_type()
    }

    /// `reflect.Value.Kind()`.
    pub fn kind(&self) -> Kind {
        if self.boxed {
            return Kind::Interface;
        }
        self.dyn_type().map_or(Kind::Invalid, Type::kind)
    }

    /// `%T`-style name of the static type.
    pub fn type_name(&self) -> String {
        if self.boxed {
            return "interface {}".to_owned();
        }
        self.dyn_type_name()
    }

    /// Name of the dynamic type, for `%T` and `%!v(TYPE=...)`.
    pub fn dyn_type_name(&self) -> String {
        match &self.repr {
            Repr::Func(f) => f.type_name(),
            Repr::Method(m) => m.type_name(),
            Repr::Object(o) => o.type_name().to_owned(),
            _ => self.dyn_type().map_or_else(|| "<nil>".to_owned(), |t| t.to_string()),
        }
    }

    /// Go's `indirectInterface`: the value an interface holds (invalid for a
    /// nil interface); other values unchanged.
    #[inline]
    pub fn unboxed(&self) -> Value<'a> {
        if !self.boxed {
            return self.clone();
        }
        if matches!(self.repr, Repr::Nil(Type::Any)) {
            return Value::invalid();
        }
        Value { repr: self.repr.clone(), boxed: false }
    }

    /// [`Value::unboxed`], borrowing the value when it is not boxed (the
    /// common case for readers: no copy, no reference count touched).
    #[inline]
    pub fn unboxed_cow(&self) -> std::borrow::Cow<'_, Value<'a>> {
        if self.boxed { std::borrow::Cow::Owned(self.unboxed()) } else { std::borrow::Cow::Borrowed(self) }
    }

    /// Unboxes in place (cheaper than `unboxed` when the value is owned).
    #[inline]
    pub fn unbox(mut self) -> Value<'a> {
        if self.boxed {
            if matches!(self.repr, Repr::Nil(Type::Any)) {
                return Value::invalid();
            }
            self.boxed = false;
        }
        self
    }

    /// [`Value::boxed`] of a value in its place.
    #[inline]
    pub fn box_in_place(&mut self) {
        match &mut self.repr {
            Repr::Invalid => *self = Value::nil_interface(),
            // What an interface holds is a copy.
            Repr::Typed(_, _, place) => {
                *place = Place::Copied;
                self.boxed = true;
            }
            _ => self.boxed = true,
        }
    }

    /// [`Value::unbox`] of a value in its place.
    #[inline]
    pub fn unbox_in_place(&mut self) {
        if self.boxed {
            if matches!(self.repr, Repr::Nil(Type::Any)) {
                *self = Value::invalid();
            } else {
                self.boxed = false;
            }
        }
    }

    /// Whether the value is a nil interface, map, slice or func.
    pub fn is_nil(&self) -> bool {
        match &self.repr {
            Repr::Nil(_) => true,
            Repr::Func(f) => f.is_nil(),
            Repr::Typed(t, d, _) => typed::is_nil(*t, *d),
            _ => false,
        }
    }

    /// The string bytes of a string-kinded value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Str(s, _) => Some(s.as_bytes()),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&'a Object> {
        match self.repr {
            Repr::Data(Data::Object(o)) => Some(o),
            _ => None,
        }
    }

    /// Length of a string, slice or map (`reflect.Value.Len`); `None` for
    /// values without one.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> Option<usize> {
        Some(match &self.repr {
            Repr::Str(s, _) => s.as_bytes().len(),
            Repr::Data(Data::Array(a)) => a.len(),
            Repr::Data(Data::Object(o)) => o.len(),
            Repr::Slice(s, _) => s.len(),
            Repr::Map(m, _) => m.borrow().entries.len(),
            Repr::Nil(t) if matches!(t.kind(), Kind::Map | Kind::Slice) => 0,
            Repr::Typed(t, d, _) if matches!(t.kind(), Kind::Map | Kind::Slice) => typed::len(*d),
            _ => return None,
        })
    }

    /// Go's `reflect.Value.Cap` for slices.
    pub fn cap(&self) -> Option<usize> {
        Some(match &self.repr {
            Repr::Data(Data::Array(a)) => json_slice_cap(a.len()),
            Repr::Slice(s, _) => s.cap,
            Repr::Nil(t) if t.kind() == Kind::Slice => 0,
            _ => return None,
        })
    }

    /// Element `i` of a slice (or byte `i` of a string), `i < len`.
    pub fn index(&self, i: usize) -> Value<'a> {
        match &self.repr {
            Repr::Str(s, _) => Value::uint_of(s.as_bytes()[i] as u64, Type::Uint8),
            Repr::Data(Data::Array(a)) => Value::from_data(&a[i], true),
            Repr::Slice(s, t) => {
                let item = s.get(i).unwrap_or_else(Value::nil_interface);
                if t.elem() == Some(Type::Any) { item.boxed() } else { item }
            }
            // A slice's elements are addressable, whatever the slice's place.
            Repr::Typed(t, Some(Data::Array(items)), _) => match t.elem() {
                Some(e) => typed::value(e, items.get(i), false),
                None => Value::invalid(),
            },
            _ => Value::invalid(),
        }
    }

    /// The value at `key` of a map with string keys; `None` when absent.
    pub fn map_get(&self, key: &[u8]) -> Option<Value<'a>> {
        match &self.repr {
            Repr::Data(Data::Object(o)) => o.get(key).map(|d| Value::from_data(d, true)),
            Repr::Map(m, t) => {
                let v = m.borrow().get(key)?.clone();
                Some(if t.elem() == Some(Type::Any) { v.boxed() } else { v })
            }
            Repr::Typed(t, Some(Data::Object(o)), _) if t.kind() == Kind::Map => {
                let elem = t.elem()?;
                // A map's values are copies.
                o.get(key).map(|d| typed::value_at(elem, Some(d), elem.kind() == Kind::Interface, Place::Copied))
            }
            _ => None,
        }
    }

    /// The zero value of a map's element type (what `index` returns for a
    /// missing key).
    pub fn map_zero(&self) -> Value<'a> {
        if let Repr::Typed(t, _, _) = &self.repr
            && let Some(elem) = t.elem()
        {
            return typed::value_at(elem, None, false, Place::Copied);
        }
        zero_of(self.dyn_type().and_then(Type::elem).unwrap_or(Type::Any))
    }

    /// Map entries in Go's sorted key order.
    pub fn map_entries(&self) -> Vec<(Value<'a>, Value<'a>)> {
        match &self.repr {
            Repr::Data(Data::Object(o)) => {
                o.iter().map(|(k, v)| (Value::str(k.as_bytes()), Value::from_data(v, true))).collect()
            }
            Repr::Map(m, t) => {
                let boxed = t.elem() == Some(Type::Any);
                m.borrow()
                    .entries
                    .iter()
                    .map(|(k, v)| {
                        let v = if boxed { v.clone().boxed() } else { v.clone() };
                        (Value::string(k.clone()), v)
                    })
                    .collect()
            }
            Repr::Typed(t, Some(Data::Object(o)), _) if t.kind() == Kind::Map => {
                let Some(elem) = t.elem() else { return Vec::new() };
                let key = t.key().map_or(Type::String, Type::go);
                o.iter()
                    .map(|(k, v)| {
                        let key = Value::new(Repr::Str(Str::Borrowed(k.as_bytes()), key));
                        (key, typed::value_at(elem, Some(v), elem.kind() == Kind::Interface, Place::Copied))
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

/// A deep copy of data as values made while executing: maps and slices
/// that templates may change (`set`, `unset`, `merge`) without touching the
/// shared input.
pub fn owned_copy<'a>(data: &'a Data, boxed: bool) -> Value<'a> {
    match data {
        Data::Array(items) => {
            let items = items.iter().map(|d| owned_copy(d, false)).collect();
            Value { boxed, ..Value::slice(items, Type::AnySlice) }
        }
        Data::Object(o) => {
            let entries = o.iter().map(|(k, v)| (Rc::from(k.as_bytes()), owned_copy(v, false))).collect();
            Value { boxed, ..Value::map(MapValue { entries }, Type::AnyMap) }
        }
        Data::Null if !boxed => Value::nil_interface(),
        scalar => Value::from_data(scalar, boxed),
    }
}

/// The zero value of a type, as `reflect.Zero`.
pub fn zero_of<'a>(ty: Type) -> Value<'a> {
    let repr = match ty {
        Type::Bool => Repr::Bool(false),
        t if t.kind().is_int() => Repr::Int(0, t),
        t if t.kind().is_uint() => Repr::Uint(0, t),
        t if t.kind().is_float() => Repr::Float(0.0, t),
        t if t.kind().is_complex() => Repr::Complex(0.0, 0.0, t),
        Type::String | Type::JsonNumber => Repr::Str(Str::Borrowed(b""), ty),
        Type::Any => return Value::nil_interface(),
        t => Repr::Nil(t),
    };
    Value::new(repr)
}

/// The capacity Go's JSON decoder leaves on a `[]interface{}` of `len`
/// elements: it appends one by one to an empty slice, and `append` doubles
/// the capacity (rounded to allocation size classes, which for 16-byte
/// elements keeps powers of two up to 512 elements).
pub fn json_slice_cap(len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let mut cap = 0usize;
    while cap < len {
        cap = if cap == 0 {
            1
        } else if cap < 256 {
            cap * 2
        } else {
            cap + (cap + 3 * 256) / 4
        };
    }
    cap
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(s: &SliceValue<'_>) -> Vec<i64> {
        s.items().iter().map(|v| if let Repr::Int(i, _) = v.repr { i } else { -1 }).collect()
    }

    #[test]
    fn pushes_share_elements_and_nobody_sees_it() {
        let a = SliceValue::new(vec![Value::int(1)], 1);
        let b = a.pushed(Value::int(2));
        let c = b.pushed(Value::int(3));
        // `a` was pushed from already: this push copies.
        let d = a.pushed(Value::int(4));
        assert_eq!((ints(&a), ints(&b), ints(&c), ints(&d)), (vec![1], vec![1, 2], vec![1, 2, 3], vec![1, 4]));
        assert!(Rc::ptr_eq(&a.elements, &c.elements), "appending in a loop copies nothing");
        assert!(!Rc::ptr_eq(&a.elements, &d.elements));
        assert_eq!((a.get(1).is_none(), a.cap, c.cap), (true, 1, 3), "a slice reads only its own length");
        // A slice (or map) pushed is copied around: shared, it could hold
        // the elements that hold it, a cycle never freed.
        let e = c.pushed(Value::slice(vec![Value::int(5)], Type::AnySlice));
        assert!(!Rc::ptr_eq(&c.elements, &e.elements));
        assert_eq!(e.len(), 4);
    }
}
