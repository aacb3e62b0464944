//! `reflect.Kind`: the kind of a Go type, which decides how values of it
//! print, compare, convert and index.

/// `reflect.Kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Invalid,
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
    Map,
    Slice,
    Struct,
    Pointer,
    Func,
    Interface,
}

/// What comparisons compare a kind as (Go's `basicKind` in
/// `text/template`'s `funcs.go`): kinds outside these are `Invalid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BasicKind {
    Invalid,
    Bool,
    Complex,
    Int,
    Float,
    String,
    Uint,
}

impl Kind {
    pub fn basic(self) -> BasicKind {
        match self {
            Kind::Bool => BasicKind::Bool,
            k if k.is_int() => BasicKind::Int,
            k if k.is_uint() => BasicKind::Uint,
            k if k.is_float() => BasicKind::Float,
            k if k.is_complex() => BasicKind::Complex,
            Kind::String => BasicKind::String,
            _ => BasicKind::Invalid,
        }
    }

    pub fn is_int(self) -> bool {
        matches!(self, Kind::Int | Kind::Int8 | Kind::Int16 | Kind::Int32 | Kind::Int64)
    }

    pub fn is_uint(self) -> bool {
        matches!(self, Kind::Uint | Kind::Uint8 | Kind::Uint16 | Kind::Uint32 | Kind::Uint64 | Kind::Uintptr)
    }

    pub fn is_float(self) -> bool {
        matches!(self, Kind::Float32 | Kind::Float64)
    }

    pub fn is_complex(self) -> bool {
        matches!(self, Kind::Complex64 | Kind::Complex128)
    }

    /// `reflect.Kind.String()`: for a basic kind, its type's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Invalid => "invalid",
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Int8 => "int8",
            Kind::Int16 => "int16",
            Kind::Int32 => "int32",
            Kind::Int64 => "int64",
            Kind::Uint => "uint",
            Kind::Uint8 => "uint8",
            Kind::Uint16 => "uint16",
            Kind::Uint32 => "uint32",
            Kind::Uint64 => "uint64",
            Kind::Uintptr => "uintptr",
            Kind::Float32 => "float32",
            Kind::Float64 => "float64",
            Kind::Complex64 => "complex64",
            Kind::Complex128 => "complex128",
            Kind::String => "string",
            Kind::Map => "map",
            Kind::Slice => "slice",
            Kind::Struct => "struct",
            Kind::Pointer => "ptr",
            Kind::Func => "func",
            Kind::Interface => "interface",
        }
    }

    /// Whether a value of this kind can be nil (`canBeNil` in exec.go).
    pub fn can_be_nil(self) -> bool {
        matches!(self, Kind::Map | Kind::Slice | Kind::Pointer | Kind::Func | Kind::Interface)
    }
}
