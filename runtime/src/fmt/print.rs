//! Go's `fmt/print.go`: `Sprint`, `Sprintln`, `Sprintf` over template values.

use super::format::{Flags, Fmt, LDIGITS, UDIGITS};
use crate::types::{FoundField, GoType, Kind, Type};
use crate::value::data::Data;
use crate::value::{Repr, Value, stack, typed, typed_field};

const NIL_ANGLE: &[u8] = b"<nil>";
const PERCENT_BANG: &[u8] = b"%!";

/// Whether `v`, passed as an `interface{}` argument, is the nil interface.
fn is_nil_arg(v: &Value<'_>) -> bool {
    matches!(v.repr, Repr::Invalid) || matches!(v.repr, Repr::Nil(Type::Any))
}

/// Go's `pp`: prints arguments into a buffer.
pub struct Printer<'b> {
    fmt: Fmt<'b>,
    erroring: bool,
    reordered: bool,
    good_arg_num: bool,
}

/// Where `badVerb` takes its `TYPE=value` from.
enum Culprit<'v, 'a> {
    Arg(&'v Value<'a>),
    Reflected(&'v Value<'a>),
}

impl<'b> Printer<'b> {
    pub fn new(buf: &'b mut Vec<u8>) -> Printer<'b> {
        Printer { fmt: Fmt { buf, f: Flags::default() }, erroring: false, reordered: false, good_arg_num: true }
    }

    fn write(&mut self, b: &[u8]) {
        self.fmt.buf.extend_from_slice(b);
    }

    fn bad_verb(&mut self, verb: char, culprit: Culprit<'_, '_>) {
        self.erroring = true;
        self.write(PERCENT_BANG);
        push_char(self.fmt.buf, verb);
        self.write(b"(");
        match culprit {
            Culprit::Arg(arg) if !is_nil_arg(arg) => {
                let name = arg.dyn_type_name();
                self.write(name.as_bytes());
                self.write(b"=");
                self.print_arg(arg, 'v');
            }
            Culprit::Reflected(value) if value.is_valid() => {
                let name = value.type_name();
                self.write(name.as_bytes());
                self.write(b"=");
                self.print_value(value, 'v', 0);
            }
            _ => self.write(NIL_ANGLE),
        }
        self.write(b")");
        self.erroring = false;
    }

    fn fmt_bool(&mut self, v: bool, verb: char, culprit: Culprit<'_, '_>) {
        match verb {
            't' | 'v' => self.fmt.fmt_boolean(v),
            _ => self.bad_verb(verb, culprit),
        }
    }

    fn fmt_0x64(&mut self, v: u64, leading_0x: bool) {
        let sharp = self.fmt.f.sharp;
        self.fmt.f.sharp = leading_0x;
        self.fmt.fmt_integer(v, 16, false, 'v', LDIGITS);
        self.fmt.f.sharp = sharp;
    }

    fn fmt_integer(&mut self, v: u64, is_signed: bool, verb: char, culprit: Culprit<'_, '_>) {
        match verb {
            'v' => {
                if self.fmt.f.sharp_v && !is_signed {
                    self.fmt_0x64(v, true);
                } else {
                    self.fmt.fmt_integer(v, 10, is_signed, verb, LDIGITS);
                }
            }
            'd' => self.fmt.fmt_integer(v, 10, is_signed, verb, LDIGITS),
            'b' => self.fmt.fmt_integer(v, 2, is_signed, verb, LDIGITS),
            'o' | 'O' => self.fmt.fmt_integer(v, 8, is_signed, verb, LDIGITS),
            'x' => self.fmt.fmt_integer(v, 16, is_signed, verb, LDIGITS),
            'X' => self.fmt.fmt_integer(v, 16, is_signed, verb, UDIGITS),
            'c' => self.fmt.fmt_c(v),
            'q' => self.fmt.fmt_qc(v),
            'U' => self.fmt.fmt_unicode(v),
            _ => self.bad_verb(verb, culprit),
        }
    }

    fn fmt_float(&mut self, v: f64, size: usize, verb: char, culprit: Culprit<'_, '_>) {
        match verb {
            'v' => self.fmt.fmt_float(v, size, 'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt.fmt_float(v, size, verb, -1),
            'f' | 'e' | 'E' => self.fmt.fmt_float(v, size, verb, 6),
            'F' => self.fmt.fmt_float(v, size, 'f', 6),
            _ => self.bad_verb(verb, culprit),
        }
    }

    fn fmt_complex(&mut self, re: f64, im: f64, size: usize, verb: char, culprit: Culprit<'_, '_>) {
        match verb {
            'v' | 'b' | 'g' | 'G' | 'x' | 'X' | 'f' | 'F' | 'e' | 'E' => {
                let old_plus = self.fmt.f.plus;
                self.write(b"(");
                self.fmt_float(re, size / 2, verb, Culprit::Arg(&Value::invalid()));
                self.fmt.f.plus = true;
                self.fmt_float(im, size / 2, verb, Culprit::Arg(&Value::invalid()));
                self.write(b"i)");
                self.fmt.f.plus = old_plus;
            }
            _ => self.bad_verb(verb, culprit),
        }
    }

    fn fmt_string(&mut self, v: &[u8], verb: char, culprit: Culprit<'_, '_>) {
        match verb {
            'v' => {
                if self.fmt.f.sharp_v {
                    self.fmt.fmt_q(v);
                } else {
                    self.fmt.fmt_s(v);
                }
            }
            's' => self.fmt.fmt_s(v),
            'x' => self.fmt.fmt_sx(v, LDIGITS),
            'X' => self.fmt.fmt_sx(v, UDIGITS),
            'q' => self.fmt.fmt_q(v),
            _ => self.bad_verb(verb, culprit),
        }
    }

    fn fmt_bytes(&mut self, v: &[u8], verb: char, type_name: &str, value: &Value<'_>) {
        match verb {
            'v' | 'd' => {
                if self.fmt.f.sharp_v {
                    self.write(type_name.as_bytes());
                    self.write(b"{");
                    for (i, &c) in v.iter().enumerate() {
                        if i > 0 {
                            self.write(b", ");
                        }
                        self.fmt_0x64(c as u64, true);
                    }
                    self.write(b"}");
                } else {
                    self.write(b"[");
                    for (i, &c) in v.iter().enumerate() {
                        if i > 0 {
                            self.write(b" ");
                        }
                        self.fmt.fmt_integer(c as u64, 10, false, verb, LDIGITS);
                    }
                    self.write(b"]");
                }
            }
            's' => {
                let b = v.to_vec();
                self.fmt.fmt_s(&b);
            }
            'x' => self.fmt.fmt_sx(v, LDIGITS),
            'X' => self.fmt.fmt_sx(v, UDIGITS),
            'q' => self.fmt.fmt_q(v),
            _ => self.print_list(value, verb, 0),
        }
    }

    /// `fmtPointer`: functions are printed by address; injit has no stable
    /// addresses, so it prints a fixed non-nil one.
    fn fmt_pointer(&mut self, value: &Value<'_>, verb: char) {
        let u: u64 = if value.is_nil() { 0 } else { 0xc000010000 };
        match verb {
            'v' => {
                if self.fmt.f.sharp_v {
                    self.write(b"(");
                    self.write(value.type_name().as_bytes());
                    self.write(b")(");
                    if u == 0 {
                        self.write(b"nil");
                    } else {
                        self.fmt_0x64(u, true);
                    }
                    self.write(b")");
                } else if u == 0 {
                    self.fmt.pad(NIL_ANGLE);
                } else {
                    let sharp = !self.fmt.f.sharp;
                    self.fmt_0x64(u, sharp);
                }
            }
            'p' => {
                let sharp = !self.fmt.f.sharp;
                self.fmt_0x64(u, sharp);
            }
            'b' | 'o' | 'd' | 'x' | 'X' => self.fmt_integer(u, false, verb, Culprit::Reflected(value)),
            _ => self.bad_verb(verb, Culprit::Reflected(value)),
        }
    }

    /// Methods fmt honours: `String` of Stringers (json.Number, enums).
    fn handle_methods(&mut self, arg: &Value<'_>, verb: char) -> bool {
        if self.erroring || self.fmt.f.sharp_v {
            return false;
        }
        if !matches!(verb, 'v' | 's' | 'x' | 'X' | 'q') {
            return false;
        }
        if let Some(text) = stringer(arg) {
            self.fmt_string(&text, verb, Culprit::Arg(arg));
            return true;
        }
        false
    }

    /// `printArg`: one operand of Print/Printf, as an `interface{}`.
    pub fn print_arg(&mut self, arg: &Value<'_>, verb: char) {
        if is_nil_arg(arg) {
            match verb {
                'T' | 'v' => self.fmt.pad(NIL_ANGLE),
                _ => self.bad_verb(verb, Culprit::Arg(arg)),
            }
            return;
        }
        let arg = &*arg.unboxed_cow();
        match verb {
            'T' => {
                let name = arg.dyn_type_name();
                self.fmt.fmt_s(name.as_bytes());
                return;
            }
            'p' => {
                self.fmt_pointer(arg, 'p');
                return;
            }
            _ => {}
        }
        match &arg.repr {
            Repr::Bool(b) => self.fmt_bool(*b, verb, Culprit::Arg(arg)),
            Repr::Float(f, t) => self.fmt_float(*f, if *t == Type::Float32 { 32 } else { 64 }, verb, Culprit::Arg(arg)),
            Repr::Complex(re, im, t) => {
                let size = if *t == Type::Complex64 { 64 } else { 128 };
                self.fmt_complex(*re, *im, size, verb, Culprit::Arg(arg))
            }
            // A named integer type (a protobuf enum) may be a Stringer.
            Repr::Int(i, t) if !matches!(t, Type::Go(_)) => self.fmt_integer(*i as u64, true, verb, Culprit::Arg(arg)),
            Repr::Uint(u, _) => self.fmt_integer(*u, false, verb, Culprit::Arg(arg)),
            Repr::Str(s, Type::String) => self.fmt_string(s.as_bytes(), verb, Culprit::Arg(arg)),
            Repr::Slice(s, Type::ByteSlice) => {
                let bytes: Vec<u8> = s.items().iter().map(|v| uint_of(v) as u8).collect();
                self.fmt_bytes(&bytes, verb, "[]byte", arg)
            }
            _ => {
                if !self.handle_methods(arg, verb) {
                    self.print_value(arg, verb, 0);
                }
            }
        }
    }

    fn print_list(&mut self, value: &Value<'_>, verb: char, depth: usize) {
        let len = value.len().unwrap_or(0);
        if self.fmt.f.sharp_v {
            self.write(value.type_name().as_bytes());
            if value.is_nil() {
                self.write(b"(nil)");
                return;
            }
            self.write(b"{");
            for i in 0..len {
                if i > 0 {
                    self.write(b", ");
                }
                stack::deeper(|| self.print_value(&value.index(i), verb, depth + 1));
            }
            self.write(b"}");
        } else {
            self.write(b"[");
            for i in 0..len {
                if i > 0 {
                    self.write(b" ");
                }
                stack::deeper(|| self.print_value(&value.index(i), verb, depth + 1));
            }
            self.write(b"]");
        }
    }

    /// `printValue`: a value printed by reflection.
    pub fn print_value(&mut self, value: &Value<'_>, verb: char, depth: usize) {
        if depth > 0 && value.is_valid() {
            let dynamic = value.unboxed();
            if dynamic.is_valid() && self.handle_methods(&dynamic, verb) {
                return;
            }
        }
        match value.kind() {
            Kind::Invalid => {
                if depth == 0 {
                    self.write(b"<invalid reflect.Value>");
                } else if verb == 'v' {
                    self.write(NIL_ANGLE);
                } else {
                    self.bad_verb(verb, Culprit::Reflected(value));
                }
            }
            Kind::Interface => {
                let inner = value.unboxed();
                if !inner.is_valid() {
                    if self.fmt.f.sharp_v {
                        self.write(b"interface {}(nil)");
                    } else {
                        self.write(NIL_ANGLE);
                    }
                } else {
                    stack::deeper(|| self.print_value(&inner, verb, depth + 1));
                }
            }
            Kind::Bool => {
                if let Repr::Bool(b) = value.repr {
                    self.fmt_bool(b, verb, Culprit::Reflected(value));
                }
            }
            k if k.is_int() => {
                if let Repr::Int(i, _) = value.repr {
                    self.fmt_integer(i as u64, true, verb, Culprit::Reflected(value));
                }
            }
            k if k.is_uint() => self.fmt_integer(uint_of(value), false, verb, Culprit::Reflected(value)),
            k if k.is_float() => {
                if let Repr::Float(f, t) = value.repr {
                    self.fmt_float(f, if t == Type::Float32 { 32 } else { 64 }, verb, Culprit::Reflected(value));
                }
            }
            k if k.is_complex() => {
                if let Repr::Complex(re, im, t) = value.repr {
                    let size = if t == Type::Complex64 { 64 } else { 128 };
                    self.fmt_complex(re, im, size, verb, Culprit::Reflected(value));
                }
            }
            Kind::String => {
                let bytes = value.as_bytes().unwrap_or_default().to_vec();
                self.fmt_string(&bytes, verb, Culprit::Reflected(value));
            }
            Kind::Map => {
                // Go would recurse until its stack limit kills the program.
                let Some(_walk) = stack::Walk::enter(value, depth) else {
                    self.write(b"<cycle>");
                    return;
                };
                if self.fmt.f.sharp_v {
                    self.write(value.type_name().as_bytes());
                    if value.is_nil() {
                        self.write(b"(nil)");
                        return;
                    }
                    self.write(b"{");
                } else {
                    self.write(b"map[");
                }
                for (i, (k, v)) in value.map_entries().iter().enumerate() {
                    if i > 0 {
                        if self.fmt.f.sharp_v {
                            self.write(b", ");
                        } else {
                            self.write(b" ");
                        }
                    }
                    stack::deeper(|| self.print_value(k, verb, depth + 1));
                    self.write(b":");
                    stack::deeper(|| self.print_value(v, verb, depth + 1));
                }
                self.write(if self.fmt.f.sharp_v { b"}" } else { b"]" });
            }
            Kind::Slice => {
                if matches!(verb, 's' | 'q' | 'x' | 'X') && value.dyn_type().and_then(Type::elem) == Some(Type::Uint8) {
                    let len = value.len().unwrap_or(0);
                    let bytes: Vec<u8> = (0..len).map(|i| uint_of(&value.index(i)) as u8).collect();
                    let name = value.type_name();
                    self.fmt_bytes(&bytes, verb, &name, value);
                    return;
                }
                let Some(_walk) = stack::Walk::enter(value, depth) else {
                    self.write(b"<cycle>");
                    return;
                };
                self.print_list(value, verb, depth);
            }
            Kind::Struct | Kind::Pointer if matches!(value.repr, Repr::Object(_)) => {
                let Repr::Object(o) = &value.repr else { return };
                if o.kind() == Kind::Pointer {
                    if depth > 0 {
                        self.fmt_pointer(value, verb);
                        return;
                    }
                    self.write(b"&");
                }
                if self.fmt.f.sharp_v {
                    self.write(o.type_name().trim_start_matches('*').as_bytes());
                }
                self.write(b"{");
                for (i, (name, field)) in o.fields().iter().enumerate() {
                    if i > 0 {
                        self.write(if self.fmt.f.sharp_v { b", " } else { b" " });
                    }
                    if self.fmt.f.plus_v || self.fmt.f.sharp_v {
                        self.write(name.as_bytes());
                        self.write(b":");
                    }
                    stack::deeper(|| self.print_value(field, verb, depth + 1));
                }
                self.write(b"}");
            }
            Kind::Struct | Kind::Pointer if matches!(value.repr, Repr::Typed(..)) => {
                let Repr::Typed(t, data, _) = value.repr else { return };
                self.print_typed(t, data, verb, depth);
            }
            Kind::Func | Kind::Pointer => self.fmt_pointer(value, verb),
            _ => {
                self.write(b"?");
                self.write(value.type_name().as_bytes());
                self.write(b"?");
            }
        }
    }

    /// A typed struct or pointer: `{a b}` (`%+v` `{A:a B:b}`), a pointer
    /// as `&{...}` at the top and as an address below (Go prints the real
    /// address there; injit a fixed one).
    fn print_typed(&mut self, t: GoType, data: Option<&Data>, verb: char, depth: usize) {
        let data = data.filter(|d| !matches!(d, Data::Null));
        if let Some(elem) = t.pointee() {
            match data {
                None => self.write(NIL_ANGLE),
                Some(_) if depth > 0 => self.write(b"0xc000000000"),
                Some(d) => {
                    self.write(b"&");
                    stack::deeper(|| self.print_typed(elem, Some(d), verb, depth + 1));
                }
            }
            return;
        }
        if t.special() == Some("resource.Quantity") {
            // A zero `Quantity{}` parses as nothing: `{{0 0} {<nil>}  }`.
            let text = text_of_quantity(data).unwrap_or_default();
            self.write(crate::types::quantity::go_internals(&text).as_bytes());
            return;
        }
        if t.special().is_some() {
            let mut text = Vec::new();
            write_special_text(&mut text, t, data);
            self.write(&text);
            return;
        }
        if self.fmt.f.sharp_v {
            self.write(t.name().as_bytes());
        }
        self.write(b"{");
        for (i, field) in t.fields().iter().filter(|f| !f.oneof).enumerate() {
            if i > 0 {
                self.write(if self.fmt.f.sharp_v { b", " } else { b" " });
            }
            if self.fmt.f.plus_v || self.fmt.f.sharp_v {
                self.write(field.go.as_bytes());
                self.write(b":");
            }
            let found = FoundField::direct(field);
            let v = typed::value(found.ty, typed::field_data(&found, data), false);
            stack::deeper(|| self.print_value(&v, verb, depth + 1));
        }
        self.write(b"}");
    }

    /// `Sprint`'s body: spaces between operands when neither is a string.
    pub fn do_print(&mut self, args: &[Value<'_>]) {
        let mut prev_string = false;
        for (i, arg) in args.iter().enumerate() {
            let is_string = !is_nil_arg(arg) && arg.unboxed_cow().kind() == Kind::String;
            if i > 0 && !is_string && !prev_string {
                self.write(b" ");
            }
            self.print_arg(arg, 'v');
            prev_string = is_string;
        }
    }

    /// `Sprintln`'s body.
    pub fn do_println(&mut self, args: &[Value<'_>]) {
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.write(b" ");
            }
            self.print_arg(arg, 'v');
        }
        self.write(b"\n");
    }

    fn arg_number(&mut self, arg_num: usize, format: &[u8], i: usize, num_args: usize) -> (usize, usize, bool) {
        if format.len() <= i || format[i] != b'[' {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&format[i..]);
        if ok && index < num_args {
            return (index, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    /// `Sprintf`'s body.
    pub fn do_printf(&mut self, format: &[u8], args: &[Value<'_>]) {
        let end = format.len();
        let mut arg_num = 0usize;
        let mut after_index;
        self.reordered = false;
        let mut i = 0;
        'format: while i < end {
            self.good_arg_num = true;
            let last = i;
            while i < end && format[i] != b'%' {
                i += 1;
            }
            if i > last {
                self.write(&format[last..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.fmt.f = Flags::default();
            while i < end {
                let c = format[i];
                match c {
                    b'#' => self.fmt.f.sharp = true,
                    b'0' => self.fmt.f.zero = true,
                    b'+' => self.fmt.f.plus = true,
                    b'-' => self.fmt.f.minus = true,
                    b' ' => self.fmt.f.space = true,
                    _ => {
                        if c.is_ascii_lowercase() && arg_num < args.len() {
                            if c == b'v' {
                                self.fmt.f.sharp_v = self.fmt.f.sharp;
                                self.fmt.f.sharp = false;
                                self.fmt.f.plus_v = self.fmt.f.plus;
                                self.fmt.f.plus = false;
                            }
                            self.print_verb(&args[arg_num], c as char);
                            arg_num += 1;
                            i += 1;
                            continue 'format;
                        }
                        break;
                    }
                }
                i += 1;
            }
            (arg_num, i, after_index) = self.arg_number(arg_num, format, i, args.len());
            if i < end && format[i] == b'*' {
                i += 1;
                let (num, ok, next) = int_from_arg(args, arg_num);
                (self.fmt.f.wid, self.fmt.f.wid_present, arg_num) = (num.unsigned_abs() as usize, ok, next);
                if !ok {
                    self.write(b"%!(BADWIDTH)");
                }
                if num < 0 {
                    self.fmt.f.minus = true;
                    self.fmt.f.zero = false;
                }
                after_index = false;
            } else {
                let (num, present, next) = parse_num(format, i, end);
                (self.fmt.f.wid, self.fmt.f.wid_present, i) = (num, present, next);
                if after_index && self.fmt.f.wid_present {
                    self.good_arg_num = false;
                }
            }
            if i + 1 < end && format[i] == b'.' {
                i += 1;
                if after_index {
                    self.good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, format, i, args.len());
                if i < end && format[i] == b'*' {
                    i += 1;
                    let (num, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    if num < 0 || !ok {
                        self.fmt.f.prec = 0;
                        self.fmt.f.prec_present = false;
                    } else {
                        self.fmt.f.prec = num as usize;
                        self.fmt.f.prec_present = true;
                    }
                    if !ok {
                        self.write(b"%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (num, present, next) = parse_num(format, i, end);
                    (self.fmt.f.prec, self.fmt.f.prec_present, i) = (num, present, next);
                    if !self.fmt.f.prec_present {
                        self.fmt.f.prec = 0;
                        self.fmt.f.prec_present = true;
                    }
                }
            }
            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, format, i, args.len());
            }
            if i >= end {
                self.write(b"%!(NOVERB)");
                break;
            }
            let (verb, size) = if format[i] < 0x80 {
                (format[i] as char, 1)
            } else {
                let (r, w) = injit_strconv::decode_rune(&format[i..]);
                (r, w.max(1))
            };
            i += size;
            if verb == '%' {
                self.write(b"%");
            } else if !self.good_arg_num {
                self.write(PERCENT_BANG);
                push_char(self.fmt.buf, verb);
                self.write(b"(BADINDEX)");
            } else if arg_num >= args.len() {
                self.write(PERCENT_BANG);
                push_char(self.fmt.buf, verb);
                self.write(b"(MISSING)");
            } else {
                if verb == 'v' {
                    self.fmt.f.sharp_v = self.fmt.f.sharp;
                    self.fmt.f.sharp = false;
                    self.fmt.f.plus_v = self.fmt.f.plus;
                    self.fmt.f.plus = false;
                }
                self.print_verb(&args[arg_num], verb);
                arg_num += 1;
            }
        }
        if !self.reordered && arg_num < args.len() {
            self.fmt.f = Flags::default();
            self.write(b"%!(EXTRA ");
            for (k, arg) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.write(b", ");
                }
                if is_nil_arg(arg) {
                    self.write(NIL_ANGLE);
                } else {
                    let name = arg.dyn_type_name();
                    self.write(name.as_bytes());
                    self.write(b"=");
                    self.print_arg(arg, 'v');
                }
            }
            self.write(b")");
        }
    }

    /// `%w` is only for `Errorf`; here it is a bad verb like any other.
    fn print_verb(&mut self, arg: &Value<'_>, verb: char) {
        if verb == 'w' {
            self.bad_verb(verb, Culprit::Arg(arg));
            return;
        }
        self.print_arg(arg, verb);
    }
}

fn push_char(buf: &mut Vec<u8>, c: char) {
    injit_strconv::encode_rune(buf, c);
}

fn uint_of(v: &Value<'_>) -> u64 {
    match v.repr {
        Repr::Uint(u, _) => u,
        Repr::Int(i, _) => i as u64,
        _ => 0,
    }
}

/// A quantity's text as it came in the data.
fn text_of_quantity(data: Option<&Data>) -> Option<String> {
    match data? {
        Data::String(s) => Some(s.to_string()),
        Data::JsonNumber(n) => Some(n.to_string()),
        Data::Number(f) => Some(super::data_to_string(&Data::Number(*f))),
        _ => None,
    }
}

/// The result of a value's `String` method, for the types that have one.
pub(crate) fn stringer(v: &Value<'_>) -> Option<Vec<u8>> {
    match &v.repr {
        Repr::Str(s, Type::JsonNumber) => Some(s.as_bytes().to_vec()),
        Repr::Object(o) => o.string().map(String::into_bytes),
        Repr::Int(n, Type::Go(t)) => typed_field::enum_string(*t, *n).map(String::into_bytes),
        Repr::Typed(t, d, _) => super::typed_stringer::string_of(*t, *d),
        _ => None,
    }
}

/// `fmt.Sprintf("%v", x)` of a typed value held in `data`.
pub(crate) fn sprint_one(ty: GoType, data: Option<&Data>) -> Vec<u8> {
    sprint(&[crate::value::typed::value(ty, data, ty.kind() == Kind::Interface)])
}

/// Go's `tooLarge`: widths and precisions beyond 1e6 are rejected.
fn too_large(x: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&x)
}

/// `parsenum`: digits at `start`, the number, and where they end.
fn parse_num(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num: i64 = 0;
    let mut is_num = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + (s[i] - b'0') as i64;
        is_num = true;
        i += 1;
    }
    (num as usize, is_num, i)
}

/// `parseArgNumber`: `[n]` at the start of `format`.
fn parse_arg_number(format: &[u8]) -> (usize, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (width, ok, newi) = parse_num(format, 1, i);
            if !ok || newi != i || width == 0 {
                // An index of 0 is out of range: Go reports it as BADINDEX.
                return (usize::MAX, i + 1, ok && newi == i);
            }
            return (width - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

/// `intFromArg`: a `*` width or precision from the arguments.
fn int_from_arg(args: &[Value<'_>], arg_num: usize) -> (i64, bool, usize) {
    let Some(arg) = args.get(arg_num) else {
        return (0, false, arg_num);
    };
    let arg = arg.unboxed();
    let (mut num, mut ok) = match arg.repr {
        Repr::Int(i, _) => (i, true),
        Repr::Uint(u, _) if i64::try_from(u).is_ok() => (u as i64, true),
        _ => (0, false),
    };
    if too_large(num) {
        num = 0;
        ok = false;
    }
    (num, ok, arg_num + 1)
}

/// `fmt.Sprint`.
pub fn sprint(args: &[Value<'_>]) -> Vec<u8> {
    let mut buf = Vec::new();
    Printer::new(&mut buf).do_print(args);
    buf
}

/// `fmt.Sprintln`.
pub fn sprintln(args: &[Value<'_>]) -> Vec<u8> {
    let mut buf = Vec::new();
    Printer::new(&mut buf).do_println(args);
    buf
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &[u8], args: &[Value<'_>]) -> Vec<u8> {
    let mut buf = Vec::new();
    Printer::new(&mut buf).do_printf(format, args);
    buf
}

/// `fmt.Fprint(w, v)` of one value, as a template action prints it.
pub fn fprint(buf: &mut Vec<u8>, value: &Value<'_>) {
    // The most common operand, a plain string, prints as it is (no flags
    // or width to pad to), without setting up a printer.
    if let Repr::Str(s, Type::String) = &value.repr {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    Printer::new(buf).print_arg(value, 'v');
}

/// Prints a data tree node as `%v` would (used for diagnostics and tests).
pub fn data_to_string(data: &Data) -> String {
    let mut buf = Vec::new();
    fprint(&mut buf, &Value::from_data(data, false));
    String::from_utf8_lossy(&buf).into_owned()
}

/// `%v` of a special type's value.
fn write_special_text(out: &mut Vec<u8>, t: GoType, data: Option<&Data>) {
    let key = t.special().unwrap_or_default();
    match (key, data) {
        ("intstr.IntOrString", Some(Data::Number(f))) => {
            out.extend_from_slice(format!("{{0 {} }}", *f as i32).as_bytes())
        }
        ("intstr.IntOrString", Some(Data::String(s))) => out.extend_from_slice(format!("{{1 0 {s}}}").as_bytes()),
        ("intstr.IntOrString", _) => out.extend_from_slice(b"{0 0 }"),
        (_, Some(Data::String(s))) => out.extend_from_slice(s.as_bytes()),
        (k, Some(d)) if k.starts_with("wrapperspb.") => {
            out.extend_from_slice(&super::sprint(&[Value::from_data(d, false)]))
        }
        _ => out.extend_from_slice(b"{}"),
    }
}
