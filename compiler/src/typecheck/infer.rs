//! The static types inference gives values: typed data by its Go type,
//! constants as Go's `idealConstant` makes them, function results by
//! their signatures. `None` is a type not known for every pod (interface
//! values, generic data, results typed `interface {}`, map keys that may
//! be absent): the rules say nothing about those.

use injit_grammar::ast::Operand;
use injit_runtime::Signature;
use injit_runtime::types::{DefKind, GoType, Kind, Type, parse_go_type};

use crate::check::constant_type;

/// A value's type, when known for every value the expression can have.
pub(super) type Static = Option<Type>;

/// The static type of typed data of Go type `t`.
pub(super) fn of_data(t: GoType) -> Static {
    match Type::go(t) {
        Type::Any => None,
        known => Some(known),
    }
}

/// Whether the rules may reason about values of type `t`. Types with a
/// JSON form and methods of their own (`resource.Quantity`,
/// `metav1.Time`, durations) and types injit does not model keep their
/// Go semantics to themselves; so do interfaces and function values.
pub(super) fn is_modelled(t: Type) -> bool {
    match t {
        Type::Go(g) => {
            let own = !g.def().is_some_and(|d| matches!(d.kind, DefKind::Special | DefKind::Opaque));
            let inner = match g.pointee() {
                Some(p) => of_data(p).is_some_and(is_modelled),
                None => true,
            };
            own && inner && g.kind() != Kind::Interface
        }
        Type::Any | Type::Error | Type::ReflectValue | Type::JsonNumber | Type::Func | Type::Named(_) => false,
        _ => true,
    }
}

/// The type of a constant operand (`nil` has none).
pub(super) fn constant(operand: &Operand) -> Static {
    constant_type(operand).and_then(parse_go_type)
}

/// Whether an operand is a constant, which `evalArg` converts to the
/// parameter's kind instead of checking its type (the generic checker
/// reports constants of the wrong kind).
pub(super) fn is_constant(operand: &Operand) -> bool {
    matches!(operand, Operand::Bool(..) | Operand::Number(_) | Operand::String(_) | Operand::Nil(_))
}

/// A type spelled as reflection spells it in a signature, when it is a
/// concrete type the tables know; `None` for interfaces (which take any
/// value), `reflect.Value`, and types injit does not model.
pub(super) fn spelled(spelling: &str) -> Static {
    let t = parse_go_type(spelling).or_else(|| GoType::parse(spelling).and_then(of_data))?;
    (t.kind() != Kind::Interface && t != Type::ReflectValue).then_some(t)
}

/// The type of parameter `i` of `signature` (the element type for the
/// variadic tail), when it is concrete.
pub(super) fn parameter(signature: &Signature, i: usize) -> Static {
    let fixed = signature.params.len() - usize::from(signature.variadic);
    if i < fixed {
        return spelled(signature.params[i]);
    }
    signature.params.get(fixed).filter(|_| signature.variadic).and_then(|tail| spelled(tail.strip_prefix("[]")?))
}

/// What a call of a function with `signature` returns.
pub(super) fn result(signature: &Signature) -> Static {
    signature.results.first().and_then(|r| spelled(r))
}

/// The one type of values that may each be any of `types`: known only
/// when they all are the same known type.
pub(super) fn union(mut types: impl Iterator<Item = Static>) -> Static {
    let first = types.next()??;
    types.all(|t| t == Some(first)).then_some(first)
}

/// The element type of a slice, array or map (`uint8` for strings'
/// bytes).
pub(super) fn element(t: Type) -> Static {
    if t.kind() == Kind::String {
        return Some(Type::Uint8);
    }
    match t {
        Type::Go(g) => g.elem().and_then(of_data),
        other => other.elem().filter(|e| *e != Type::Any),
    }
}

/// The key type of a map.
pub(super) fn key(t: Type) -> Static {
    match t {
        Type::Go(g) => g.key().and_then(of_data),
        Type::AnyMap | Type::StringMap => Some(Type::String),
        _ => None,
    }
}

/// The type a pointer points to.
pub(super) fn pointee(t: Type) -> Static {
    match t {
        Type::Go(g) => g.pointee().and_then(of_data),
        _ => None,
    }
}

/// `*t`, if the tables have it.
pub(super) fn pointer_to(t: Type) -> Static {
    match t {
        Type::Go(g) => g.pointer_to().and_then(of_data),
        _ => None,
    }
}
