//! IR → Cranelift IR, one function per template.
//!
//! Each function is `(cx, frame) -> status`. Control flow (`if`, `range`,
//! `break`, `and`/`or` short-circuits) becomes blocks and branches; `At`
//! becomes a store into the frame; everything that touches a value is a call
//! through the helper table, followed by a branch to the single error exit
//! when the helper reports a failure. Operands are immediates: slot numbers,
//! and pointers into the program, which owns its texts, names, constants
//! and parameter types for as long as the native code exists.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AbiParam, Block, InstBuilder, MemFlagsData, SigRef, Signature, Value, types};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

use crate::ir::{Inst, IterSlot, Label, NodeId, Proc, ProcId, Program, Slot};
use crate::jit::chains::FieldChain;
use crate::jit::fuse::{Fused, Recall, Run};
use crate::jit::helpers::{Abi, Helper, JitCx, NO_MEMO, NO_NODE, NO_SLOT};
use crate::machine::Frame;

/// The signature of every compiled template: `(cx, frame) -> u32`.
pub(crate) fn proc_signature(call_conv: CallConv, pointer: types::Type) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(pointer));
    sig.params.push(AbiParam::new(pointer));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

fn helper_signature(helper: Helper, call_conv: CallConv, pointer: types::Type) -> Signature {
    let mut sig = Signature::new(call_conv);
    for abi in helper.params() {
        let ty = match abi {
            Abi::Cx | Abi::Frame | Abi::Ptr | Abi::Usize => pointer,
            Abi::U32 | Abi::Slot | Abi::Iter | Abi::Node | Abi::Proc => types::I32,
        };
        sig.params.push(AbiParam::new(ty));
    }
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// The fused runs of a procedure by their first instruction (see
/// `fuse.rs`), each with its index among the program's runs (for symbolic
/// listings).
pub(crate) type FusedRuns<'c> = HashMap<usize, (&'c Run, usize)>;

/// Whether each instruction index (and the end of the code) is a jump target.
pub(crate) fn jump_targets(proc: &Proc) -> Vec<bool> {
    let mut is_target = vec![false; proc.code.len() + 1];
    for inst in &proc.code {
        for t in targets(inst) {
            is_target[t] = true;
        }
    }
    is_target
}

/// Builds the body of `proc` into `func` (whose signature is already set).
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    program: &Program,
    proc: &Proc,
    fused: &FusedRuns<'_>,
    recalls: &HashMap<usize, Vec<Recall>>,
    func: &mut cranelift_codegen::ir::Function,
    fctx: &mut FunctionBuilderContext,
    target: TargetFrontendConfig,
    symbolic: bool,
) {
    let pointer = target.pointer_type();
    let call_conv = func.signature.call_conv;
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let cx = b.block_params(entry)[0];
    let frame = b.block_params(entry)[1];
    let flags = MemFlagsData::trusted();
    let table = b.ins().load(pointer, flags, cx, std::mem::offset_of!(JitCx<'static, 'static>, helpers) as i32);
    let error_exit = b.create_block();

    // A block for every jump target, including the end of the code, and
    // every place a remembered call resumes.
    let mut labels: HashMap<usize, Block> = HashMap::new();
    // In code order, so that listings are the same from run to run.
    let mut resumes: Vec<usize> = recalls.values().flatten().map(|r| r.resume).collect();
    resumes.sort_unstable();
    for target in proc.code.iter().flat_map(targets).chain(resumes) {
        labels.entry(target).or_insert_with(|| b.create_block());
    }

    let mut g = Gen { b, cx, frame, table, error_exit, pointer, call_conv, sigs: HashMap::new(), flags, symbolic };
    let mut open = true;
    // Instructions before this one belong to a fused run already emitted.
    let mut fused_until = 0;
    for (pc, inst) in proc.code.iter().enumerate() {
        if pc < fused_until {
            continue;
        }
        if let Some(&block) = labels.get(&pc) {
            if open {
                g.b.ins().jump(block, &[]);
            }
            g.b.switch_to_block(block);
        } else if !open {
            // Code after an unconditional jump that nothing jumps to.
            let block = g.b.create_block();
            g.b.switch_to_block(block);
        }
        for recall in recalls.get(&pc).into_iter().flatten() {
            let node = recall.node.unwrap_or(NO_NODE);
            let hit = g.call(Helper::Recall, &[Arg::U32(recall.memo), Arg::Slot(recall.dst), Arg::Node(node)]);
            g.fail_on_two(hit);
            let next = g.b.create_block();
            g.b.ins().brif(hit, labels[&recall.resume], &[], next, &[]);
            g.b.switch_to_block(next);
        }
        if let Some(&(run, index)) = fused.get(&pc) {
            match &run.fused {
                Fused::Chain(chain) => {
                    let ptr: *const FieldChain = chain;
                    g.call_checked(Helper::FieldChain, &[Arg::Ptr(ptr.cast(), PtrKind::Run, index)]);
                }
                Fused::PrintUnboxed { src, node } => {
                    g.call_checked(Helper::PrintUnboxed, &[Arg::Slot(*src), Arg::Node(*node)]);
                }
                Fused::Move { dst, src } => g.call_checked(Helper::Move, &[Arg::Slot(*dst), Arg::Slot(*src)]),
                Fused::RepeatedCall { memo } => g.function_call(program, &proc.code[pc], *memo),
                Fused::CallPrint { node: print_node } => {
                    let Inst::Call { func, args, argc, node, .. } = proc.code[pc] else {
                        unreachable!("a printed call starts with the call")
                    };
                    let function: *const injit_runtime::funcs::Function = program.functions[func];
                    g.call_checked(
                        Helper::CallPrint,
                        &[
                            Arg::Ptr(function.cast(), PtrKind::Function, func.index()),
                            Arg::Slot(args),
                            Arg::U32(argc),
                            Arg::Node(node),
                            Arg::Node(*print_node),
                        ],
                    );
                }
                Fused::NextElement { forget } => {
                    for &memo in forget {
                        g.call_checked(Helper::Forget, &[Arg::U32(memo)]);
                    }
                    open = g.inst(program, pc, inst, &labels);
                    fused_until = pc + run.len;
                    continue;
                }
            }
            fused_until = pc + run.len;
            open = true;
            continue;
        }
        open = g.inst(program, pc, inst, &labels);
    }
    let end = proc.code.len();
    if let Some(&block) = labels.get(&end) {
        if open {
            g.b.ins().jump(block, &[]);
        }
        g.b.switch_to_block(block);
    } else if !open {
        let block = g.b.create_block();
        g.b.switch_to_block(block);
    }
    let ok = g.b.ins().iconst(types::I32, 0);
    g.b.ins().return_(&[ok]);

    g.b.switch_to_block(error_exit);
    let failed = g.b.ins().iconst(types::I32, 1);
    g.b.ins().return_(&[failed]);

    g.b.seal_all_blocks();
    g.b.finalize(target);
}

fn targets(inst: &Inst) -> Vec<usize> {
    match inst {
        Inst::Jump(t)
        | Inst::JumpIfTruth { target: t, .. }
        | Inst::JumpUnlessTrue { target: t, .. }
        | Inst::RangeStart { empty: t, .. }
        | Inst::RangeNext { done: t, .. } => vec![t.index()],
        _ => Vec::new(),
    }
}

struct Gen<'f> {
    b: FunctionBuilder<'f>,
    cx: Value,
    frame: Value,
    table: Value,
    error_exit: Block,
    pointer: types::Type,
    call_conv: CallConv,
    sigs: HashMap<usize, SigRef>,
    flags: MemFlagsData,
    symbolic: bool,
}

/// An operand of a helper call.
enum Arg {
    U32(u32),
    Slot(Slot),
    Iter(IterSlot),
    Node(NodeId),
    Proc(ProcId),
    /// A pointer into the program: what it points to, and which one.
    Ptr(*const u8, PtrKind, usize),
    Usize(usize),
}

impl Arg {
    /// How the helper receives it.
    fn abi(&self) -> Abi {
        match self {
            Arg::U32(_) => Abi::U32,
            Arg::Slot(_) => Abi::Slot,
            Arg::Iter(_) => Abi::Iter,
            Arg::Node(_) => Abi::Node,
            Arg::Proc(_) => Abi::Proc,
            Arg::Ptr(..) => Abi::Ptr,
            Arg::Usize(_) => Abi::Usize,
        }
    }
}

/// What a pointer operand points to. In a symbolic listing (CLIF
/// snapshots) pointers print as `kind << 32 | index`, stable across runs.
#[derive(Clone, Copy)]
enum PtrKind {
    Text = 1,
    Name = 2,
    Const = 3,
    Param = 4,
    Function = 5,
    Message = 6,
    Run = 7,
}

impl Gen<'_> {
    /// Calls `helper` with the context, the frame (if it takes one) and
    /// `args`; returns its status.
    fn call(&mut self, helper: Helper, args: &[Arg]) -> Value {
        let index = helper as usize;
        let (call_conv, pointer) = (self.call_conv, self.pointer);
        let sig = *self
            .sigs
            .entry(index)
            .or_insert_with(|| self.b.import_signature(helper_signature(helper, call_conv, pointer)));
        let offset = (index * std::mem::size_of::<*const u8>()) as i32;
        let callee = self.b.ins().load(self.pointer, self.flags, self.table, offset);
        let mut values = vec![self.cx];
        if helper.params().get(1) == Some(&Abi::Frame) {
            values.push(self.frame);
        }
        debug_assert!(
            helper.params()[values.len()..].iter().copied().eq(args.iter().map(Arg::abi)),
            "{} takes other operands",
            helper.name()
        );
        for arg in args {
            let v = match *arg {
                Arg::U32(x) => self.b.ins().iconst(types::I32, i64::from(x)),
                Arg::Slot(s) => self.b.ins().iconst(types::I32, i64::from(s.as_u32())),
                Arg::Iter(i) => self.b.ins().iconst(types::I32, i64::from(i.as_u32())),
                Arg::Node(n) => self.b.ins().iconst(types::I32, i64::from(n.as_u32())),
                Arg::Proc(p) => self.b.ins().iconst(types::I32, i64::from(p.as_u32())),
                Arg::Ptr(_, kind, index) if self.symbolic => {
                    self.b.ins().iconst(self.pointer, (kind as i64) << 32 | index as i64)
                }
                Arg::Ptr(p, _, _) => self.b.ins().iconst(self.pointer, p as i64),
                Arg::Usize(n) => self.b.ins().iconst(self.pointer, n as i64),
            };
            values.push(v);
        }
        let call = self.b.ins().call_indirect(sig, callee, &values);
        self.b.inst_results(call)[0]
    }

    /// `Inst::Call`, keeping its result in memo entry `memo` (or `NO_MEMO`).
    fn function_call(&mut self, program: &Program, inst: &Inst, memo: u32) {
        let Inst::Call { dst, func, args, argc, node } = *inst else { unreachable!("a call instruction") };
        let function: *const injit_runtime::funcs::Function = program.functions[func];
        self.call_checked(
            Helper::Call,
            &[
                Arg::Slot(dst),
                Arg::Ptr(function.cast(), PtrKind::Function, func.index()),
                Arg::Slot(args),
                Arg::U32(argc),
                Arg::Node(node),
                Arg::U32(memo),
            ],
        );
    }

    /// A helper call whose non-zero status is an error.
    fn call_checked(&mut self, helper: Helper, args: &[Arg]) {
        let status = self.call(helper, args);
        let next = self.b.create_block();
        self.b.ins().brif(status, self.error_exit, &[], next, &[]);
        self.b.switch_to_block(next);
    }

    /// Branches to the error exit when `status == 2`, else continues.
    fn fail_on_two(&mut self, status: Value) {
        let is_error = self.b.ins().icmp_imm_u(IntCC::Equal, status, 2);
        let next = self.b.create_block();
        self.b.ins().brif(is_error, self.error_exit, &[], next, &[]);
        self.b.switch_to_block(next);
    }

    /// Emits one instruction; returns whether control can fall through.
    fn inst(&mut self, program: &Program, pc: usize, inst: &Inst, labels: &HashMap<usize, Block>) -> bool {
        let label = |t: Label| labels[&t.index()];
        match inst {
            Inst::At(node) => {
                // `Frame::node` is a `NodeId`: a `u32` in memory.
                let n = self.b.ins().iconst(types::I32, i64::from(node.as_u32()));
                self.b.ins().store(self.flags, n, self.frame, std::mem::offset_of!(Frame<'static>, node) as i32);
            }
            Inst::Text(t) => {
                let text = &program.texts[*t];
                let ptr = Arg::Ptr(text.as_ptr(), PtrKind::Text, t.index());
                self.call_checked(Helper::Text, &[ptr, Arg::Usize(text.len())]);
            }
            Inst::Print(s) => self.call_checked(Helper::Print, &[Arg::Slot(*s)]),
            Inst::Const { dst, value } => {
                let c: *const crate::ir::Const = &program.consts[*value];
                self.call_checked(
                    Helper::Constant,
                    &[Arg::Slot(*dst), Arg::Ptr(c.cast(), PtrKind::Const, value.index())],
                );
            }
            Inst::Copy { dst, src } => self.call_checked(Helper::Copy, &[Arg::Slot(*dst), Arg::Slot(*src)]),
            Inst::Unbox(s) => self.call_checked(Helper::Unbox, &[Arg::Slot(*s)]),
            Inst::Field { dst, recv, name, args } => {
                let (id, name) = (name.index(), &program.names[*name]);
                self.call_checked(
                    Helper::Field,
                    &[
                        Arg::Slot(*dst),
                        Arg::Slot(*recv),
                        Arg::Ptr(name.as_ptr(), PtrKind::Name, id),
                        Arg::Usize(name.len()),
                        Arg::U32(*args),
                    ],
                );
            }
            Inst::Validate { slot, to } => {
                let to: *const injit_runtime::convert::Param = to;
                self.call_checked(Helper::Validate, &[Arg::Slot(*slot), Arg::Ptr(to.cast(), PtrKind::Param, pc)]);
            }
            inst @ Inst::Call { .. } => self.function_call(program, inst, NO_MEMO),
            Inst::CallMethod { dst, method, args, argc, constants, node } => self.call_checked(
                Helper::CallMethod,
                &[
                    Arg::Slot(*dst),
                    Arg::Slot(*method),
                    Arg::Slot(*args),
                    Arg::U32(*argc),
                    Arg::U32(*constants),
                    Arg::Node(*node),
                ],
            ),
            Inst::CallValue { dst, callee, args, argc, node } => {
                let name = &program.names[*callee];
                self.call_checked(
                    Helper::CallValue,
                    &[
                        Arg::Slot(*dst),
                        Arg::Ptr(name.as_ptr(), PtrKind::Name, callee.index()),
                        Arg::Usize(name.len()),
                        Arg::Slot(*args),
                        Arg::U32(*argc),
                        Arg::Node(*node),
                    ],
                );
            }
            Inst::JumpIfTruth { src, when, target } => {
                let taken = self.call(Helper::TruthIs, &[Arg::Slot(*src), Arg::U32(u32::from(*when))]);
                let next = self.b.create_block();
                self.b.ins().brif(taken, label(*target), &[], next, &[]);
                self.b.switch_to_block(next);
            }
            Inst::JumpUnlessTrue { src, target } => {
                let truth = self.call(Helper::IsTrue, &[Arg::Slot(*src)]);
                self.fail_on_two(truth);
                let next = self.b.create_block();
                self.b.ins().brif(truth, next, &[], label(*target), &[]);
                self.b.switch_to_block(next);
            }
            Inst::Jump(target) => {
                self.b.ins().jump(label(*target), &[]);
                return false;
            }
            Inst::RangeStart { iter, src, empty } => {
                let started = self.call(Helper::RangeStart, &[Arg::Iter(*iter), Arg::Slot(*src)]);
                self.fail_on_two(started);
                let next = self.b.create_block();
                self.b.ins().brif(started, next, &[], label(*empty), &[]);
                self.b.switch_to_block(next);
            }
            Inst::RangeNext { iter, key, elem, done } => {
                let more = self
                    .call(Helper::RangeNext, &[Arg::Iter(*iter), Arg::Slot(key.unwrap_or(NO_SLOT)), Arg::Slot(*elem)]);
                let next = self.b.create_block();
                self.b.ins().brif(more, next, &[], label(*done), &[]);
                self.b.switch_to_block(next);
            }
            Inst::RangeEnd { iter } => self.call_checked(Helper::RangeEnd, &[Arg::Iter(*iter)]),
            Inst::CheckDepth => self.call_checked(Helper::CheckDepth, &[]),
            Inst::CallTemplate { proc, dot } => {
                self.call_checked(Helper::CallTemplate, &[Arg::Proc(*proc), Arg::Slot(*dot)])
            }
            Inst::Fail(m) => {
                let message = program.messages[*m].as_bytes();
                self.call(
                    Helper::Fail,
                    &[Arg::Ptr(message.as_ptr(), PtrKind::Message, m.index()), Arg::Usize(message.len())],
                );
                self.b.ins().jump(self.error_exit, &[]);
                return false;
            }
        }
        true
    }
}
