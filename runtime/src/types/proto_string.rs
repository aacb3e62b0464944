//! The `String()` methods go-to-protobuf generates for the Kubernetes
//! types (`&Container{Name:app,Image:nginx,...}`), as data: read from
//! `generated.pb.go` by `tools/k8s-schema` into `go_types::STRINGERS`,
//! carried out by `fmt::proto_string`.

use super::GoType;
use super::go_types;

/// One type's `String()`: `head`, then each field's part, then `}`.
#[derive(Debug)]
pub struct ProtoString {
    /// The type's key, `corev1.Container`.
    pub owner: &'static str,
    /// `&Container{`.
    pub head: &'static str,
    pub parts: &'static [Part],
}

/// `Label:` + the field shown + `,`.
#[derive(Debug)]
pub struct Part {
    pub label: &'static str,
    /// The field's Go name.
    pub field: &'static str,
    pub show: Show,
}

/// How the generated code shows a field.
#[derive(Debug)]
pub enum Show {
    /// `fmt.Sprintf("%v", this.F)`, a type name renamed once (a type of
    /// another package gets its package's name), the first `&` removed.
    Value { rename: Option<(&'static str, &'static str)>, strip_amp: bool },
    /// `this.F.String()` of a message field (a struct, or a pointer to
    /// one: `nil` when nil), renamed and stripped as above.
    Message { rename: Option<(&'static str, &'static str)>, strip_amp: bool },
    /// A repeated field: `open` (`[]ContainerPort{`), each element and a
    /// comma, then `}`.
    Repeated { open: &'static str, each: Each },
    /// A map field: `open` (`map[string]string{`, `ResourceList{`), each
    /// `key: value,` in key order, then `}`.
    Map { open: &'static str },
    /// `valueToStringGenerated(this.F)`: `nil`, or `*` and `%v` of what
    /// the pointer points to.
    PointedTo,
}

/// An element of a repeated field.
#[derive(Debug)]
pub enum Each {
    /// `fmt.Sprintf("%v", f)`.
    Value,
    /// Its `String()`, renamed, without its first `&`.
    Message { rename: Option<(&'static str, &'static str)> },
}

impl GoType {
    /// The generated `String()` of a named type (its pointer's method).
    pub fn proto_string(self) -> Option<&'static ProtoString> {
        let key = self.def()?.key;
        let i = go_types::STRINGERS.binary_search_by(|p| p.owner.cmp(key)).ok()?;
        Some(&go_types::STRINGERS[i])
    }
}
