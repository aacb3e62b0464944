//! The reference backend: executes a program's IR directly.
//!
//! Template calls push frames on a heap stack rather than recursing, so
//! Go's depth limit (100 000 nested calls) is reachable without touching
//! the native stack.

use injit_runtime::convert::validate;
use injit_runtime::data::{Data, Object};
use injit_runtime::fmt::fprint;
use injit_runtime::funcs::{Body, CallCx};
use injit_runtime::ops::builtins::{call, is_truthy, truth};
use injit_runtime::ops::field::{Missing, eval_field};
use injit_runtime::types::Type;
use injit_runtime::value::{Repr, Str, Value};

use crate::exec::{ExecError, ExecLimits};
use crate::ir::{Const, Inst, MissingKey, NodeId, ProcId, Program};

/// One active template call.
struct Frame<'a> {
    proc: ProcId,
    pc: usize,
    slots: Vec<Value<'a>>,
    iters: Vec<Option<RangeIter<'a>>>,
    /// The node Go would blame (`s.node`).
    node: Option<NodeId>,
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

/// A constant of the program as a value borrowing from it.
pub(crate) fn const_value(c: &Const) -> Value<'_> {
    match c {
        Const::Invalid => Value::invalid(),
        Const::NilInterface => Value::nil_interface(),
        Const::Bool(b) => Value::bool(*b),
        Const::Int(i, t) => Value::int_of(*i, *t),
        Const::Uint(u, t) => Value::uint_of(*u, *t),
        Const::Float(f, t) => Value::new(Repr::Float(*f, *t)),
        Const::Complex(re, im, t) => Value::new(Repr::Complex(*re, *im, *t)),
        Const::Str(s, t) => Value::new(Repr::Str(Str::Borrowed(s), *t)),
    }
}

pub(crate) fn missing(m: MissingKey) -> Missing {
    match m {
        MissingKey::Invalid => Missing::Invalid,
        MissingKey::Zero => Missing::Zero,
        MissingKey::Error => Missing::Error,
    }
}

/// Starts ranging over `v`: `None` when there is nothing to range over.
pub(crate) fn range_start<'a>(v: &Value<'a>) -> Result<Option<RangeIter<'a>>, String> {
    let v = v.unboxed();
    match &v.repr {
        Repr::Invalid => Ok(None),
        Repr::Data(Data::Array(_))
        | Repr::Slice(..)
        | Repr::Nil(Type::AnySlice | Type::StringSlice | Type::IntSlice) => {
            let len = v.len().unwrap_or(0);
            Ok((len > 0).then(|| RangeIter::Slice { list: v.clone(), len, pos: 0 }))
        }
        Repr::Data(Data::Object(object)) => Ok((!object.is_empty()).then_some(RangeIter::Object { object, pos: 0 })),
        Repr::Map(..) | Repr::Nil(Type::AnyMap | Type::StringMap) => {
            let entries = v.map_entries();
            Ok((!entries.is_empty()).then_some(RangeIter::Map { entries, pos: 0 }))
        }
        _ => {
            let mut shown = Vec::new();
            fprint(&mut shown, &v);
            Err(format!("range can't iterate over {}", String::from_utf8_lossy(&shown)))
        }
    }
}

/// The next (key, element) of a range.
pub(crate) fn range_next<'a>(iter: &mut RangeIter<'a>) -> Option<(Value<'a>, Value<'a>)> {
    match iter {
        RangeIter::Slice { list, len, pos } => {
            if *pos >= *len {
                return None;
            }
            let i = *pos;
            *pos += 1;
            Some((Value::int(i as i64), list.index(i)))
        }
        RangeIter::Object { object, pos } => {
            let (key, data) = object.entry(*pos)?;
            *pos += 1;
            Some((Value::str(key.as_bytes()), Value::from_data(data, true)))
        }
        RangeIter::Map { entries, pos } => {
            let entry = entries.get(*pos)?.clone();
            *pos += 1;
            Some(entry)
        }
    }
}

/// Calls a bound method: arguments converted to its parameter types, as
/// Go's `evalCall` does; errors read "error calling NAME: ...".
pub(crate) fn call_method<'a>(method: &Value<'a>, args: &[Value<'a>]) -> Result<Value<'a>, String> {
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
        argv.push(validate(arg.clone(), injit_runtime::convert::Param::Type(to))?);
    }
    let result = m.call(&argv).map_err(|e| format!("error calling {}: {e}", m.name))?;
    Ok(if m.ty.results.first() == Some(&Type::Any) { result.boxed() } else { result })
}

/// `printValue`: prints like `fmt.Fprint`, except that functions cannot be
/// printed (the error is the value's type).
pub(crate) fn print_value(out: &mut Vec<u8>, v: &Value<'_>) -> Result<(), String> {
    if !v.is_valid() {
        out.extend_from_slice(b"<no value>");
        return Ok(());
    }
    if let Repr::Func(_) = v.repr {
        return Err(v.type_name());
    }
    fprint(out, v);
    Ok(())
}

/// Executes template `proc` of `program` with `data`, appending to `out`.
pub(crate) fn execute<'a>(
    program: &'a Program,
    proc: ProcId,
    data: Value<'a>,
    out: &mut Vec<u8>,
    limits: &ExecLimits,
    cx: &CallCx,
) -> Result<(), ExecError> {
    let mut stack: Vec<Frame<'a>> = vec![new_frame(program, proc, data)];
    let missing_key = missing(program.missing_key);
    // The outer loop switches frames; the inner one runs a frame's code
    // until it returns or calls a template.
    'frames: loop {
        let depth = stack.len() - 1;
        let frame = stack.last_mut().expect("a frame");
        let code = &program.procs[frame.proc as usize].code;
        loop {
            let Some(inst) = code.get(frame.pc) else {
                stack.pop();
                if stack.is_empty() {
                    return Ok(());
                }
                continue 'frames;
            };
            frame.pc += 1;
            macro_rules! fail {
                ($msg:expr) => {
                    return Err(ExecError::at(program, frame.proc, frame.node, $msg))
                };
            }
            match inst {
                Inst::At(n) => frame.node = Some(*n),
                Inst::Text(t) => {
                    out.extend_from_slice(&program.texts[*t as usize]);
                    if out.len() > limits.max_output {
                        fail!(limits.output_error());
                    }
                }
                Inst::Print(s) => {
                    if let Err(ty) = print_value(out, &frame.slots[*s as usize]) {
                        let node = frame.node.map(|n| program.nodes[n as usize].context.as_str()).unwrap_or_default();
                        fail!(format!("can't print {node} of type {ty}"));
                    }
                    if out.len() > limits.max_output {
                        fail!(limits.output_error());
                    }
                }
                Inst::Const { dst, value } => {
                    frame.slots[*dst as usize] = const_value(&program.consts[*value as usize])
                }
                Inst::Copy { dst, src } => {
                    let v = frame.slots[*src as usize].clone();
                    frame.slots[*dst as usize] = v;
                }
                Inst::Unbox(s) => {
                    let v = std::mem::replace(&mut frame.slots[*s as usize], Value::invalid());
                    frame.slots[*s as usize] = v.unbox();
                }
                Inst::Field { dst, recv, name, args } => {
                    let name = &program.names[*name as usize];
                    match eval_field(&frame.slots[*recv as usize], name, *args as usize, missing_key) {
                        Ok(v) => frame.slots[*dst as usize] = v,
                        Err(e) => fail!(e),
                    }
                }
                Inst::Validate { slot, to } => {
                    let v = std::mem::replace(&mut frame.slots[*slot as usize], Value::invalid());
                    match validate(v, *to) {
                        Ok(v) => frame.slots[*slot as usize] = v,
                        Err(e) => fail!(e),
                    }
                }
                Inst::Call { dst, func, args, argc, node } => {
                    let function = program.functions[*func as usize];
                    let argv = &frame.slots[*args as usize..(*args + *argc) as usize];
                    let Body::Native(native) = function.body else { unreachable!("special forms are lowered inline") };
                    match native(cx, argv) {
                        Ok(v) => {
                            frame.slots[*dst as usize] = if function.result() == Type::Any { v.boxed() } else { v };
                        }
                        Err(e) => {
                            frame.node = Some(*node);
                            fail!(format!("error calling {}: {e}", function.name));
                        }
                    }
                }
                Inst::CallMethod { dst, method, args, argc, node } => {
                    let argv = &frame.slots[*args as usize..(*args + *argc) as usize];
                    match call_method(&frame.slots[*method as usize], argv) {
                        Ok(v) => frame.slots[*dst as usize] = v,
                        Err(e) => {
                            frame.node = Some(*node);
                            fail!(e);
                        }
                    }
                }
                Inst::CallValue { dst, callee, args, argc, node } => {
                    let callee = String::from_utf8_lossy(&program.names[*callee as usize]).into_owned();
                    let argv = &frame.slots[*args as usize..(*args + *argc) as usize];
                    match call(&callee, &argv[0], &argv[1..]) {
                        Ok(v) => frame.slots[*dst as usize] = v,
                        Err(e) => {
                            frame.node = Some(*node);
                            fail!(format!("error calling call: {e}"));
                        }
                    }
                }
                Inst::JumpIfTruth { src, when, target } => {
                    if is_truthy(&frame.slots[*src as usize]) == *when {
                        frame.pc = *target as usize;
                    }
                }
                Inst::JumpUnlessTrue { src, target } => {
                    let v = &frame.slots[*src as usize];
                    match truth(&v.unboxed()) {
                        Some(true) => {}
                        Some(false) => frame.pc = *target as usize,
                        None => {
                            let mut shown = Vec::new();
                            fprint(&mut shown, v);
                            fail!(format!("if/with can't use {}", String::from_utf8_lossy(&shown)));
                        }
                    }
                }
                Inst::Jump(target) => frame.pc = *target as usize,
                Inst::RangeStart { iter, src, empty } => match range_start(&frame.slots[*src as usize]) {
                    Ok(Some(it)) => frame.iters[*iter as usize] = Some(it),
                    Ok(None) => frame.pc = *empty as usize,
                    Err(e) => fail!(e),
                },
                Inst::RangeNext { iter, key, elem, done } => {
                    let next = frame.iters[*iter as usize].as_mut().and_then(range_next);
                    match next {
                        Some((k, v)) => {
                            if let Some(key) = key {
                                frame.slots[*key as usize] = k;
                            }
                            frame.slots[*elem as usize] = v;
                        }
                        None => frame.pc = *done as usize,
                    }
                }
                Inst::RangeEnd { iter } => frame.iters[*iter as usize] = None,
                Inst::CheckDepth => {
                    if depth >= limits.max_depth {
                        fail!(format!("exceeded maximum template depth ({})", limits.max_depth));
                    }
                }
                Inst::CallTemplate { proc, dot } => {
                    let arg = frame.slots[*dot as usize].clone();
                    stack.push(new_frame(program, *proc, arg));
                    continue 'frames;
                }
                Inst::Fail(m) => fail!(program.messages[*m as usize].clone()),
            }
        }
    }
}

fn new_frame<'a>(program: &Program, proc: ProcId, arg: Value<'a>) -> Frame<'a> {
    let p = &program.procs[proc as usize];
    let mut slots = vec![Value::invalid(); p.slots as usize];
    slots[0] = arg;
    Frame { proc, pc: 0, slots, iters: (0..p.iters).map(|_| None).collect(), node: None }
}
