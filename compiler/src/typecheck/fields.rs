//! What `.name` means on a value of a typed-data Go type: a method, a
//! struct field, a map key, or nothing Go would find.

use injit_runtime::types::{DefKind, GoType, Kind, Ty};
use injit_runtime::value::typed_field;

/// What `.name` resolved to on a receiver type.
#[derive(Clone, Copy, Debug)]
pub(super) struct Member {
    /// The member's type, when checks can follow it.
    pub ty: Option<GoType>,
    pub kind: MemberKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MemberKind {
    /// A getter: protobuf's `GetX`, `metav1.Object`'s, `String`; none
    /// takes arguments.
    Getter,
    /// Another method (`Quantity.MilliValue`, `Time.Format "2006"`), whose
    /// parameters the tables do not record.
    Method,
    /// A struct field.
    Field,
    /// A key of a string-keyed map: absent keys give Go's invalid value,
    /// so what it holds is not known for every pod.
    MapKey,
    /// A member of a type injit does not model, or of an interface.
    Unknown,
}

/// A method templates may call, and its result type when checks can
/// follow it: protobuf getters and field getters by their fields' types,
/// the rest as the runtime's typed methods answer without data.
fn method(t: GoType, name: &str) -> Option<Member> {
    let getter = |ty| Member { ty, kind: MemberKind::Getter };
    if t.is_message()
        && let Some(field) = name.strip_prefix("Get")
        && let Some(found) = t.member(field)
    {
        return Some(getter(Some(found.ty)));
    }
    if let Some(found) = t.getter(name) {
        return Some(getter(Some(found.ty)));
    }
    // Generated (`&Container{...}`) `String` methods live in `fmt`, enum
    // and protobuf message ones in `ops`.
    let is_enum = matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..)));
    let protobuf = t.special().is_some_and(|k| k.starts_with("durationpb.") || k.starts_with("wrapperspb."));
    if (name == "String" && (t.proto_string().is_some() || is_enum || protobuf)) || (is_enum && name == "Number") {
        return Some(getter(None));
    }
    let pointer = t.pointer_to().unwrap_or(t);
    typed_field::method_result(pointer, name).map(|ty| Member { ty, kind: MemberKind::Method })
}

/// Candidate names for a did-you-mean on type `t`.
pub(super) fn names(t: GoType) -> Vec<String> {
    let mut names: Vec<String> = t.field_names().into_iter().map(str::to_owned).collect();
    names.extend(t.getter_names().into_iter().map(str::to_owned));
    if t.is_message() {
        names.extend(t.fields().iter().map(|f| format!("Get{}", f.go)));
    }
    names
}

/// What `.name` gives on a value of type `t`, or `Err(receiver)` when Go
/// would fail (`receiver` is `t` with pointers followed).
pub(super) fn step(t: GoType, name: &str) -> Result<Member, GoType> {
    let mut target = t;
    while let Ty::Ptr(e) = target.underlying().expr() {
        target = GoType(e);
    }
    if let Some(member) = method(target, name) {
        return Ok(member);
    }
    let unknown = Member { ty: None, kind: MemberKind::Unknown };
    match target.kind() {
        Kind::Struct if target.def().is_some_and(|d| matches!(d.kind, DefKind::Opaque | DefKind::Special)) => {
            Ok(unknown)
        }
        Kind::Struct => match target.field(name) {
            Some(found) => Ok(Member { ty: Some(found.ty), kind: MemberKind::Field }),
            None => Err(target),
        },
        Kind::Map => match target.key().map(GoType::expr) {
            Some(Ty::Basic(Kind::String)) => Ok(Member { ty: target.elem(), kind: MemberKind::MapKey }),
            _ => Err(target),
        },
        Kind::Interface => Ok(unknown),
        _ => Err(target),
    }
}
