//! Go's `text/template` builtins (funcs.go), as plain functions over values.

use std::rc::Rc;

use crate::types::{Kind, Type};
use crate::value::data::Data;
use crate::value::func::FuncType;
use crate::value::{Repr, SliceValue, Str, Value, zero_of};

/// Go's `isTrue`: `None` for values that have no truth (Go's `ok == false`).
pub fn truth(v: &Value<'_>) -> Option<bool> {
    if v.boxed {
        return Some(!matches!(v.repr, Repr::Nil(Type::Any)));
    }
    Some(match &v.repr {
        Repr::Invalid => false,
        Repr::Nil(_) => false,
        Repr::Bool(b) => *b,
        Repr::Int(i, _) => *i != 0,
        Repr::Uint(u, _) => *u != 0,
        Repr::Float(f, _) => *f != 0.0,
        Repr::Complex(re, im, _) => *re != 0.0 || *im != 0.0,
        Repr::Str(s, _) => !s.as_bytes().is_empty(),
        Repr::Data(Data::Array(a)) => !a.is_empty(),
        Repr::Data(Data::Object(o)) => !o.is_empty(),
        Repr::Data(_) => true,
        Repr::Slice(s, _) => !s.is_empty(),
        Repr::Map(m, _) => !m.borrow().entries.is_empty(),
        Repr::Func(f) => !f.is_nil(),
        Repr::Object(_) | Repr::Method(_) => true,
        Repr::Typed(t, d, _) => match t.kind() {
            Kind::Struct => true,
            Kind::Pointer => !crate::value::typed::is_nil(*t, *d),
            _ => crate::value::typed::len(*d) > 0,
        },
    })
}

/// `truth` in funcs.go: the truth of what an interface holds.
pub fn is_truthy(v: &Value<'_>) -> bool {
    truth(&v.unboxed_cow()).unwrap_or(false)
}

/// `not`.
pub fn not(v: &Value<'_>) -> bool {
    !is_truthy(v)
}

/// `len`.
pub fn length(item: &Value<'_>) -> Result<usize, String> {
    if item.boxed && matches!(item.repr, Repr::Nil(Type::Any)) {
        return Err("len of nil pointer".to_owned());
    }
    let item = item.unboxed_cow();
    if !item.is_valid() {
        return Err("reflect: call of reflect.Value.Type on zero Value".to_owned());
    }
    // Go's `length` follows pointers first.
    if let Repr::Typed(t, data, _) = &item.repr
        && let Some(elem) = t.pointee()
    {
        let Some(data) = data.filter(|d| !matches!(d, crate::value::data::Data::Null)) else {
            return Err("len of nil pointer".to_owned());
        };
        return length(&crate::value::typed::value(elem, Some(data), false));
    }
    match item.kind() {
        Kind::Map | Kind::Slice | Kind::String => Ok(item.len().unwrap_or(0)),
        _ => Err(format!("len of type {}", item.type_name())),
    }
}

fn index_arg(index: &Value<'_>, cap: usize) -> Result<usize, String> {
    let x: i64 = match &index.repr {
        _ if index.boxed => {
            return Err(format!("cannot index slice/array with type {}", index.type_name()));
        }
        Repr::Int(i, _) => *i,
        Repr::Uint(u, _) => *u as i64,
        Repr::Invalid => return Err("cannot index slice/array with nil".to_owned()),
        _ => {
            return Err(format!("cannot index slice/array with type {}", index.type_name()));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// `index item indexes...`.
pub fn index<'a>(item: &Value<'a>, indexes: &[Value<'a>]) -> Result<Value<'a>, String> {
    let mut item = item.unboxed();
    if !item.is_valid() {
        return Err("index of untyped nil".to_owned());
    }
    for index in indexes {
        let index = index.unboxed_cow();
        // `indirect`: a nil interface or pointer cannot be indexed.
        item = item.unboxed();
        if !item.is_valid() {
            return Err("index of nil pointer".to_owned());
        }
        if let Repr::Typed(t, d, _) = item.repr
            && t.kind() == Kind::Pointer
        {
            if crate::value::typed::is_nil(t, d) {
                return Err("index of nil pointer".to_owned());
            }
            item = crate::value::typed::value(t.elem().unwrap_or(t), d, false);
        }
        match item.kind() {
            Kind::Slice | Kind::String => {
                let len = item.len().unwrap_or(0);
                let x = index_arg(&index, len)?;
                if x == len {
                    let what = if item.kind() == Kind::String { "string" } else { "slice" };
                    return Err(format!("reflect: {what} index out of range"));
                }
                item = item.index(x);
            }
            Kind::Map => {
                let key_type = match item.repr {
                    Repr::Typed(t, _, _) => t.key().map_or(Type::String, Type::go),
                    _ => Type::String,
                };
                let key = match index.repr {
                    Repr::Str(ref s, t) if t == key_type => s.as_bytes(),
                    Repr::Invalid => {
                        return Err(format!("value is nil; should be of type {key_type}"));
                    }
                    _ => {
                        return Err(format!("value has type {}; should be {key_type}", index.type_name()));
                    }
                };
                item = item.map_get(key).unwrap_or_else(|| item.map_zero());
            }
            _ => return Err(format!("can't index item of type {}", item.type_name())),
        }
    }
    Ok(item)
}

/// `slice item indexes...`.
pub fn slice<'a>(item: &Value<'a>, indexes: &[Value<'a>]) -> Result<Value<'a>, String> {
    let item = item.unboxed();
    if !item.is_valid() {
        return Err("slice of untyped nil".to_owned());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let cap = match item.kind() {
        Kind::String => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_owned());
            }
            item.len().unwrap_or(0)
        }
        Kind::Slice => item.cap().unwrap_or(0),
        _ => return Err(format!("can't slice item of type {}", item.type_name())),
    };
    let mut idx = [0usize, item.len().unwrap_or(0), 0];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, cap)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    let (low, high) = (idx[0], idx[1]);
    if let Repr::Str(s, ty) = &item.repr {
        let bytes: Rc<[u8]> = Rc::from(&s.as_bytes()[low..high]);
        return Ok(Value::new(Repr::Str(Str::Owned(bytes), *ty)));
    }
    let ty = item.dyn_type().unwrap_or(Type::AnySlice);
    let elem = ty.elem().unwrap_or(Type::Any);
    let len = item.len().unwrap_or(0);
    let items: Vec<Value<'a>> =
        (low..high).map(|i| if i < len { item.index(i).unbox_if(elem == Type::Any) } else { zero_of(elem) }).collect();
    let new_cap = if indexes.len() == 3 { idx[2] - low } else { cap - low };
    Ok(Value::new(Repr::Slice(Rc::new(SliceValue::new(items, new_cap)), ty)))
}

impl<'a> Value<'a> {
    /// Elements stored in an owned `[]interface{}` are kept unboxed (the
    /// slice boxes them again when read).
    fn unbox_if(self, cond: bool) -> Value<'a> {
        if cond && self.boxed {
            let mut v = self;
            v.boxed = false;
            if matches!(v.repr, Repr::Nil(Type::Any)) {
                return Value::nil_interface();
            }
            return v;
        }
        self
    }
}

const HTML_ESCAPES: [(u8, &[u8]); 6] = [
    (0, "\u{FFFD}".as_bytes()),
    (b'"', b"&#34;"),
    (b'\'', b"&#39;"),
    (b'&', b"&amp;"),
    (b'<', b"&lt;"),
    (b'>', b"&gt;"),
];

/// `template.HTMLEscapeString`.
pub fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        match HTML_ESCAPES.iter().find(|(b, _)| *b == c) {
            Some((_, esc)) => out.extend_from_slice(esc),
            None => out.push(c),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub fn js_escape(s: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c < 0x80 {
            match c {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\'' => out.extend_from_slice(b"\\'"),
                b'"' => out.extend_from_slice(b"\\\""),
                b'<' => out.extend_from_slice(b"\\u003C"),
                b'>' => out.extend_from_slice(b"\\u003E"),
                b'&' => out.extend_from_slice(b"\\u0026"),
                b'=' => out.extend_from_slice(b"\\u003D"),
                _ if c < b' ' => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(c >> 4) as usize]);
                    out.push(HEX[(c & 0xF) as usize]);
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        let (r, size) = injit_strconv::decode_rune(&s[i..]);
        let size = size.max(1);
        if injit_strconv::unicode::is_print(r) && !(r == injit_strconv::RUNE_ERROR && size == 1) {
            out.extend_from_slice(&s[i..i + size]);
        } else {
            out.extend_from_slice(format!("\\u{:04X}", r as u32).as_bytes());
        }
        i += size;
    }
    out
}

/// `url.QueryEscape`.
pub fn query_escape(s: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(c),
            b' ' => out.push(b'+'),
            _ => {
                out.push(b'%');
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 0xF) as usize]);
            }
        }
    }
    out
}

/// `evalArgs` of html/js/urlquery: one string is used as is; otherwise the
/// arguments are printed with `Sprint`, missing ones as `<no value>`.
pub fn eval_args(args: &[Value<'_>]) -> Vec<u8> {
    if let [one] = args
        && let Repr::Str(s, Type::String) = &one.unboxed().repr
    {
        return s.as_bytes().to_vec();
    }
    let printable: Vec<Value<'_>> = args
        .iter()
        .map(|a| {
            let dynamic = a.unboxed();
            if dynamic.is_valid() { dynamic } else { Value::str(b"<no value>") }
        })
        .collect();
    crate::fmt::sprint(&printable)
}

/// `call fn args...`, the `calleeName` being how the template named `fn`.
pub fn call<'a>(callee_name: &str, func: &Value<'a>, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    let func = func.unboxed();
    if !func.is_valid() {
        return Err("call of nil".to_owned());
    }
    let Repr::Func(f) = &func.repr else {
        return Err(format!("non-function {callee_name} of type {}", func.type_name()));
    };
    check_func_type(callee_name, &f.ty)?;
    let ty = &f.ty;
    let num_in = ty.params.len();
    if ty.variadic {
        if args.len() < num_in - 1 {
            return Err(format!(
                "wrong number of args for {callee_name}: got {} want at least {}",
                args.len(),
                num_in - 1
            ));
        }
    } else if args.len() != num_in {
        return Err(format!("wrong number of args for {callee_name}: got {} want {num_in}", args.len()));
    }
    let mut argv = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let arg = arg.unboxed();
        let arg_type = if ty.variadic && i >= num_in - 1 {
            ty.params[num_in - 1].elem().unwrap_or(Type::Any)
        } else {
            ty.params[i]
        };
        argv.push(prepare_arg(arg, arg_type).map_err(|e| format!("arg {i}: {e}"))?);
    }
    let Some(body) = &f.body else {
        return Err("call of nil".to_owned());
    };
    body(&argv)
}

/// Go's `goodFunc`: one result, or a result and an error.
pub fn check_func_type(name: &str, ty: &FuncType) -> Result<(), String> {
    match ty.results.as_slice() {
        [_] => Ok(()),
        [_, Type::Error] => Ok(()),
        [_, second] => {
            Err(format!("invalid function signature for {name}: second return value should be error; is {second}"))
        }
        results => Err(format!("function {name} has {} return values; should be 1 or 2", results.len())),
    }
}

/// `prepareArg` of `call`: assignable values, and integers converted
/// between integer types.
fn prepare_arg<'a>(value: Value<'a>, to: Type) -> Result<Value<'a>, String> {
    if !value.is_valid() {
        if !to.kind().can_be_nil() {
            return Err(format!("value is nil; should be of type {to}"));
        }
        return Ok(zero_of(to));
    }
    let from = value.static_type().unwrap_or(Type::Any);
    if from.assignable_to(to) {
        return Ok(value);
    }
    let (fk, tk) = (from.kind(), to.kind());
    if (fk.is_int() || fk.is_uint()) && (tk.is_int() || tk.is_uint()) {
        let bits = match value.repr {
            Repr::Int(i, _) => i as u64,
            Repr::Uint(u, _) => u,
            _ => 0,
        };
        return Ok(if tk.is_int() {
            Value::int_of(crate::convert::wrap_int(bits, to), to)
        } else {
            Value::uint_of(crate::convert::wrap_uint(bits, to), to)
        });
    }
    Err(format!("value has type {from}; should be {to}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        assert_eq!(html_escape(b"<a href='x'>&\"\0"), "&lt;a href=&#39;x&#39;&gt;&amp;&#34;\u{FFFD}".as_bytes());
        assert_eq!(
            js_escape("a'b\"<>&=\\\n`é\u{2028}".as_bytes()),
            "a\\'b\\\"\\u003C\\u003E\\u0026\\u003D\\\\\\u000A`é\\u2028".as_bytes()
        );
        assert_eq!(query_escape(b"a b&c=d/~"), b"a+b%26c%3Dd%2F~");
    }

    #[test]
    fn indexes_like_go() {
        let data =
            Data::from_json(br#"{"l": [1, 2], "m": {"k": "v"}}"#, crate::encoding::json::NumberMode::Float).unwrap();
        let root = Value::from_data(&data, false);
        let l = root.map_get(b"l").unwrap();
        let err = |r: Result<Value<'_>, String>| r.err().unwrap_or_default();
        assert_eq!(err(index(&l, &[Value::int(2)])), "reflect: slice index out of range");
        assert_eq!(err(index(&l, &[Value::int(3)])), "index out of range: 3");
        assert_eq!(err(index(&l, &[Value::float(1.0)])), "cannot index slice/array with type float64");
        assert_eq!(err(index(&Value::invalid(), &[])), "index of untyped nil");
        let s = slice(&l, &[Value::int(0), Value::int(2)]).unwrap();
        assert_eq!(s.len(), Some(2));
        assert!(slice(&l, &[Value::int(0), Value::int(3)]).is_err());
    }
}
