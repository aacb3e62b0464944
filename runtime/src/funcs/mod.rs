//! Template functions: the standard libraries (text/template's builtins,
//! sprig, Istio's) a function set starts from, and their bodies.
//!
//! The runtime's top floor: function bodies may use every module below
//! (values, encodings, printing, operations); nothing below imports them.

mod builtin_signatures;
mod builtins;
mod istio;
mod istio_signatures;
mod signature;
pub(crate) mod sprig;
mod sprig_signatures;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use signature::{Arity, Signature};

use crate::types::{Type, parse_go_type};
use crate::value::Value;

/// What functions may touch outside the template and its data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCx {
    /// `env` and `expandenv` read the environment (off by default: a
    /// template should not see the injector's secrets).
    pub allow_env: bool,
    /// `getHostByName` resolves names.
    pub allow_network: bool,
}

/// A function implemented in Rust: arguments already converted to the
/// parameter types, as Go's reflection would pass them.
pub type NativeFn = for<'a> fn(&CallCx, &[Value<'a>]) -> Result<Value<'a>, String>;

/// Appends to `out` exactly what printing a call's (string) result would
/// print, without making the result: how native code runs `{{ f ... }}`.
/// On an error the caller drops what was appended.
pub type WriteFn = for<'a> fn(&CallCx, &[Value<'a>], &mut Vec<u8>) -> Result<(), String>;

/// How a function runs.
#[derive(Clone, Copy)]
pub enum Body {
    Native(NativeFn),
    /// `and`: evaluates arguments lazily, returns the first falsy one.
    And,
    /// `or`: evaluates arguments lazily, returns the first truthy one.
    Or,
    /// `call`: needs the callee's name as the template spells it.
    Call,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Native(_) => f.write_str("Native"),
            Body::And => f.write_str("And"),
            Body::Or => f.write_str("Or"),
            Body::Call => f.write_str("Call"),
        }
    }
}

/// A callable function: its Go signature and body.
#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    pub params: Vec<Type>,
    pub variadic: bool,
    pub results: Vec<Type>,
    pub body: Body,
    /// The same call printing its result, for functions of a string
    /// result that have one.
    pub write: Option<WriteFn>,
    /// A builtin of text/template (these get special treatment in errors).
    pub builtin: bool,
}

impl Function {
    fn from_signature(sig: &'static Signature, body: Body, builtin: bool) -> Function {
        let ty = |name: &'static str| {
            parse_go_type(name)
                .or_else(|| crate::types::GoType::parse(name).map(Type::Go))
                .unwrap_or_else(|| Type::Named(crate::types::NamedType::new(name)))
        };
        Function {
            name: sig.name,
            params: sig.params.iter().map(|p| ty(p)).collect(),
            variadic: sig.variadic,
            results: sig.results.iter().map(|r| ty(r)).collect(),
            body,
            write: None,
            builtin,
        }
    }

    fn with_writer(mut self, write: Option<WriteFn>) -> Function {
        debug_assert!(write.is_none() || self.result() == Type::String, "{} prints a string result", self.name);
        self.write = write;
        self
    }

    /// The type of the first result.
    pub fn result(&self) -> Type {
        self.results.first().copied().unwrap_or(Type::Any)
    }

    /// Whether a call's result depends only on its arguments, so that a
    /// compiler may make the call once, when the arguments are known:
    /// not the clock, randomness, the environment, the network, or a map
    /// changed in place.
    pub fn is_deterministic(&self) -> bool {
        !NOT_DETERMINISTIC.contains(&self.name) && matches!(self.body, Body::Native(_))
    }
}

/// Functions whose results are not a function of their arguments.
const NOT_DETERMINISTIC: &[&str] = &[
    // the clock
    "now",
    "ago",
    "date",
    "dateInZone",
    "date_in_zone",
    "htmlDate",
    "htmlDateInZone",
    "dateModify",
    "date_modify",
    "mustDateModify",
    "must_date_modify",
    "duration",
    "durationRound",
    "unixEpoch",
    "toDate",
    "mustToDate",
    // randomness
    "randAlpha",
    "randAlphaNum",
    "randAscii",
    "randNumeric",
    "randBytes",
    "randInt",
    "uuidv4",
    "shuffle",
    "genPrivateKey",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "buildCustomCert",
    "bcrypt",
    "htpasswd",
    "encryptAES",
    // the environment and the network
    "env",
    "expandenv",
    "getHostByName",
    // maps changed in place
    "set",
    "unset",
    "merge",
    "mergeOverwrite",
    "mustMerge",
    "mustMergeOverwrite",
    // the kit's test functions
    "mkfunc",
    "failwith",
    "panicwith",
];

/// A function set's functions with their bodies, by name.
pub struct FunctionTable {
    functions: HashMap<&'static str, Function>,
}

/// A function a program adds to a function set, as Go programs do with
/// `Funcs`.
#[derive(Clone, Copy)]
pub struct CustomFunction {
    pub signature: Signature,
    pub body: NativeFn,
}

/// A library with a program's own functions over it (they replace
/// same-named ones, as a later `Funcs` call does in Go). Built once, at
/// start-up, like Go's `FuncMap`s: it lives for the rest of the process.
pub struct CustomLibrary {
    pub signatures: Vec<&'static Signature>,
    pub table: FunctionTable,
}

impl CustomLibrary {
    pub fn build(library: Library, custom: &[CustomFunction]) -> &'static CustomLibrary {
        let mut table = FunctionTable::build(library);
        let mut signatures = Vec::new();
        for f in custom {
            let signature: &'static Signature = Box::leak(Box::new(f.signature));
            table.functions.insert(signature.name, Function::from_signature(signature, Body::Native(f.body), false));
            signatures.push(signature);
        }
        Box::leak(Box::new(CustomLibrary { signatures, table }))
    }

    pub fn signature(&self, name: &str) -> Option<&'static Signature> {
        self.signatures.iter().copied().find(|s| s.name == name)
    }
}

impl FunctionTable {
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.functions.get(name)
    }

    fn build(library: Library) -> FunctionTable {
        let mut functions = HashMap::new();
        for sig in builtin_signatures::BUILTINS {
            if let Some(body) = builtins::body(sig.name) {
                let function = Function::from_signature(sig, body, true).with_writer(builtins::writer(sig.name));
                functions.insert(sig.name, function);
            }
        }
        // Later layers replace earlier ones, as Go's Funcs does.
        if library != Library::Go {
            for sig in sprig_signatures::SPRIG {
                if let Some(body) = sprig::body(sig.name) {
                    let function = Function::from_signature(sig, body, false).with_writer(sprig::writer(sig.name));
                    functions.insert(sig.name, function);
                }
            }
        }
        if library == Library::Istio {
            for sig in istio_signatures::ISTIO {
                if let Some(body) = istio::body(sig.name) {
                    functions.insert(sig.name, Function::from_signature(sig, body, false));
                }
            }
        }
        FunctionTable { functions }
    }

    /// The table for a function set (built once per process).
    pub fn for_library(library: Library) -> &'static FunctionTable {
        static TABLES: [OnceLock<FunctionTable>; 3] = [const { OnceLock::new() }; 3];
        let i = match library {
            Library::Go => 0,
            Library::Sprig => 1,
            Library::Istio => 2,
        };
        TABLES[i].get_or_init(|| FunctionTable::build(library))
    }
}

/// The standard function libraries a function set starts from, as Go
/// programs install them with `Funcs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Library {
    /// `text/template`'s builtins only.
    #[default]
    Go,
    /// The builtins and sprig v3.2.3's `TxtFuncMap`.
    Sprig,
    /// Sprig overlaid with Istio's injection functions, as Istio parses its
    /// injection templates.
    Istio,
}

impl Library {
    pub fn name(self) -> &'static str {
        match self {
            Library::Go => "go",
            Library::Sprig => "sprig",
            Library::Istio => "istio",
        }
    }

    /// The function `name` resolves to, looking where Go's executor looks:
    /// the installed maps, latest first, then the builtins.
    pub fn signature(self, name: &str) -> Option<&'static Signature> {
        let find = |table: &'static [Signature]| table.iter().find(|s| s.name == name);
        let layered = match self {
            Library::Go => None,
            Library::Sprig => find(sprig_signatures::SPRIG),
            Library::Istio => find(istio_signatures::ISTIO).or_else(|| find(sprig_signatures::SPRIG)),
        };
        layered.or_else(|| find(builtin_signatures::BUILTINS))
    }

    /// Every function name in the set, sorted.
    pub fn names(self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = builtin_signatures::BUILTINS.iter().map(|s| s.name).collect();
        if self != Library::Go {
            names.extend(sprig_signatures::SPRIG.iter().map(|s| s.name));
        }
        if self == Library::Istio {
            names.extend(istio_signatures::ISTIO.iter().map(|s| s.name));
        }
        names.sort_unstable();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A function's writer appends what printing its result would, after
    /// whatever the output held, and fails where its body fails.
    #[test]
    fn writers_print_what_their_functions_return() {
        use crate::encoding::json::NumberMode;
        use crate::value::data::Data;
        let json = br#"{"s":"a\"b <&>","n":null,"f":2.5,"i":15001,"l":[1,"x",{"k":null}],"t":"one\ntwo\n"}"#;
        let data = Data::from_json(json, NumberMode::Float).expect("JSON");
        let Data::Object(o) = &data else { unreachable!("an object") };
        let v = |key: &str| Value::from_data(o.get(key.as_bytes()).expect("a key"), true);
        let (s, n, f, i, l, t) = (v("s"), v("n"), v("f"), v("i"), v("l"), v("t"));
        let inf = Value::new(crate::value::Repr::Float(f64::INFINITY, Type::Float64));
        let calls: Vec<(&str, Vec<Value<'_>>)> = vec![
            ("quote", vec![]),
            ("quote", vec![s.clone(), n.clone(), f.clone(), Value::invalid(), i.clone(), l.clone()]),
            ("printf", vec![Value::str(b"%q|%5.1f|%v|%d|%s"), s.clone(), f.clone(), l.clone(), i.clone()]),
            ("printf", vec![Value::str(b"%!|%v %v"), n.clone()]),
            ("print", vec![s.clone(), i.clone(), f.clone(), Value::str(b"x"), Value::str(b"y"), l.clone()]),
            ("println", vec![n.clone(), s.clone()]),
            ("toJson", vec![l.clone()]),
            ("toJson", vec![Value::invalid()]),
            ("toJson", vec![inf]),
            ("indent", vec![Value::int(2), t.clone()]),
            ("nindent", vec![Value::int(0), Value::str(b"")]),
            ("nindent", vec![Value::int(-1), t.clone()]),
            ("nindent", vec![Value::int(1 << 40), t]),
        ];
        let table = FunctionTable::for_library(Library::Sprig);
        let cx = CallCx::default();
        for (name, args) in &calls {
            let function = table.get(name).expect("a sprig function");
            let (Body::Native(body), Some(write)) = (function.body, function.write) else {
                panic!("{name} has a writer")
            };
            let expected = body(&cx, args).map(|v| {
                let mut out = b"before ".to_vec();
                crate::fmt::fprint(&mut out, &v);
                out
            });
            let mut out = b"before ".to_vec();
            let written = write(&cx, args, &mut out).map(|()| out);
            assert_eq!(written, expected, "{name} {args:?}");
        }
        let with_writers: Vec<&str> = ["quote", "printf", "print", "println", "toJson", "indent", "nindent"]
            .into_iter()
            .filter(|name| table.get(name).is_some_and(|f| f.write.is_some()))
            .collect();
        assert_eq!(with_writers.len(), 7);
        assert!(table.get("lower").is_some_and(|f| f.write.is_none()));
        // A layer's function replaces the one below with its writer:
        // Istio's `indent` leaves the first line alone, sprig's does not.
        let istio = FunctionTable::for_library(Library::Istio);
        assert!(istio.get("indent").is_some_and(|f| f.write.is_none()));
        assert!(istio.get("quote").is_some_and(|f| f.write.is_some()));
    }

    #[test]
    fn sets_layer_like_go() {
        assert!(Library::Go.signature("printf").is_some());
        assert!(Library::Go.signature("quote").is_none());
        assert_eq!(Library::Sprig.signature("slice").unwrap().params, &["interface {}", "[]interface {}"]);
        assert_eq!(Library::Sprig.signature("indent").unwrap().params, &["int", "string"]);
        assert_eq!(Library::Istio.signature("contains").unwrap().params, &["string", "string"]);
        assert_eq!(Library::Istio.signature("env").unwrap().arity().min, 2);
        assert_eq!(Library::Sprig.signature("env").unwrap().arity().min, 1);
        assert_eq!(Library::Go.signature("printf").unwrap().go_type(), "func(string, ...interface {}) string");
        assert!(Library::Sprig.names().len() > 200);
    }
}
