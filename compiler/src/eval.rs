//! The reference backend: executes a program's IR directly.
//!
//! Template calls push frames on a heap stack rather than recursing, so
//! Go's depth limit (100 000 nested calls) is reachable without touching
//! the native stack.

use injit_runtime::funcs::CallCx;
use injit_runtime::value::Value;

use crate::exec_error::ExecError;
use crate::ir::{Inst, ProcId, Program};
use crate::limits::ExecLimits;
use crate::machine::{Frame, Machine};
use crate::trace::OutputTrace;

/// A frame and where it is in its code.
struct Activation<'a> {
    frame: Frame<'a>,
    pc: usize,
}

/// Executes template `proc` of `program` with `data`, appending to `out`;
/// with `trace`, records which template offset wrote each output offset.
pub(crate) fn execute<'a>(
    program: &'a Program,
    proc: ProcId,
    data: Value<'a>,
    out: &mut Vec<u8>,
    limits: &'a ExecLimits,
    cx: &'a CallCx,
    mut trace: Option<&mut OutputTrace>,
) -> Result<(), ExecError> {
    let mut m = Machine::new(program, out, limits, cx);
    let mut stack: Vec<Activation<'a>> = vec![Activation { frame: Frame::new(program, proc, data), pc: 0 }];
    // The outer loop switches frames; the inner one runs a frame's code
    // until it returns or calls a template.
    'frames: loop {
        let depth = stack.len() - 1;
        let Activation { frame, pc } = stack.last_mut().expect("a frame");
        let code = &program.procs[frame.proc].code;
        loop {
            let Some(inst) = code.get(*pc) else {
                stack.pop();
                if stack.is_empty() {
                    return Ok(());
                }
                continue 'frames;
            };
            *pc += 1;
            let result = match inst {
                Inst::At(n) => {
                    frame.node = *n;
                    Ok(())
                }
                Inst::Text(t) => {
                    if let Some(trace) = trace.as_deref_mut() {
                        match program.text_pos[*t] {
                            Some(pos) => trace.record(m.out.len(), pos, true),
                            None => trace.record(m.out.len(), node_pos(program, frame), false),
                        }
                    }
                    m.text(&program.texts[*t])
                }
                Inst::Print(s) => {
                    if let Some(trace) = trace.as_deref_mut() {
                        trace.record(m.out.len(), node_pos(program, frame), false);
                    }
                    m.print(frame, *s)
                }
                Inst::Const { dst, value } => {
                    m.constant(frame, *dst, &program.consts[*value]);
                    Ok(())
                }
                Inst::Copy { dst, src } => {
                    Machine::copy(frame, *dst, *src);
                    Ok(())
                }
                Inst::Unbox(s) => {
                    Machine::unbox(frame, *s);
                    Ok(())
                }
                Inst::Field { dst, recv, name, args } => m.field(frame, *dst, *recv, &program.names[*name], *args),
                Inst::Validate { slot, to } => Machine::validate(frame, *slot, *to),
                Inst::Call { dst, func, args, argc, node } => {
                    m.call(frame, *dst, program.functions[*func], *args, *argc, *node)
                }
                Inst::CallMethod { dst, method, args, argc, constants, node } => {
                    Machine::call_method(frame, *dst, *method, *args, *argc, *constants, *node)
                }
                Inst::CallValue { dst, callee, args, argc, node } => {
                    Machine::call_value(frame, *dst, &program.names[*callee], *args, *argc, *node)
                }
                Inst::JumpIfTruth { src, when, target } => {
                    if Machine::truth_is(frame, *src, *when) {
                        *pc = target.index();
                    }
                    Ok(())
                }
                Inst::JumpUnlessTrue { src, target } => match Machine::is_true(frame, *src) {
                    Ok(true) => Ok(()),
                    Ok(false) => {
                        *pc = target.index();
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                Inst::Jump(target) => {
                    *pc = target.index();
                    Ok(())
                }
                Inst::RangeStart { iter, src, empty } => match Machine::range_start(frame, *iter, *src) {
                    Ok(true) => Ok(()),
                    Ok(false) => {
                        *pc = empty.index();
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                Inst::RangeNext { iter, key, elem, done } => {
                    if !Machine::range_next(frame, *iter, *key, *elem) {
                        *pc = done.index();
                    }
                    Ok(())
                }
                Inst::RangeEnd { iter } => {
                    Machine::range_end(frame, *iter);
                    Ok(())
                }
                Inst::CheckDepth => m.check_depth(depth),
                Inst::CallTemplate { proc, dot } => {
                    let arg = frame.slots[*dot].clone();
                    stack.push(Activation { frame: Frame::new(program, *proc, arg), pc: 0 });
                    continue 'frames;
                }
                Inst::Fail(msg) => Err(program.messages[*msg].clone()),
            };
            if let Err(message) = result {
                return Err(m.error(frame, message));
            }
        }
    }
}

/// The template offset of the node `frame` is at (0 before any).
fn node_pos(program: &Program, frame: &Frame<'_>) -> u32 {
    frame.node().map_or(0, |n| program.nodes[n].pos)
}
