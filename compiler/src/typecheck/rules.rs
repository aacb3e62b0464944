//! Go's run-time rules for calls and comparisons, applied to static
//! types: each rule answers with Go's own error when it fails for every
//! value of the types it is given, and says nothing otherwise.
//!
//! The rules follow `text/template`'s `exec.go` and `funcs.go`:
//! `validateType` for arguments, `basicKind` for comparisons, `length`,
//! `index`, `slice` and `walkRange`.

use injit_runtime::types::{BasicKind, DefKind, Kind, Type};

use super::infer::{self, Static};

/// A rule Go's execution breaks, whatever the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Violation {
    pub code: &'static str,
    /// Go's error text.
    pub message: String,
    /// Said at the operand.
    pub label: String,
    pub help: Option<String>,
}

impl Violation {
    fn new(code: &'static str, message: impl Into<String>, label: impl Into<String>) -> Violation {
        Violation { code, message: message.into(), label: label.into(), help: None }
    }

    fn help(mut self, help: impl Into<String>) -> Violation {
        self.help = Some(help.into());
        self
    }
}

/// Whether two types are the same Go type: by identity, or by spelling
/// (the tables may hold one type expression more than once).
fn same(a: Type, b: Type) -> bool {
    a == b || a.to_string() == b.to_string()
}

fn assignable(value: Type, to: Type) -> bool {
    same(value, to) || value.assignable_to(to)
}

/// Go's `validateType` for a value of type `value` passed as a parameter
/// of type `param`: besides assignability, one dereference of a pointer
/// (which fails only for nil) and taking an address (which needs an
/// addressable value) can make it fit, so neither is reported.
pub(super) fn argument(value: Type, param: Type) -> Option<Violation> {
    if !infer::is_modelled(value) || !infer::is_modelled(param) || assignable(value, param) {
        return None;
    }
    if value.kind() == Kind::Pointer && infer::pointee(value).is_none_or(|p| assignable(p, param)) {
        return None;
    }
    if infer::pointer_to(value).is_some_and(|p| assignable(p, param)) {
        return None;
    }
    let help = match param {
        Type::String => Some(match value.kind() {
            k if k.is_int() || k.is_uint() => "`toString` or `printf \"%d\"` makes a string of it".to_owned(),
            _ => "`toString` or `printf \"%v\"` makes a string of it".to_owned(),
        }),
        Type::AnyMap if value.kind() == Kind::Map => Some(
            "sprig's dict functions take only map[string]interface {}; look a key up with `index` (or Istio's `isset`)"
                .to_owned(),
        ),
        p if p.kind().is_int() => Some("`int` converts numbers and numeric strings".to_owned()),
        _ => None,
    };
    let violation = Violation::new(
        "wrong-argument-type",
        format!("wrong type for value; expected {param}; got {value}"),
        format!("`{value}` where `{param}` is expected"),
    );
    Some(match help {
        Some(help) => violation.help(help),
        None => violation,
    })
}

fn basic_kind(t: Type) -> BasicKind {
    t.kind().basic()
}

/// Integers compare across signedness.
fn kinds_compare(a: BasicKind, b: BasicKind) -> bool {
    a == b || matches!((a, b), (BasicKind::Int, BasicKind::Uint) | (BasicKind::Uint, BasicKind::Int))
}

fn is_enum(t: Type) -> bool {
    matches!(t, Type::Go(g) if matches!(g.def().map(|d| d.kind), Some(DefKind::Enum(..))))
}

fn comparison_help(a: Type, b: Type) -> Option<&'static str> {
    let (ka, kb) = (basic_kind(a), basic_kind(b));
    if (is_enum(a) && kb == BasicKind::String) || (ka == BasicKind::String && is_enum(b)) {
        return Some("a protobuf enum is a number; compare its name: `eq .Mode.String \"REDIRECT\"`");
    }
    let numeric = |k| matches!(k, BasicKind::Int | BasicKind::Uint);
    if (ka == BasicKind::String && numeric(kb)) || (numeric(ka) && kb == BasicKind::String) {
        Some("compare numbers with a number constant (`eq .Port 8080`), or make a string first (`printf \"%d\"`)")
    } else if ka == BasicKind::Invalid || kb == BasicKind::Invalid {
        Some("only basic kinds (bool, numbers, strings) compare with values of another type")
    } else {
        None
    }
}

/// `eq a b` and `ne a b`: basic kinds must agree (integers of either
/// sign compare). Values without a basic kind compare only with their
/// own kind, which depends on nil-ness, so those are left alone.
pub(super) fn equality(name: &str, a: Type, b: Type) -> Option<Violation> {
    if !infer::is_modelled(a) || !infer::is_modelled(b) {
        return None;
    }
    let (ka, kb) = (basic_kind(a), basic_kind(b));
    if kinds_compare(ka, kb) || (ka == BasicKind::Invalid && kb == BasicKind::Invalid) {
        return None;
    }
    let violation = Violation::new(
        "incompatible-comparison",
        format!("error calling {name}: incompatible types for comparison"),
        format!("`{a}` compared with `{b}`"),
    );
    Some(match comparison_help(a, b) {
        Some(help) => violation.help(help),
        None => violation,
    })
}

/// `lt`, `le`, `gt`, `ge`: both basic, kinds agreeing, and ordered (not
/// bool or complex).
pub(super) fn ordering(name: &str, a: Type, b: Type) -> Option<Violation> {
    if !infer::is_modelled(a) || !infer::is_modelled(b) {
        return None;
    }
    let (ka, kb) = (basic_kind(a), basic_kind(b));
    let invalid = |t: Type| {
        Violation::new(
            "invalid-comparison",
            format!("error calling {name}: invalid type for comparison"),
            format!("`{t}` has no order"),
        )
        .help("`lt`, `le`, `gt` and `ge` order numbers and strings")
    };
    if ka == BasicKind::Invalid {
        return Some(invalid(a));
    }
    if kb == BasicKind::Invalid {
        return Some(invalid(b));
    }
    if !kinds_compare(ka, kb) {
        let violation = Violation::new(
            "incompatible-comparison",
            format!("error calling {name}: incompatible types for comparison"),
            format!("`{a}` compared with `{b}`"),
        );
        return Some(match comparison_help(a, b) {
            Some(help) => violation.help(help),
            None => violation,
        });
    }
    matches!(ka, BasicKind::Bool | BasicKind::Complex).then(|| invalid(a))
}

/// `len x`: pointers are followed (a nil one fails too).
pub(super) fn length(t: Type) -> Option<Violation> {
    let mut item = t;
    while item.kind() == Kind::Pointer {
        item = infer::pointee(item)?;
    }
    if !infer::is_modelled(item) || matches!(item.kind(), Kind::Map | Kind::Slice | Kind::String | Kind::Interface) {
        return None;
    }
    Some(
        Violation::new("no-len", format!("error calling len: len of type {item}"), format!("`{item}` has no length"))
            .help("`len` takes a string, slice, array or map"),
    )
}

/// Whether an index value of type `t` can index a slice, array or string.
fn is_integer(t: Type) -> bool {
    t.kind().is_int() || t.kind().is_uint()
}

fn bad_slice_index(name: &str, index: Type) -> Violation {
    Violation::new(
        "cannot-index",
        format!("error calling {name}: cannot index slice/array with type {index}"),
        format!("`{index}`, not an integer"),
    )
    .help("slices, arrays and strings take integer indexes; `atoi` converts a numeric string")
}

/// One step of `index item key`: the element's type, or why Go fails.
/// Pointers are followed (a nil one fails too); a key of unknown type
/// still gives the element's type.
pub(super) fn index_step(item: Type, index: Static) -> Result<Static, Violation> {
    let mut item = item;
    while item.kind() == Kind::Pointer {
        let Some(inner) = infer::pointee(item) else { return Ok(None) };
        item = inner;
    }
    if !infer::is_modelled(item) {
        return Ok(None);
    }
    let index = index.filter(|i| infer::is_modelled(*i));
    match item.kind() {
        Kind::Slice | Kind::String => match index {
            Some(i) if !is_integer(i) => Err(bad_slice_index("index", i)),
            _ => Ok(infer::element(item)),
        },
        Kind::Map => {
            let key = infer::key(item);
            match (index, key) {
                (Some(i), Some(k)) if !(assignable(i, k) || (is_integer(i) && is_integer(k))) => Err(Violation::new(
                    "cannot-index",
                    format!("error calling index: value has type {i}; should be {k}"),
                    format!("`{i}`, but the map's keys are `{k}`"),
                )
                .help(if k == Type::String {
                    "the map's keys are strings: quote a constant key, or `toString` a computed one"
                } else {
                    "`index` converts map keys only between integer types; range over the map and compare its keys instead"
                })),
                _ => Ok(infer::element(item)),
            }
        }
        Kind::Interface => Ok(None),
        _ => Err(Violation::new(
            "cannot-index",
            format!("error calling index: can't index item of type {item}"),
            format!("`{item}` has no elements"),
        )
        .help("`index` takes a string, slice, array or map")),
    }
}

/// `slice item indexes...`: no pointers are followed.
pub(super) fn slice(item: Type, indexes: &[Static]) -> Option<Violation> {
    if !infer::is_modelled(item) {
        return None;
    }
    match item.kind() {
        Kind::String if indexes.len() == 3 => Some(Violation::new(
            "cannot-slice",
            "error calling slice: cannot 3-index slice a string",
            "a string takes at most two slice indexes",
        )),
        Kind::String | Kind::Slice => indexes
            .iter()
            .flatten()
            .find(|i| infer::is_modelled(**i) && !is_integer(**i))
            .map(|i| bad_slice_index("slice", *i)),
        Kind::Interface => None,
        _ => Some(
            Violation::new(
                "cannot-slice",
                format!("error calling slice: can't slice item of type {item}"),
                format!("`{item}` cannot be sliced"),
            )
            .help("`slice` takes a string, slice or array"),
        ),
    }
}

/// What `range` over a value of type `over` gives its variables (key or
/// index, element), or why Go cannot range over it. Pointers and
/// integers are left alone: Go follows pointers and ranges over integers
/// since 1.22, injit's runtime does neither yet.
pub(super) fn range(over: Type) -> Result<(Static, Static), Violation> {
    if !infer::is_modelled(over) {
        return Ok((None, None));
    }
    match over.kind() {
        Kind::Slice => Ok((Some(Type::Int), infer::element(over))),
        Kind::Map => Ok((infer::key(over), infer::element(over))),
        Kind::String | Kind::Struct | Kind::Bool => Err(Violation::new(
            "cannot-range",
            format!("range can't iterate over a value of type {over}"),
            format!("`{over}` has no elements to range over"),
        )
        .help("`range` iterates over slices, arrays, maps and channels")),
        k if k.is_float() || k.is_complex() => Err(Violation::new(
            "cannot-range",
            format!("range can't iterate over a value of type {over}"),
            format!("`{over}` has no elements to range over"),
        )),
        _ => Ok((None, None)),
    }
}
