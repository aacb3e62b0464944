//! Go's `text/template` builtins (`builtins()` in `funcs.go`).

use super::signature::Signature;

const ANYS: &str = "[]interface {}";
const VALUE: &str = "reflect.Value";
const VALUES: &str = "[]reflect.Value";

pub(crate) static BUILTINS: &[Signature] = &[
    Signature::new("and", &[VALUE, VALUES], true, &[VALUE]),
    Signature::new("call", &[VALUE, VALUES], true, &[VALUE, "error"]),
    Signature::new("html", &[ANYS], true, &["string"]),
    Signature::new("index", &[VALUE, VALUES], true, &[VALUE, "error"]),
    Signature::new("slice", &[VALUE, VALUES], true, &[VALUE, "error"]),
    Signature::new("js", &[ANYS], true, &["string"]),
    Signature::new("len", &[VALUE], false, &["int", "error"]),
    Signature::new("not", &[VALUE], false, &["bool"]),
    Signature::new("or", &[VALUE, VALUES], true, &[VALUE]),
    Signature::new("print", &[ANYS], true, &["string"]),
    Signature::new("printf", &["string", ANYS], true, &["string"]),
    Signature::new("println", &[ANYS], true, &["string"]),
    Signature::new("urlquery", &[ANYS], true, &["string"]),
    Signature::new("eq", &[VALUE, VALUES], true, &["bool", "error"]),
    Signature::new("ge", &[VALUE, VALUE], false, &["bool", "error"]),
    Signature::new("gt", &[VALUE, VALUE], false, &["bool", "error"]),
    Signature::new("le", &[VALUE, VALUE], false, &["bool", "error"]),
    Signature::new("lt", &[VALUE, VALUE], false, &["bool", "error"]),
    Signature::new("ne", &[VALUE, VALUE], false, &["bool", "error"]),
];
