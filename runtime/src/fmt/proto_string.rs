//! Carries out a generated `String()` (`types::proto_string`) over a typed
//! value's data, as the Go code go-to-protobuf wrote would.

use super::print::sprint_one;
use crate::types::GoType;
use crate::types::proto_string::{Each, ProtoString, Show};
use crate::value::data::Data;
use crate::value::typed::field_data;

/// `(*T).String()` of a `T` held in `data` (`None`: the zero value).
pub(super) fn proto_string(t: GoType, program: &ProtoString, data: Option<&Data>) -> Vec<u8> {
    let data = data.filter(|d| !matches!(d, Data::Null));
    let mut out = program.head.as_bytes().to_vec();
    for part in program.parts {
        out.extend_from_slice(part.label.as_bytes());
        let Some(found) = t.field(part.field) else {
            // The schema has every field the generated code names; a
            // mismatch would be a generator defect, shown rather than hidden.
            out.extend_from_slice(b"?");
            continue;
        };
        let (ty, fdata) = (found.ty, field_data(&found, data));
        let shown = match &part.show {
            Show::Value { rename, strip_amp } => edit(sprint_one(ty, fdata), *rename, *strip_amp),
            Show::Message { rename, strip_amp } => edit(message(ty, fdata), *rename, *strip_amp),
            Show::Repeated { open, each } => {
                let mut s = open.as_bytes().to_vec();
                let elem = ty.elem().unwrap_or(ty);
                for item in items(fdata) {
                    let shown = match each {
                        Each::Value => sprint_one(elem, Some(item)),
                        Each::Message { rename } => edit(message(elem, Some(item)), *rename, true),
                    };
                    s.extend_from_slice(&shown);
                    s.push(b',');
                }
                s.push(b'}');
                s
            }
            Show::Map { open } => {
                let mut s = open.as_bytes().to_vec();
                let elem = ty.elem().unwrap_or(ty);
                if let Some(Data::Object(o)) = fdata {
                    let mut entries: Vec<_> = o.iter().collect();
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                    for (k, v) in entries {
                        s.extend_from_slice(k.as_bytes());
                        s.extend_from_slice(b": ");
                        s.extend_from_slice(&sprint_one(elem, Some(v)));
                        s.push(b',');
                    }
                }
                s.push(b'}');
                s
            }
            Show::PointedTo => match (ty.elem(), fdata) {
                (Some(elem), Some(d)) if !matches!(d, Data::Null) => {
                    let mut s = b"*".to_vec();
                    s.extend_from_slice(&sprint_one(elem, Some(d)));
                    s
                }
                _ => b"nil".to_vec(),
            },
        };
        out.extend_from_slice(&shown);
        out.push(b',');
    }
    out.push(b'}');
    out
}

/// `this.F.String()` of a message field: through its pointer, `nil` when
/// that is nil; a message of a package without generated strings shows
/// what `%v` of it shows.
fn message(ty: GoType, data: Option<&Data>) -> Vec<u8> {
    super::typed_stringer::generated_string_method(ty, data).unwrap_or_else(|| sprint_one(ty, data))
}

/// `strings.Replace(s, old, new, 1)`, then the first `&` removed.
fn edit(mut s: Vec<u8>, rename: Option<(&str, &str)>, strip_amp: bool) -> Vec<u8> {
    if let Some((old, new)) = rename
        && let Some(at) = find(&s, old.as_bytes())
    {
        s.splice(at..at + old.len(), new.bytes());
    }
    if strip_amp && let Some(at) = s.iter().position(|&b| b == b'&') {
        s.remove(at);
    }
    s
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn items(data: Option<&Data>) -> &[Data] {
    match data {
        Some(Data::Array(items)) => items,
        _ => &[],
    }
}
