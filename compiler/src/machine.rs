//! What each IR instruction does, once, for both backends.
//!
//! The evaluator calls these from its dispatch loop; native code calls them
//! through the helper table (`jit/helpers.rs`). Each returns `Err(message)`
//! with Go's text; the caller turns it into an [`ExecError`] at the frame's
//! current node.

use injit_runtime::convert::{Param, fits, validate};
use injit_runtime::fmt::fprint;
use injit_runtime::funcs::{Body, CallCx, Function};
use injit_runtime::ops::builtins::{call, is_truthy, truth};
use injit_runtime::ops::field::{Missing, eval_field};
use injit_runtime::types::{Kind, Type};
use injit_runtime::value::typed::Place;
use injit_runtime::value::{Repr, Str, Value};
use injit_runtime::{Data, Object};

use crate::exec_error::ExecError;
use crate::ir::{Const, EntityVec, IterSlot, MissingKey, NodeId, ProcId, Program, Slot};
use crate::limits::ExecLimits;

/// The state of one render that every frame shares.
pub(crate) struct Machine<'a, 'o> {
    pub(crate) program: &'a Program,
    pub(crate) out: &'o mut Vec<u8>,
    pub(crate) limits: &'a ExecLimits,
    pub(crate) cx: &'a CallCx,
    pub(crate) missing: Missing,
    /// The output limit was hit: that error names no node, so that it reads
    /// the same however far text around it was folded.
    output_overflow: bool,
}

/// One active template call.
pub(crate) struct Frame<'a> {
    pub(crate) proc: ProcId,
    pub(crate) slots: EntityVec<Slot, Value<'a>>,
    pub(crate) iters: EntityVec<IterSlot, Option<RangeIter<'a>>>,
    /// The node Go would blame (`s.node`), or [`NO_NODE`]. Native code
    /// stores it directly, as the `u32` a `NodeId` is.
    pub(crate) node: NodeId,
    /// Native code's memo of field chains from the frame's argument
    /// (`jit/chains.rs`) and of repeated calls (`jit/repeats.rs`); empty
    /// for the evaluator.
    pub(crate) memo: Vec<Option<Value<'a>>>,
}

/// `Frame::node` before the first `At`.
pub(crate) const NO_NODE: NodeId = NodeId::from_u32(u32::MAX);

impl<'a> Frame<'a> {
    /// A frame for `proc` with its argument in slot 0.
    pub(crate) fn new(program: &Program, proc: ProcId, arg: Value<'a>) -> Frame<'a> {
        let p = &program.procs[proc];
        let mut slots = EntityVec::from(vec![Value::invalid(); p.slots.max(1) as usize]);
        slots[Slot::ARGUMENT] = arg;
        Frame { proc, slots, iters: (0..p.iters).map(|_| None).collect(), node: NO_NODE, memo: Vec::new() }
    }

    pub(crate) fn node(&self) -> Option<NodeId> {
        (self.node != NO_NODE).then_some(self.node)
    }

    pub(crate) fn slot(&self, s: Slot) -> &Value<'a> {
        &self.slots[s]
    }

    /// The `len` consecutive slots from `first`: a call's arguments.
    #[inline]
    pub(crate) fn block(&self, first: Slot, len: u32) -> &[Value<'a>] {
        // The end summed in `u32`, as before the ids had types: with a
        // `usize` sum the evaluator's loop takes ~0.4% more instructions.
        &self.slots.as_slice()[first.index()..(first.as_u32() + len) as usize]
    }

    pub(crate) fn set(&mut self, s: Slot, v: Value<'a>) {
        self.slots[s] = v;
    }

    pub(crate) fn take(&mut self, s: Slot) -> Value<'a> {
        std::mem::replace(&mut self.slots[s], Value::invalid())
    }
}

/// The state of a `range`.
pub(crate) enum RangeIter<'a> {
    Slice {
        list: Value<'a>,
        len: usize,
        pos: usize,
    },
    /// A JSON object, walked in place (already in key order).
    Object {
        object: &'a Object,
        pos: usize,
    },
    Map {
        entries: Vec<(Value<'a>, Value<'a>)>,
        pos: usize,
    },
}

/// A constant of the program as a value borrowing from it (and from the
/// program's bound data).
#[inline(always)]
pub(crate) fn const_value<'a>(c: &'a Const, bound: Option<&'a Data>) -> Value<'a> {
    match c {
        Const::Boxed(c) => unboxed_const_value(c, bound).boxed(),
        c => unboxed_const_value(c, bound),
    }
}

// Inlined into the helpers that store constants, with `Boxed` out of line
// (recursion would stop the inlining).
#[inline(always)]
fn unboxed_const_value<'a>(c: &'a Const, bound: Option<&'a Data>) -> Value<'a> {
    match c {
        Const::Invalid => Value::invalid(),
        Const::NilInterface => Value::nil_interface(),
        Const::Bool(b) => Value::bool(*b),
        Const::Int(i, t) => Value::int_of(*i, *t),
        Const::Uint(u, t) => Value::uint_of(*u, *t),
        Const::Float(f, t) => Value::new(Repr::Float(*f, *t)),
        Const::Complex(re, im, t) => Value::new(Repr::Complex(*re, *im, *t)),
        Const::Str(s, t) => Value::new(Repr::Str(Str::Borrowed(s), *t)),
        // Not nested by the folding, which boxes a constant once.
        Const::Boxed(c) => boxed_const_value(c, bound),
        Const::Bound(path) => match bound.and_then(|root| bound_node(root, path)) {
            Some(data) => Value::from_data(data, false),
            None => Value::invalid(),
        },
        Const::Typed(t, path) => {
            let node = path.as_ref().and_then(|p| bound.and_then(|root| bound_node(root, p)));
            Value::new(Repr::Typed(*t, node, Place::Addressable))
        }
    }
}

#[inline(never)]
fn boxed_const_value<'a>(c: &'a Const, bound: Option<&'a Data>) -> Value<'a> {
    const_value(c, bound).boxed()
}

/// The node of `root` at `path` (entry indexes, level by level).
pub(crate) fn bound_node<'a>(root: &'a Data, path: &[u32]) -> Option<&'a Data> {
    path.iter().try_fold(root, |node, &i| match node {
        Data::Object(o) => o.entry(i as usize).map(|(_, v)| v),
        Data::Array(items) => items.get(i as usize),
        _ => None,
    })
}

pub(crate) fn missing(m: MissingKey) -> Missing {
    match m {
        MissingKey::Invalid => Missing::Invalid,
        MissingKey::Zero => Missing::Zero,
        MissingKey::Error => Missing::Error,
    }
}

/// Go's `printableValue` follows a pointer before printing: a `*string`
/// field (`ServicePort.AppProtocol`) prints its string, not `&...`. (Go
/// also prints a struct behind a pointer through its `String` method, which
/// typed views do not model; those keep their `&{...}`.)
fn pointed_to_scalar<'a>(v: &Value<'a>) -> Option<Value<'a>> {
    let Repr::Typed(t, data, _) = v.repr else { return None };
    let elem = t.pointee()?;
    let data = data.filter(|d| !matches!(d, Data::Null))?;
    let scalar = !matches!(elem.kind(), Kind::Struct | Kind::Pointer | Kind::Slice | Kind::Map | Kind::Interface);
    scalar.then(|| injit_runtime::value::typed::value(elem, Some(data), false))
}

fn shown(v: &Value<'_>) -> String {
    let mut out = Vec::new();
    fprint(&mut out, v);
    String::from_utf8_lossy(&out).into_owned()
}

impl<'a> Machine<'a, '_> {
    pub(crate) fn new<'o>(
        program: &'a Program,
        out: &'o mut Vec<u8>,
        limits: &'a ExecLimits,
        cx: &'a CallCx,
    ) -> Machine<'a, 'o> {
        Machine { program, out, limits, cx, missing: missing(program.missing_key), output_overflow: false }
    }

    /// The error `message` raised in `frame`, at its current node.
    pub(crate) fn error(&self, frame: &Frame<'_>, message: String) -> ExecError {
        let node = if self.output_overflow { None } else { frame.node() };
        ExecError::at(self.program, frame.proc, node, message)
    }

    fn check_output(&mut self) -> Result<(), String> {
        if self.out.len() > self.limits.max_output {
            self.output_overflow = true;
            return Err(self.limits.output_error());
        }
        Ok(())
    }

    /// Writes static text.
    #[inline]
    pub(crate) fn text(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.out.extend_from_slice(bytes);
        self.check_output()
    }

    /// An action's value, printed as Go's `printValue` does: functions
    /// cannot be printed (the error names the node and the type).
    #[inline]
    pub(crate) fn print(&mut self, frame: &Frame<'a>, s: Slot) -> Result<(), String> {
        self.print_value(frame, frame.slot(s))
    }

    /// `print` of a value that is in no slot.
    #[inline]
    pub(crate) fn print_value(&mut self, frame: &Frame<'a>, v: &Value<'a>) -> Result<(), String> {
        if !v.is_valid() {
            self.out.extend_from_slice(b"<no value>");
        } else if let Repr::Func(_) = v.repr {
            let node = frame.node().map(|n| self.program.nodes[n].context.as_str()).unwrap_or_default();
            return Err(format!("can't print {node} of type {}", v.type_name()));
        } else if let Some(text) = injit_runtime::fmt::action_stringer(v) {
            self.out.extend_from_slice(&text);
        } else if let Some(target) = pointed_to_scalar(v) {
            fprint(self.out, &target);
        } else {
            fprint(self.out, v);
        }
        self.check_output()
    }

    #[inline]
    pub(crate) fn constant(&self, frame: &mut Frame<'a>, dst: Slot, c: &'a Const) {
        // The old value goes first, so the constant is built in the slot
        // itself rather than in a temporary copied there.
        let slot = &mut frame.slots[dst];
        *slot = Value::invalid();
        match c {
            // The most common kind on its own path: one variant is written
            // field by field, where a merge of all of them goes through a
            // temporary that is read back before its writes have landed.
            Const::Str(s, t) => *slot = Value::new(Repr::Str(Str::Borrowed(s), *t)),
            c => *slot = const_value(c, self.program.bound.as_deref()),
        }
    }

    #[inline]
    pub(crate) fn copy(frame: &mut Frame<'a>, dst: Slot, src: Slot) {
        let v = frame.slot(src).clone();
        frame.set(dst, v);
    }

    #[inline]
    pub(crate) fn unbox(frame: &mut Frame<'a>, s: Slot) {
        frame.slots[s].unbox_in_place();
    }

    /// `evalField`.
    #[inline]
    pub(crate) fn field(
        &self,
        frame: &mut Frame<'a>,
        dst: Slot,
        recv: Slot,
        name: &[u8],
        args: u32,
    ) -> Result<(), String> {
        let v = eval_field(frame.slot(recv), name, args as usize, self.missing)?;
        frame.set(dst, v);
        Ok(())
    }

    /// `validateType`, in place.
    #[inline]
    pub(crate) fn validate(frame: &mut Frame<'a>, s: Slot, to: Param) -> Result<(), String> {
        if fits(frame.slot(s), to) {
            return Ok(());
        }
        let v = validate(frame.take(s), to)?;
        frame.set(s, v);
        Ok(())
    }

    /// Calls a function on `args..args+argc`; errors blame `node`.
    #[inline]
    pub(crate) fn call(
        &self,
        frame: &mut Frame<'a>,
        dst: Slot,
        function: &'static Function,
        args: Slot,
        argc: u32,
        node: NodeId,
    ) -> Result<(), String> {
        let argv = frame.block(args, argc);
        // Unreachable from template text: the lowering emits `Call` only
        // for native bodies (the others become instructions).
        let Body::Native(native) = function.body else {
            return Err(format!("internal error: {} is lowered inline", function.name));
        };
        match native(self.cx, argv) {
            Ok(mut v) => {
                // A concrete result is never held in an interface (the
                // optimizer relies on it). In place: a value passed through
                // `boxed(self)` is taken apart and put together again.
                if function.result() == Type::Any {
                    v.box_in_place();
                } else {
                    v.unbox_in_place();
                }
                frame.set(dst, v);
                Ok(())
            }
            Err(e) => {
                frame.node = node;
                Err(format!("error calling {}: {e}", function.name))
            }
        }
    }

    /// A call printed at `print_node` whose result nothing else reads: the
    /// function writes it into the output itself, as printing it would.
    pub(crate) fn call_print(
        &mut self,
        frame: &mut Frame<'a>,
        function: &'static Function,
        args: Slot,
        argc: u32,
        node: NodeId,
        print_node: NodeId,
    ) -> Result<(), String> {
        // Unreachable from template text: code generation fuses a call
        // with its print only when the function has a writer (`jit::fuse`).
        let Some(write) = function.write else {
            return Err(format!("internal error: {} does not print its result", function.name));
        };
        let argv = frame.block(args, argc);
        let before = self.out.len();
        match write(self.cx, argv, self.out) {
            Ok(()) => {
                frame.node = print_node;
                self.check_output()
            }
            Err(e) => {
                // The call failed before anything was printed.
                self.out.truncate(before);
                frame.node = node;
                Err(format!("error calling {}: {e}", function.name))
            }
        }
    }

    /// Calls the bound method in `method` with `args..args+argc`, converted
    /// to its parameter types as Go's `evalCall` does.
    #[inline]
    pub(crate) fn call_method(
        frame: &mut Frame<'a>,
        dst: Slot,
        method: Slot,
        args: Slot,
        argc: u32,
        constants: u32,
        node: NodeId,
    ) -> Result<(), String> {
        let argv = frame.block(args, argc);
        match call_bound(frame.slot(method), argv, constants) {
            Ok(v) => {
                frame.set(dst, v);
                Ok(())
            }
            Err(e) => {
                frame.node = node;
                Err(e)
            }
        }
    }

    /// The `call` builtin: `args` holds the callee, then its arguments.
    #[inline]
    pub(crate) fn call_value(
        frame: &mut Frame<'a>,
        dst: Slot,
        callee: &[u8],
        args: Slot,
        argc: u32,
        node: NodeId,
    ) -> Result<(), String> {
        let callee = String::from_utf8_lossy(callee);
        let argv = frame.block(args, argc);
        match call(&callee, &argv[0], &argv[1..]) {
            Ok(v) => {
                frame.set(dst, v);
                Ok(())
            }
            Err(e) => {
                frame.node = node;
                Err(format!("error calling call: {e}"))
            }
        }
    }

    /// Whether the truth of `src` (an interface's content) is `when`.
    #[inline]
    pub(crate) fn truth_is(frame: &Frame<'a>, src: Slot, when: bool) -> bool {
        is_truthy(frame.slot(src)) == when
    }

    /// `if`/`with`'s test (Go's `isTrue`, which fails on some values).
    #[inline]
    pub(crate) fn is_true(frame: &Frame<'a>, src: Slot) -> Result<bool, String> {
        let v = frame.slot(src);
        truth(&v.unboxed_cow()).ok_or_else(|| format!("if/with can't use {}", shown(v)))
    }

    /// Starts ranging over `src`; `false` when there is nothing to range over.
    #[inline]
    pub(crate) fn range_start(frame: &mut Frame<'a>, iter: IterSlot, src: Slot) -> Result<bool, String> {
        let it = range_start(frame.slot(src))?;
        let started = it.is_some();
        frame.iters[iter] = it;
        Ok(started)
    }

    /// The next element into `elem` (and key into `key`); `false` at the end.
    #[inline]
    pub(crate) fn range_next(frame: &mut Frame<'a>, iter: IterSlot, key: Option<Slot>, elem: Slot) -> bool {
        let Some(iter) = frame.iters[iter].as_mut() else {
            return false;
        };
        // Straight into the slots: a pair of values handed back goes
        // through the stack, and the key is made only when it is read.
        let slots = &mut frame.slots;
        match iter {
            RangeIter::Slice { list, len, pos } => {
                if *pos >= *len {
                    return false;
                }
                let i = *pos;
                *pos += 1;
                if let Some(key) = key {
                    slots[key] = Value::int(i as i64);
                }
                slots[elem] = list.index(i);
            }
            RangeIter::Object { object, pos } => {
                let Some((k, data)) = object.entry(*pos) else {
                    return false;
                };
                *pos += 1;
                if let Some(key) = key {
                    slots[key] = Value::str(k.as_bytes());
                }
                slots[elem] = Value::from_data(data, true);
            }
            RangeIter::Map { entries, pos } => {
                let Some((k, v)) = entries.get(*pos) else {
                    return false;
                };
                *pos += 1;
                if let Some(key) = key {
                    slots[key] = k.clone();
                }
                slots[elem] = v.clone();
            }
        }
        true
    }

    #[inline]
    pub(crate) fn range_end(frame: &mut Frame<'a>, iter: IterSlot) {
        frame.iters[iter] = None;
    }

    /// Go's limit on nested template calls, checked before the call's
    /// argument is evaluated; `depth` counts the frames below this one.
    #[inline]
    pub(crate) fn check_depth(&self, depth: usize) -> Result<(), String> {
        if depth >= self.limits.max_depth {
            return Err(format!("exceeded maximum template depth ({})", self.limits.max_depth));
        }
        Ok(())
    }
}

/// Starts ranging over `v`: `None` when there is nothing to range over.
fn range_start<'a>(v: &Value<'a>) -> Result<Option<RangeIter<'a>>, String> {
    let v = v.unboxed();
    match &v.repr {
        Repr::Invalid => Ok(None),
        Repr::Data(Data::Array(_))
        | Repr::Slice(..)
        | Repr::Nil(Type::AnySlice | Type::StringSlice | Type::IntSlice) => {
            let len = v.len().unwrap_or(0);
            Ok((len > 0).then(|| RangeIter::Slice { list: v.clone(), len, pos: 0 }))
        }
        Repr::Typed(t, _, _) if t.kind() == Kind::Slice => {
            let len = v.len().unwrap_or(0);
            Ok((len > 0).then(|| RangeIter::Slice { list: v.clone(), len, pos: 0 }))
        }
        Repr::Typed(t, _, _) if t.kind() == Kind::Map => {
            let entries = v.map_entries();
            Ok((!entries.is_empty()).then_some(RangeIter::Map { entries, pos: 0 }))
        }
        Repr::Data(Data::Object(object)) => Ok((!object.is_empty()).then_some(RangeIter::Object { object, pos: 0 })),
        Repr::Map(..) | Repr::Nil(Type::AnyMap | Type::StringMap) => {
            let entries = v.map_entries();
            Ok((!entries.is_empty()).then_some(RangeIter::Map { entries, pos: 0 }))
        }
        _ => Err(format!("range can't iterate over {}", shown(&v))),
    }
}

/// A literal constant as Go's `evalArg` makes it for a parameter of type
/// `to`: a number takes any numeric type it fits (an integer type needs
/// an integral value).
fn convert_constant<'a>(arg: &Value<'a>, to: Type) -> Result<Value<'a>, String> {
    let value = arg.clone().unbox();
    let kind = to.kind();
    let number = match value.repr {
        Repr::Int(n, _) => Some((n as f64, Some(n))),
        Repr::Float(f, _) => Some((f, (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64))),
        _ => None,
    };
    match (number, kind) {
        (Some((_, Some(n))), k) if k.is_int() => Ok(Value::int_of(injit_runtime::convert::wrap_int(n as u64, to), to)),
        (Some((_, Some(n))), k) if k.is_uint() => {
            Ok(Value::uint_of(injit_runtime::convert::wrap_uint(n as u64, to), to))
        }
        (Some((f, None)), k) if k.is_int() || k.is_uint() => Err(format!(
            "expected integer; found {}",
            injit_runtime::fmt::data_to_string(&injit_runtime::Data::Number(f))
        )),
        (Some((f, _)), k) if k.is_float() => Ok(Value::new(Repr::Float(f, to))),
        _ => validate(arg.clone(), Param::Type(to)),
    }
}

/// Calls a bound method: arguments converted to its parameter types, as
/// Go's `evalCall` does (literal constants, marked in `constants`, take
/// the parameter's type); errors read "error calling NAME: ...".
fn call_bound<'a>(method: &Value<'a>, args: &[Value<'a>], constants: u32) -> Result<Value<'a>, String> {
    // Unreachable from template text: with arguments, `Field` gives a bound
    // method or fails, and an invalid receiver's zero value skips the call
    // (`lower::eval_field_chain`). Reaching this is a defect in injit.
    let Repr::Method(m) = &method.repr else {
        return Err("internal error: not a method".to_owned());
    };
    let params = &m.ty.params;
    let mut argv = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let to = if m.ty.variadic && i + 1 >= params.len() {
            params[params.len() - 1].elem().unwrap_or(Type::Any)
        } else {
            params[i]
        };
        let constant = i < 32 && constants & (1 << i) != 0;
        argv.push(if constant { convert_constant(arg, to)? } else { validate(arg.clone(), Param::Type(to))? });
    }
    let result = m.call(&argv).map_err(|e| format!("error calling {}: {e}", m.name))?;
    Ok(if m.ty.results.first() == Some(&Type::Any) { result.boxed() } else { result })
}
