//! The helper ABI: what native code calls for every value operation.
//!
//! Each helper is an `extern "C"` function taking the render context and
//! the current frame by pointer, plus the instruction's operands as plain
//! integers (IR ids are `u32`s to native code: `#[repr(transparent)]`) and
//! pointers into the (immutable, heap-held) program. It
//! returns a status: 0 for success, 1 for an error (stored in the context
//! with Go's text), or a small result for tests and range steps. Helpers
//! catch panics: none may unwind into a JIT frame (Rust aborts when a panic
//! leaves an `extern "C"` function, and JIT frames have no unwind info).
//!
//! Native code finds helpers through a table in the context, not through
//! symbols, so compiled code needs no linking against the host.

use std::panic::{AssertUnwindSafe, catch_unwind};

use injit_runtime::convert::Param;
use injit_runtime::funcs::Function;
use injit_runtime::value::Value;

use crate::exec_error::ExecError;
use crate::ir::{Const, IterSlot, NodeId, ProcId, Slot};
use crate::jit::chains::FieldChain;
use crate::machine::{Frame, Machine};

/// A compiled template: `(context, frame) -> status`.
pub(crate) type ProcFn = unsafe extern "C" fn(*mut JitCx<'static, 'static>, *mut Frame<'static>) -> u32;

/// The state of one native render; `helpers` and `procs` are read by the
/// generated code (through their offsets).
pub(crate) struct JitCx<'a, 'o> {
    pub(crate) helpers: *const *const u8,
    pub(crate) procs: *const ProcFn,
    /// Each procedure's memo size, for the frames of template calls, by
    /// `ProcId` index. A slice rather than the `EntityVec` it comes from:
    /// this keeps the context's layout, which the CLIF listings show.
    pub(crate) memo_sizes: &'a [u32],
    pub(crate) machine: Machine<'a, 'o>,
    /// Template calls below the current frame.
    pub(crate) depth: usize,
    pub(crate) error: Option<ExecError>,
}

impl<'a> JitCx<'a, '_> {
    /// A frame for a call of `proc` with `arg`, with the memo its native
    /// code uses (`chains.rs`).
    pub(crate) fn frame(&self, proc: ProcId, arg: Value<'a>) -> Frame<'a> {
        let mut frame = Frame::new(self.machine.program, proc, arg);
        frame.memo = vec![None; self.memo_sizes[proc.index()] as usize];
        frame
    }
}

/// Stack kept free below a template call, and the size of each new stack
/// segment when that runs out: deep `{{template}}` recursion (Go allows
/// 100 000 levels) continues on heap-allocated stack instead of
/// overflowing the thread's.
const RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 4 * 1024 * 1024;

/// How a helper parameter is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Abi {
    /// `*mut JitCx`
    Cx,
    /// `*mut Frame`
    Frame,
    /// A pointer into the program, or a length.
    Ptr,
    Usize,
    U32,
    /// IR ids, passed as the `u32` each is (`#[repr(transparent)]`).
    Slot,
    Iter,
    Node,
    Proc,
}

macro_rules! helpers {
    ($( $variant:ident => $func:ident ( $($abi:ident),* ); )*) => {
        /// Every helper, by the slot it has in the table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Helper { $($variant),* }

        impl Helper {
            pub(crate) const ALL: &[Helper] = &[$(Helper::$variant),*];

            /// Parameter kinds, in order; every helper returns a `u32`.
            pub(crate) fn params(self) -> &'static [Abi] {
                match self { $(Helper::$variant => &[$(Abi::$abi),*]),* }
            }

            pub(crate) fn name(self) -> &'static str {
                match self { $(Helper::$variant => stringify!($func)),* }
            }

            /// The helper's address; the coercion checks at compile time
            /// that the function has exactly the declared parameters.
            fn address(self) -> *const u8 {
                match self {
                    $(Helper::$variant => {
                        let f: unsafe extern "C" fn($(helpers!(@ty $abi)),*) -> u32 = $func;
                        f as *const u8
                    })*
                }
            }
        }
    };
    (@ty Cx) => { *mut JitCx<'static, 'static> };
    (@ty Frame) => { *mut Frame<'static> };
    (@ty Ptr) => { *const u8 };
    (@ty Usize) => { usize };
    (@ty U32) => { u32 };
    (@ty Slot) => { Slot };
    (@ty Iter) => { IterSlot };
    (@ty Node) => { NodeId };
    (@ty Proc) => { ProcId };
}

helpers! {
    Text => text(Cx, Frame, Ptr, Usize);
    Print => print(Cx, Frame, Slot);
    Constant => constant(Cx, Frame, Slot, Ptr);
    Copy => copy(Cx, Frame, Slot, Slot);
    Move => move_slot(Cx, Frame, Slot, Slot);
    Unbox => unbox(Cx, Frame, Slot);
    Field => field(Cx, Frame, Slot, Slot, Ptr, Usize, U32);
    FieldChain => field_chain(Cx, Frame, Ptr);
    PrintUnboxed => print_unboxed(Cx, Frame, Slot, Node);
    Validate => validate(Cx, Frame, Slot, Ptr);
    Call => call(Cx, Frame, Slot, Ptr, Slot, U32, Node, U32);
    Forget => forget(Cx, Frame, U32);
    Recall => recall(Cx, Frame, U32, Slot, Node);
    CallMethod => call_method(Cx, Frame, Slot, Slot, Slot, U32, U32, Node);
    CallValue => call_value(Cx, Frame, Slot, Ptr, Usize, Slot, U32, Node);
    TruthIs => truth_is(Cx, Frame, Slot, U32);
    IsTrue => is_true(Cx, Frame, Slot);
    RangeStart => range_start(Cx, Frame, Iter, Slot);
    RangeNext => range_next(Cx, Frame, Iter, Slot, Slot);
    RangeEnd => range_end(Cx, Frame, Iter);
    CheckDepth => check_depth(Cx, Frame);
    CallTemplate => call_template(Cx, Frame, Proc, Slot);
    Fail => fail(Cx, Frame, Ptr, Usize);
    CallPrint => call_print(Cx, Frame, Ptr, Slot, U32, Node, Node);
}

/// The table native code indexes: `Helper as usize` → address.
pub(crate) fn table() -> Box<[*const u8]> {
    Helper::ALL.iter().map(|h| h.address()).collect()
}

/// `RangeNext`'s `key` operand when the range has no key variable.
pub(crate) const NO_SLOT: Slot = Slot::from_u32(u32::MAX);

/// `Call`'s `memo` operand for a call nothing repeats.
pub(crate) const NO_MEMO: u32 = u32::MAX;

/// `Recall`'s `node` operand when the skipped instructions set none.
pub(crate) const NO_NODE: NodeId = NodeId::from_u32(u32::MAX);

/// Runs a helper body with the context and frame borrowed, turning an
/// error into status 1 and a panic into an internal error.
///
/// # Safety
/// `cx` and `frame` must point to the live context and frame of the render
/// that called into native code (the generated code passes its own
/// arguments through unchanged).
unsafe fn guard<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    body: impl FnOnce(&mut JitCx<'a, '_>, &mut Frame<'a>) -> Result<u32, String>,
) -> u32 {
    // SAFETY: the caller guarantees both pointers are live and unaliased
    // for the duration of this call (native code holds no references).
    let (cx, frame) = unsafe { (&mut *cx, &mut *frame) };
    match catch_unwind(AssertUnwindSafe(|| body(cx, frame))) {
        Ok(Ok(status)) => status,
        Ok(Err(message)) => {
            if cx.error.is_none() {
                cx.error = Some(cx.machine.error(frame, message));
            }
            1
        }
        Err(panic) => {
            // A helper panicked: a defect in injit, not an answer to the
            // template. It must not unwind through native frames, so it
            // becomes this run's error.
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            cx.error = Some(cx.machine.error(frame, format!("internal error: {what}")));
            1
        }
    }
}

/// [`guard`] for a helper that answers yes or no: 1 or 0, and 2 for an
/// error (0 and 1 being answers, not statuses).
///
/// # Safety
/// As for [`guard`].
unsafe fn guard_answer<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    body: impl FnOnce(&mut JitCx<'a, '_>, &mut Frame<'a>) -> Result<bool, String>,
) -> u32 {
    // SAFETY: passed on from the caller.
    let status = unsafe { guard(cx, frame, |cx, frame| body(cx, frame).map(|yes| u32::from(yes) + 10)) };
    if status >= 10 { status - 10 } else { 2 }
}

/// Borrows `len` bytes of the program.
///
/// # Safety
/// `ptr..ptr+len` must be bytes the program owns (code generation embeds
/// only such pointers, and the program outlives its native code).
unsafe fn bytes<'p>(ptr: *const u8, len: usize) -> &'p [u8] {
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

unsafe extern "C" fn text<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, ptr: *const u8, len: usize) -> u32 {
    // SAFETY: pointers from the generated code; the text belongs to the program.
    unsafe { guard(cx, frame, |cx, _| cx.machine.text(bytes(ptr, len)).map(|()| 0)) }
}

unsafe extern "C" fn print<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, s: Slot) -> u32 {
    // SAFETY: pointers from the generated code (see `guard`).
    unsafe { guard(cx, frame, |cx, frame| cx.machine.print(frame, s).map(|()| 0)) }
}

unsafe extern "C" fn constant<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, dst: Slot, c: *const u8) -> u32 {
    // SAFETY: pointers from the generated code; `c` points at a `Const` of the program.
    unsafe {
        guard(cx, frame, |cx, frame| {
            cx.machine.constant(frame, dst, &*c.cast::<Const>());
            Ok(0)
        })
    }
}

unsafe extern "C" fn copy<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, dst: Slot, src: Slot) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe {
        guard(cx, frame, |_, frame| {
            Machine::copy(frame, dst, src);
            Ok(0)
        })
    }
}

/// A copy whose source nothing reads afterwards.
unsafe extern "C" fn move_slot<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, dst: Slot, src: Slot) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe {
        guard(cx, frame, |_, frame| {
            let v = frame.take(src);
            frame.set(dst, v);
            Ok(0)
        })
    }
}

unsafe extern "C" fn unbox<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, s: Slot) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe {
        guard(cx, frame, |_, frame| {
            Machine::unbox(frame, s);
            Ok(0)
        })
    }
}

unsafe extern "C" fn field<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    dst: Slot,
    recv: Slot,
    name: *const u8,
    len: usize,
    args: u32,
) -> u32 {
    // SAFETY: pointers from the generated code; the name belongs to the program.
    unsafe { guard(cx, frame, |cx, frame| cx.machine.field(frame, dst, recv, bytes(name, len), args).map(|()| 0)) }
}

unsafe extern "C" fn field_chain<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, chain: *const u8) -> u32 {
    // SAFETY: pointers from the generated code; `chain` points at a chain
    // the native program owns.
    unsafe { guard(cx, frame, |cx, frame| (*chain.cast::<FieldChain>()).run(&mut cx.machine, frame).map(|()| 0)) }
}

unsafe extern "C" fn print_unboxed<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, src: Slot, node: NodeId) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe {
        guard(cx, frame, |cx, frame| {
            frame.node = node;
            cx.machine.print_value(frame, &frame.slot(src).unboxed_cow()).map(|()| 0)
        })
    }
}

unsafe extern "C" fn validate<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, s: Slot, to: *const u8) -> u32 {
    // SAFETY: pointers from the generated code; `to` points at a `Param` of the program.
    unsafe { guard(cx, frame, |_, frame| Machine::validate(frame, s, *to.cast::<Param>()).map(|()| 0)) }
}

/// A function call. A call that others of the frame repeat
/// (`repeats.rs`) has memo entry `memo`: the first of them to run leaves
/// its result there, and the rest take it.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn call<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    dst: Slot,
    function: *const u8,
    args: Slot,
    argc: u32,
    node: NodeId,
    memo: u32,
) -> u32 {
    // SAFETY: pointers from the generated code; `function` is a `&'static Function`.
    unsafe {
        guard(cx, frame, |cx, frame| {
            let function: &'static Function = &*function.cast::<Function>();
            if memo == NO_MEMO {
                return cx.machine.call(frame, dst, function, args, argc, node).map(|()| 0);
            }
            if let Some(result) = &frame.memo[memo as usize] {
                let result = result.clone();
                frame.set(dst, result);
                return Ok(0);
            }
            cx.machine.call(frame, dst, function, args, argc, node)?;
            frame.memo[memo as usize] = Some(frame.slot(dst).clone());
            Ok(0)
        })
    }
}

/// A call whose result is printed and read by nothing else: the function
/// prints it itself (`Function::write`).
unsafe extern "C" fn call_print<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    function: *const u8,
    args: Slot,
    argc: u32,
    node: NodeId,
    print_node: NodeId,
) -> u32 {
    // SAFETY: pointers from the generated code; `function` is a `&'static Function`.
    unsafe {
        guard(cx, frame, |cx, frame| {
            let function: &'static Function = &*function.cast::<Function>();
            cx.machine.call_print(frame, function, args, argc, node, print_node).map(|()| 0)
        })
    }
}

/// Empties memo entry `memo` (a repeated call's result, computed from a
/// range element that is about to change).
unsafe extern "C" fn forget<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, memo: u32) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe {
        guard(cx, frame, |_, frame| {
            frame.memo[memo as usize] = None;
            Ok(0)
        })
    }
}

/// 1 with memo entry `memo`'s value in `dst` (and the error position the
/// skipped instructions would have left), 0 when the entry is empty.
unsafe extern "C" fn recall<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    memo: u32,
    dst: Slot,
    node: NodeId,
) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe {
        guard_answer(cx, frame, |_, frame| {
            let Some(value) = &frame.memo[memo as usize] else { return Ok(false) };
            let value = value.clone();
            frame.set(dst, value);
            if node != NO_NODE {
                frame.node = node;
            }
            Ok(true)
        })
    }
}

unsafe extern "C" fn call_method<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    dst: Slot,
    method: Slot,
    args: Slot,
    argc: u32,
    constants: u32,
    node: NodeId,
) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe {
        guard(cx, frame, |_, frame| Machine::call_method(frame, dst, method, args, argc, constants, node).map(|()| 0))
    }
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn call_value<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    dst: Slot,
    callee: *const u8,
    len: usize,
    args: Slot,
    argc: u32,
    node: NodeId,
) -> u32 {
    // SAFETY: pointers from the generated code; the callee name belongs to the program.
    unsafe {
        guard(cx, frame, |_, frame| Machine::call_value(frame, dst, bytes(callee, len), args, argc, node).map(|()| 0))
    }
}

/// 1 when the truth of `src` is `when`, else 0.
unsafe extern "C" fn truth_is<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, src: Slot, when: u32) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe { guard(cx, frame, |_, frame| Ok(u32::from(Machine::truth_is(frame, src, when != 0)))) }
}

/// 0 false, 1 true, 2 error.
unsafe extern "C" fn is_true<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, src: Slot) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe { guard_answer(cx, frame, |_, frame| Machine::is_true(frame, src)) }
}

/// 0 nothing to range over, 1 started, 2 error.
unsafe extern "C" fn range_start<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, iter: IterSlot, src: Slot) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe { guard_answer(cx, frame, |_, frame| Machine::range_start(frame, iter, src)) }
}

/// 1 with the next element in place, 0 at the end.
unsafe extern "C" fn range_next<'a>(
    cx: *mut JitCx<'a, '_>,
    frame: *mut Frame<'a>,
    iter: IterSlot,
    key: Slot,
    elem: Slot,
) -> u32 {
    let key = (key != NO_SLOT).then_some(key);
    // SAFETY: pointers from the generated code.
    unsafe { guard(cx, frame, |_, frame| Ok(u32::from(Machine::range_next(frame, iter, key, elem)))) }
}

unsafe extern "C" fn range_end<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, iter: IterSlot) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe {
        guard(cx, frame, |_, frame| {
            Machine::range_end(frame, iter);
            Ok(0)
        })
    }
}

unsafe extern "C" fn check_depth<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>) -> u32 {
    // SAFETY: pointers from the generated code.
    unsafe { guard(cx, frame, |cx, _| cx.machine.check_depth(cx.depth).map(|()| 0)) }
}

unsafe extern "C" fn fail<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, message: *const u8, len: usize) -> u32 {
    // SAFETY: pointers from the generated code; the message belongs to the program.
    unsafe { guard(cx, frame, |_, _| Err(String::from_utf8_lossy(bytes(message, len)).into_owned())) }
}

/// Runs template `proc` with the value in `dot` as its argument, on a new
/// frame (and, when the stack runs low, on a new stack segment).
unsafe extern "C" fn call_template<'a>(cx: *mut JitCx<'a, '_>, frame: *mut Frame<'a>, proc: ProcId, dot: Slot) -> u32 {
    // SAFETY: pointers from the generated code.
    let prepared = unsafe {
        let (cx_ref, frame_ref) = (&mut *cx, &mut *frame);
        catch_unwind(AssertUnwindSafe(|| cx_ref.frame(proc, frame_ref.slots[dot].clone())))
    };
    let Ok(mut callee) = prepared else {
        // SAFETY: as above.
        return unsafe { guard(cx, frame, |_, _| Err("internal error: cannot start template".to_owned())) };
    };
    // SAFETY: `procs` has one entry per procedure of the program, and
    // `proc` is a procedure id the compiler emitted.
    let function = unsafe { *(*cx).procs.add(proc.index()) };
    // SAFETY: `cx` is live; no reference into it is held across the call.
    unsafe { (*cx).depth += 1 };
    let status = stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
        // SAFETY: native code for `proc`, called with the live context and
        // a frame built for that procedure.
        unsafe { function(cx.cast(), (&raw mut callee).cast()) }
    });
    // SAFETY: as above.
    unsafe { (*cx).depth -= 1 };
    status
}
