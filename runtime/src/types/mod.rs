//! Go types, as far as templates can observe them: in `%T`, in error
//! messages, and in which conversions a function call accepts.
//!
//! The runtime's lowest floor: [`Kind`] and [`Type`] here, the Go types of
//! typed data ([`GoType`], an index into the generated tables) and
//! Kubernetes quantities beside them. It imports nothing from the crate
//! (`gotime` shares its floor); every other module may import it.

mod go_type;
mod go_types;
mod kind;
pub mod proto_string;
pub mod quantity;

pub use go_type::{Def, DefKind, Field, FoundField, GoType, Ty};
pub use kind::{BasicKind, Kind};

/// A basic type of typed data: Go has one unnamed basic type per basic
/// kind, so a kind names it (the generated tables spell `Basic::Int32`).
pub type Basic = Kind;

use std::fmt;

/// A Go type. Composite types are the ones Go's JSON decoding, sprig and
/// Istio's functions produce; typed Kubernetes data adds named types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    Int,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Uintptr,
    Float32,
    Float64,
    Complex64,
    Complex128,
    String,
    /// `interface {}`
    Any,
    /// `error`
    Error,
    /// `reflect.Value`: builtins such as `index` take arguments unconverted.
    ReflectValue,
    /// `encoding/json.Number`
    JsonNumber,
    /// `[]interface {}`
    AnySlice,
    /// `map[string]interface {}`
    AnyMap,
    /// `[]string`
    StringSlice,
    /// `map[string]string`
    StringMap,
    /// `[]uint8`
    ByteSlice,
    /// `[]int`
    IntSlice,
    /// A function value; its signature is carried by the value.
    Func,
    /// A type injit's generic data never holds (`[]v1.Container` in a
    /// signature): values can only match it once typed data supplies it.
    Named(NamedType),
    /// A type of typed data (Kubernetes, mesh config, template data).
    Go(GoType),
}

impl Type {
    pub fn kind(self) -> Kind {
        match self {
            Type::Bool => Kind::Bool,
            Type::Int => Kind::Int,
            Type::Int8 => Kind::Int8,
            Type::Int16 => Kind::Int16,
            Type::Int32 => Kind::Int32,
            Type::Int64 => Kind::Int64,
            Type::Uint => Kind::Uint,
            Type::Uint8 => Kind::Uint8,
            Type::Uint16 => Kind::Uint16,
            Type::Uint32 => Kind::Uint32,
            Type::Uint64 => Kind::Uint64,
            Type::Uintptr => Kind::Uintptr,
            Type::Float32 => Kind::Float32,
            Type::Float64 => Kind::Float64,
            Type::Complex64 => Kind::Complex64,
            Type::Complex128 => Kind::Complex128,
            Type::String | Type::JsonNumber => Kind::String,
            Type::Any | Type::Error => Kind::Interface,
            Type::ReflectValue => Kind::Struct,
            Type::AnySlice | Type::StringSlice | Type::ByteSlice | Type::IntSlice => Kind::Slice,
            Type::AnyMap | Type::StringMap => Kind::Map,
            Type::Func => Kind::Func,
            Type::Named(named) => named_kind(named.name()),
            Type::Go(t) => t.kind(),
        }
    }

    /// The element type of a slice or map.
    pub fn elem(self) -> Option<Type> {
        match self {
            Type::AnySlice | Type::AnyMap => Some(Type::Any),
            Type::StringSlice | Type::StringMap => Some(Type::String),
            Type::ByteSlice => Some(Type::Uint8),
            Type::IntSlice => Some(Type::Int),
            Type::Go(t) => t.elem().map(Type::go),
            // A signature's variadic `...map[string]interface {}`: Go
            // checks each argument against the element type.
            Type::Named(named) => {
                let elem = named.name().strip_prefix("[]")?;
                parse_go_type(elem).or_else(|| GoType::parse(elem).map(Type::go))
            }
            _ => None,
        }
    }

    /// The runtime type of a typed-data Go type (basic types as themselves).
    pub fn go(t: GoType) -> Type {
        match t.expr() {
            Ty::Basic(kind) => Type::basic(kind).unwrap_or(Type::Go(t)),
            Ty::Any => Type::Any,
            _ => Type::Go(t),
        }
    }

    /// The unnamed basic type of a basic kind (`int32` for `Kind::Int32`).
    pub fn basic(kind: Kind) -> Option<Type> {
        Some(match kind {
            Kind::Bool => Type::Bool,
            Kind::Int => Type::Int,
            Kind::Int8 => Type::Int8,
            Kind::Int16 => Type::Int16,
            Kind::Int32 => Type::Int32,
            Kind::Int64 => Type::Int64,
            Kind::Uint => Type::Uint,
            Kind::Uint8 => Type::Uint8,
            Kind::Uint16 => Type::Uint16,
            Kind::Uint32 => Type::Uint32,
            Kind::Uint64 => Type::Uint64,
            Kind::Uintptr => Type::Uintptr,
            Kind::Float32 => Type::Float32,
            Kind::Float64 => Type::Float64,
            Kind::Complex64 => Type::Complex64,
            Kind::Complex128 => Type::Complex128,
            Kind::String => Type::String,
            _ => return None,
        })
    }

    /// Whether a value of type `self` may be passed where `to` is expected
    /// (`reflect.Type.AssignableTo` for the types templates meet).
    pub fn assignable_to(self, to: Type) -> bool {
        if self == to || to == Type::Any || to.kind() == Kind::Interface {
            return true;
        }
        // A typed-data map[string]string is Go's map[string]string.
        match self {
            Type::Go(t) => is_unnamed_composite(t, to),
            _ => false,
        }
    }

    /// The type of a Go integer constant kind.
    pub fn is_named(self) -> bool {
        matches!(self, Type::JsonNumber)
    }
}

/// Whether typed-data type `t` is the same unnamed composite type as
/// `to` (`map[string]string`, `map[string]interface {}`, `[]string`,
/// `[]interface {}`).
fn is_unnamed_composite(t: GoType, to: Type) -> bool {
    let is = |e: u16, want: Ty| GoType(e).expr() == want;
    match (t.expr(), to) {
        (Ty::Map(k, v), Type::StringMap) => is(k, Ty::Basic(Kind::String)) && is(v, Ty::Basic(Kind::String)),
        (Ty::Map(k, v), Type::AnyMap) => is(k, Ty::Basic(Kind::String)) && is(v, Ty::Any),
        (Ty::Slice(e), Type::StringSlice) => is(e, Ty::Basic(Kind::String)),
        (Ty::Slice(e), Type::AnySlice) => is(e, Ty::Any),
        _ => false,
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Type::Go(t) = self {
            return f.write_str(&t.name());
        }
        f.write_str(match self {
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Uint => "uint",
            Type::Uint8 => "uint8",
            Type::Uint16 => "uint16",
            Type::Uint32 => "uint32",
            Type::Uint64 => "uint64",
            Type::Uintptr => "uintptr",
            Type::Float32 => "float32",
            Type::Float64 => "float64",
            Type::Complex64 => "complex64",
            Type::Complex128 => "complex128",
            Type::String => "string",
            Type::Any => "interface {}",
            Type::Error => "error",
            Type::ReflectValue => "reflect.Value",
            Type::JsonNumber => "json.Number",
            Type::AnySlice => "[]interface {}",
            Type::AnyMap => "map[string]interface {}",
            Type::StringSlice => "[]string",
            Type::StringMap => "map[string]string",
            Type::ByteSlice => "[]uint8",
            Type::IntSlice => "[]int",
            Type::Func => "func",
            Type::Named(named) => named.name(),
            Type::Go(_) => unreachable!("written above"),
        })
    }
}

/// Parses a Go type as reflection spells it (`[]interface {}`), for the
/// generated signature tables. Unknown types map to `None`.
pub fn parse_go_type(name: &str) -> Option<Type> {
    Some(match name {
        "bool" => Type::Bool,
        "int" => Type::Int,
        "int8" => Type::Int8,
        "int16" => Type::Int16,
        "int32" => Type::Int32,
        "int64" => Type::Int64,
        "uint" => Type::Uint,
        "uint8" => Type::Uint8,
        "uint16" => Type::Uint16,
        "uint32" => Type::Uint32,
        "uint64" => Type::Uint64,
        "uintptr" => Type::Uintptr,
        "float32" => Type::Float32,
        "float64" => Type::Float64,
        "complex64" => Type::Complex64,
        "complex128" => Type::Complex128,
        "string" => Type::String,
        "interface {}" => Type::Any,
        "error" => Type::Error,
        "reflect.Value" => Type::ReflectValue,
        "json.Number" => Type::JsonNumber,
        "[]interface {}" => Type::AnySlice,
        "map[string]interface {}" => Type::AnyMap,
        "[]string" => Type::StringSlice,
        "map[string]string" => Type::StringMap,
        "[]uint8" => Type::ByteSlice,
        "[]int" => Type::IntSlice,
        _ => return None,
    })
}

/// The kind of a type known only by name, from its spelling.
/// A Go type known only by its name, interned: a name is two words, and
/// `Type` is part of every value, so it holds an index instead.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NamedType(u16);

/// The interned names; a handful per process (types of signatures and of
/// Go objects such as `time.Time`).
static NAMED_TYPES: std::sync::RwLock<Vec<&'static str>> = std::sync::RwLock::new(Vec::new());

impl NamedType {
    pub fn new(name: &'static str) -> NamedType {
        let position = |names: &[&'static str]| names.iter().position(|n| *n == name);
        let names = NAMED_TYPES.read().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = position(&names) {
            return NamedType(i as u16);
        }
        drop(names);
        let mut names = NAMED_TYPES.write().unwrap_or_else(|e| e.into_inner());
        let i = position(&names).unwrap_or_else(|| {
            names.push(name);
            names.len() - 1
        });
        NamedType(u16::try_from(i).expect("fewer than 65536 named types"))
    }

    pub fn name(self) -> &'static str {
        NAMED_TYPES.read().unwrap_or_else(|e| e.into_inner())[self.0 as usize]
    }
}

impl fmt::Debug for NamedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn named_kind(name: &str) -> Kind {
    if matches!(name, "protoiface.MessageV1" | "proto.Message") {
        Kind::Interface
    } else if name.starts_with("[]") {
        Kind::Slice
    } else if name.starts_with("map[") {
        Kind::Map
    } else if name.starts_with('*') {
        Kind::Pointer
    } else if name.starts_with("func") {
        Kind::Func
    } else {
        Kind::Struct
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GoType;

    fn field_type(owner: &str, field: &str) -> Type {
        let owner = GoType::named(owner).expect("a schema type");
        Type::Go(owner.field(field).expect("a field").ty)
    }

    #[test]
    fn variadic_parameters_spelled_as_named_slices_have_element_types() {
        let elem = |spelling: &'static str| Type::Named(NamedType::new(spelling)).elem();
        assert_eq!(elem("[]map[string]interface {}"), Some(Type::AnyMap));
        assert_eq!(elem("[]map[string]string"), Some(Type::StringMap));
        assert_eq!(elem("[]float64"), Some(Type::Float64));
        assert_eq!(elem("[]*semver.Version"), None);
        assert_eq!(elem("time.Time"), None);
    }

    #[test]
    fn typed_composites_are_assignable_to_the_same_builtin_type() {
        let annotations = field_type("metav1.ObjectMeta", "Annotations");
        assert_eq!(annotations.to_string(), "map[string]string");
        assert!(annotations.assignable_to(Type::StringMap));
        assert!(!annotations.assignable_to(Type::AnyMap));
        assert!(!annotations.assignable_to(Type::StringSlice));
        let finalizers = field_type("metav1.ObjectMeta", "Finalizers");
        assert_eq!(finalizers.to_string(), "[]string");
        assert!(finalizers.assignable_to(Type::StringSlice));
        assert!(!finalizers.assignable_to(Type::AnySlice));
        // A slice of structs is not []interface {}.
        let containers = field_type("corev1.PodSpec", "Containers");
        assert!(!containers.assignable_to(Type::AnySlice));
        assert!(!containers.assignable_to(Type::StringSlice));
    }
}
