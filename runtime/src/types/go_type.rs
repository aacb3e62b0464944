//! Go types of typed template data: Kubernetes objects, Istio's mesh
//! config messages, and the injector's template data structs, as indexes
//! into the generated tables (`go_types.rs`).
//!
//! Output depends on Go types: a nil `map[string]string` indexes to `""`,
//! an `int32` port compares with `9080`, a nil `*PodSecurityContext` is
//! false and its fields cannot be read, enums print their names. The
//! values of these types are views over decoded JSON (`value::typed`).

use std::fmt;

use super::Kind;
use super::go_types;

/// A type expression: what a field or element is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// A basic type, by its kind.
    Basic(Kind),
    /// A named type (index into `DEFS`).
    Named(u16),
    /// Pointer, slice or map of other type expressions (indexes into `TYS`).
    Ptr(u16),
    Slice(u16),
    Map(u16, u16),
    /// `interface{}`: generic data.
    Any,
}

/// A named type.
#[derive(Debug)]
pub struct Def {
    /// Unique key, `corev1.Container`.
    pub key: &'static str,
    /// As `%T` prints it, `v1.Container`.
    pub name: &'static str,
    pub kind: DefKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    /// A struct: its fields are `FIELDS[start..end]`.
    Struct(u16, u16),
    /// A protobuf message: a struct with nil-safe `GetX` getters.
    Message(u16, u16),
    /// A named non-struct type over `TYS[i]` (`type Protocol string`).
    Named(u16),
    /// A protobuf enum (`int32`) with value names `ENUM_NAMES[start..end]`.
    Enum(u16, u16),
    /// A type with its own JSON form and methods (`resource.Quantity`,
    /// `intstr.IntOrString`, `metav1.Time`, durations, wrappers).
    Special,
    /// A type from a package injit does not model.
    Opaque,
}

/// A struct field.
#[derive(Debug)]
pub struct Field {
    pub go: &'static str,
    /// Its key in the data (the protobuf JSON name for messages).
    pub json: &'static str,
    /// Its name in `encoding/json` output.
    pub tag: &'static str,
    pub ty: u16,
    pub omit_empty: bool,
    /// `omitzero`: left out when it is its type's zero value.
    pub omit_zero: bool,
    /// An embedded struct (JSON `,inline`): its fields are promoted.
    pub inline: bool,
    /// A protobuf oneof member: no Go field of its own, reached through
    /// its `GetX` getter (and written by protobuf JSON).
    pub oneof: bool,
}

impl Field {
    /// The field's place in the generated field table: a number that names
    /// it, for caches.
    pub fn index(&'static self) -> Option<u16> {
        let i = go_types::FIELDS.iter().position(|f| std::ptr::eq(f, self))?;
        u16::try_from(i).ok()
    }

    /// The field [`Field::index`] named.
    #[inline]
    pub fn at(index: u16) -> Option<&'static Field> {
        go_types::FIELDS.get(index as usize)
    }

    /// How many fields the table holds.
    pub fn count() -> usize {
        go_types::FIELDS.len()
    }
}

/// A Go type: an index into the type expression table.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoType(pub u16);

impl fmt::Debug for GoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GoType({})", self.name())
    }
}

/// A struct field found by name. A field promoted from an embedded struct
/// that has a JSON key of its own (`ObjectMeta` under `metadata` in a
/// `Pod`) lives in that key's object, `via`; other embedded structs share
/// the outer object.
pub struct FoundField {
    pub field: &'static Field,
    pub ty: GoType,
    pub via: Option<&'static str>,
}

impl FoundField {
    /// A field of the struct itself.
    pub fn direct(field: &'static Field) -> FoundField {
        FoundField { field, ty: GoType(field.ty), via: None }
    }
}

impl GoType {
    /// How many types the generated tables hold (each a `GoType(i)`
    /// below it), for caches indexed by type.
    pub fn count() -> usize {
        go_types::TYS.len()
    }

    pub fn expr(self) -> Ty {
        go_types::TYS[self.0 as usize]
    }

    /// The type named `key` (`corev1.Container`), if known.
    pub fn named(key: &str) -> Option<GoType> {
        // Where each definition's named type is among the type
        // expressions: found once, not by a scan on every call (the
        // injector asks for a few types per container of a pod).
        static NAMED: std::sync::OnceLock<Vec<Option<u16>>> = std::sync::OnceLock::new();
        let def = go_types::DEFS.binary_search_by(|d| d.key.cmp(key)).ok()?;
        let named = NAMED.get_or_init(|| {
            let mut named = vec![None; go_types::DEFS.len()];
            for (i, t) in go_types::TYS.iter().enumerate() {
                if let Ty::Named(d) = t
                    && let Some(slot @ None) = named.get_mut(*d as usize)
                {
                    *slot = Some(i as u16);
                }
            }
            named
        });
        named.get(def).copied().flatten().map(GoType)
    }

    /// A type as `%T` spells it (`v1.ObjectMeta`, `[]v1.Container`,
    /// `*v1alpha1.MeshConfig`), if the tables have it.
    pub fn parse(name: &str) -> Option<GoType> {
        let find = |want: Ty| go_types::TYS.iter().position(|t| *t == want).map(|i| GoType(i as u16));
        if let Some(rest) = name.strip_prefix('*') {
            return find(Ty::Ptr(GoType::parse(rest)?.0));
        }
        if let Some(rest) = name.strip_prefix("[]") {
            return find(Ty::Slice(GoType::parse(rest)?.0));
        }
        let def = go_types::DEFS.iter().position(|d| d.name == name)?;
        find(Ty::Named(def as u16))
    }

    /// The named type's definition, for named types.
    pub fn def(self) -> Option<&'static Def> {
        match self.expr() {
            Ty::Named(d) => Some(&go_types::DEFS[d as usize]),
            _ => None,
        }
    }

    /// `*T` of this type, if the tables have it.
    pub fn pointer_to(self) -> Option<GoType> {
        go_types::TYS.iter().position(|t| *t == Ty::Ptr(self.0)).map(|i| GoType(i as u16))
    }

    /// The type behind a named non-struct type (`v1.ResourceList` is a
    /// map); other types are their own.
    pub fn underlying(self) -> GoType {
        match self.def().map(|d| d.kind) {
            Some(DefKind::Named(t)) => GoType(t).underlying(),
            _ => self,
        }
    }

    pub fn kind(self) -> Kind {
        match self.expr() {
            Ty::Basic(kind) => kind,
            Ty::Ptr(_) => Kind::Pointer,
            Ty::Slice(_) => Kind::Slice,
            Ty::Map(..) => Kind::Map,
            Ty::Any => Kind::Interface,
            Ty::Named(_) => match self.def().map(|d| d.kind) {
                Some(DefKind::Named(t)) => GoType(t).kind(),
                Some(DefKind::Enum(..)) => Kind::Int32,
                _ => Kind::Struct,
            },
        }
    }

    /// The element type of a pointer, slice or map.
    pub fn elem(self) -> Option<GoType> {
        match self.underlying().expr() {
            Ty::Ptr(e) | Ty::Slice(e) | Ty::Map(_, e) => Some(GoType(e)),
            _ => None,
        }
    }

    /// The type a pointer type points to (`None` for other types).
    pub fn pointee(self) -> Option<GoType> {
        self.elem().filter(|_| self.kind() == Kind::Pointer)
    }

    /// The key type of a map.
    pub fn key(self) -> Option<GoType> {
        match self.underlying().expr() {
            Ty::Map(k, _) => Some(GoType(k)),
            _ => None,
        }
    }

    /// The type's name as `%T` prints it.
    pub fn name(self) -> String {
        match self.expr() {
            Ty::Basic(kind) => kind.name().to_owned(),
            Ty::Named(_) => self.def().map_or("?", |d| d.name).to_owned(),
            Ty::Ptr(e) => format!("*{}", GoType(e).name()),
            Ty::Slice(e) => format!("[]{}", GoType(e).name()),
            Ty::Map(k, v) => format!("map[{}]{}", GoType(k).name(), GoType(v).name()),
            Ty::Any => "interface {}".to_owned(),
        }
    }

    /// The fields of a struct or message, in declaration order.
    pub fn fields(self) -> &'static [Field] {
        match self.def().map(|d| d.kind) {
            Some(DefKind::Struct(a, b) | DefKind::Message(a, b)) => &go_types::FIELDS[a as usize..b as usize],
            _ => &[],
        }
    }

    pub fn is_message(self) -> bool {
        matches!(self.def().map(|d| d.kind), Some(DefKind::Message(..)))
    }

    /// The name of enum value `n`, for protobuf enums.
    pub fn enum_name(self, n: i64) -> Option<&'static str> {
        match self.def().map(|d| d.kind) {
            Some(DefKind::Enum(a, b)) => {
                let names = &go_types::ENUM_NAMES[a as usize..b as usize];
                usize::try_from(n).ok().and_then(|i| names.get(i)).copied().filter(|s| !s.is_empty())
            }
            _ => None,
        }
    }

    /// The number of enum value `name`, for protobuf enums.
    pub fn enum_value(self, name: &str) -> Option<i64> {
        match self.def().map(|d| d.kind) {
            Some(DefKind::Enum(a, b)) => {
                go_types::ENUM_NAMES[a as usize..b as usize].iter().position(|n| *n == name).map(|i| i as i64)
            }
            _ => None,
        }
    }

    /// The field `go_name` of a struct, looking into embedded structs as Go
    /// promotes their fields.
    pub fn field(self, go_name: &str) -> Option<FoundField> {
        self.find_field(go_name, false)
    }

    /// A field or oneof member by Go name (what a `GetX` getter reads).
    pub fn member(self, go_name: &str) -> Option<FoundField> {
        self.find_field(go_name, true)
    }

    fn find_field(self, go_name: &str, oneofs: bool) -> Option<FoundField> {
        for field in self.fields().iter().filter(|f| oneofs || !f.oneof) {
            if field.go == go_name && !field.inline {
                return Some(FoundField::direct(field));
            }
        }
        for field in self.fields().iter().filter(|f| f.inline) {
            if field.go == go_name {
                return Some(FoundField::direct(field));
            }
            if let Some(found) = GoType(field.ty).find_field(go_name, oneofs) {
                // The Kubernetes types embed a keyed struct at most once
                // on a path (a Pod's `ObjectMeta`), so one key says where.
                let via = if field.json.is_empty() { found.via } else { Some(field.json) };
                return Some(FoundField { via, ..found });
            }
        }
        None
    }

    /// The field a method of the type (or one promoted from an embedded
    /// struct) returns as its whole body (`ObjectMeta.GetName`), read from
    /// the generated getter table.
    pub fn getter(self, method: &str) -> Option<FoundField> {
        if let Some(key) = self.def().map(|d| d.key) {
            let start = go_types::GETTERS.partition_point(|(owner, _, _)| *owner < key);
            let found = go_types::GETTERS[start..]
                .iter()
                .take_while(|(owner, _, _)| *owner == key)
                .find(|(_, name, _)| *name == method);
            if let Some((_, _, field)) = found {
                return self.field(field);
            }
        }
        for field in self.fields().iter().filter(|f| f.inline) {
            if let Some(found) = GoType(field.ty).getter(method) {
                let via = if field.json.is_empty() { found.via } else { Some(field.json) };
                return Some(FoundField { via, ..found });
            }
        }
        None
    }

    /// The names of the type's getters ([`GoType::getter`]), promoted ones
    /// included (for did-you-mean suggestions).
    pub fn getter_names(self) -> Vec<&'static str> {
        let key = self.def().map(|d| d.key);
        let mut names: Vec<&'static str> =
            go_types::GETTERS.iter().filter(|(owner, _, _)| Some(*owner) == key).map(|(_, name, _)| *name).collect();
        for field in self.fields().iter().filter(|f| f.inline) {
            names.extend(GoType(field.ty).getter_names());
        }
        names
    }

    /// A special type's key (`resource.Quantity`), for special types.
    pub fn special(self) -> Option<&'static str> {
        self.def().filter(|d| d.kind == DefKind::Special).map(|d| d.key)
    }

    /// Every Go field name of a struct, promoted ones included (for
    /// did-you-mean suggestions).
    pub fn field_names(self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for field in self.fields().iter().filter(|f| !f.oneof) {
            names.push(field.go);
            if field.inline {
                names.extend(GoType(field.ty).field_names());
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_types_are_the_first_expression_naming_them() {
        for (i, def) in go_types::DEFS.iter().enumerate() {
            let scanned = go_types::TYS.iter().position(|t| *t == Ty::Named(i as u16)).map(|t| GoType(t as u16));
            assert_eq!(GoType::named(def.key), scanned, "{}", def.key);
        }
        assert_eq!(GoType::named("no.Such"), None);
    }
}
