//! The native backend: a program's IR compiled with Cranelift when the
//! template set is compiled, run on every render.
//!
//! One `JITModule` holds all templates of a set; it is freed when the set
//! is dropped (nothing can be running then: renders borrow the set).

mod chains;
mod codegen;
mod fuse;
mod helpers;
mod liveness;
mod repeats;

use std::fmt;

use cranelift_codegen::ir::UserFuncName;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use injit_runtime::funcs::CallCx;
use injit_runtime::value::Value;

use crate::exec_error::ExecError;
use crate::ir::{EntityVec, ProcId, Program};
use crate::limits::ExecLimits;
use crate::machine::Machine;
use fuse::{Fusion, Run};
use helpers::{JitCx, ProcFn};

/// Why native code could not be generated (a bug, or an unsupported host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JitError(String);

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "native code generation failed: {}", self.0)
    }
}

impl std::error::Error for JitError {}

fn jit_error(e: impl fmt::Display) -> JitError {
    JitError(e.to_string())
}

/// A program's templates as native code.
pub(crate) struct JitProgram {
    /// `Some` until dropped; dropping frees the code.
    module: Option<JITModule>,
    procs: EntityVec<ProcId, ProcFn>,
    helpers: Box<[*const u8]>,
    /// Each procedure's fused runs, which its code points to: built before
    /// any code and never changed after, so they do not move.
    _fused: EntityVec<ProcId, Vec<Run>>,
    /// Each procedure's memo size (`chains.rs`, `repeats.rs`).
    memo_sizes: EntityVec<ProcId, u32>,
}

// SAFETY: the module is only touched in `Drop` (it is `Send`, and nothing
// else reads it); the function pointers are immutable code addresses, and
// the code they point to writes only through the context and frame each
// render passes in. So sharing a `JitProgram` between threads is sound.
unsafe impl Send for JitProgram {}
// SAFETY: as above.
unsafe impl Sync for JitProgram {}

impl fmt::Debug for JitProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JitProgram").field("procs", &self.procs.len()).finish()
    }
}

impl Drop for JitProgram {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: `&mut self` means no render is using the code (renders
            // borrow the template set that owns this program), and the
            // function pointers are dropped with `self`.
            unsafe { module.free_memory() };
        }
    }
}

fn builder() -> Result<JITBuilder, JitError> {
    let mut flags = settings::builder();
    // Time goes into helpers, not generated code: optimising buys nothing
    // measurable, and the single-pass allocator compiles several times faster.
    flags.set("opt_level", "none").map_err(jit_error)?;
    flags.set("regalloc_algorithm", "single_pass").map_err(jit_error)?;
    flags.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }).map_err(jit_error)?;
    flags.set("use_colocated_libcalls", "false").map_err(jit_error)?;
    flags.set("is_pic", "false").map_err(jit_error)?;
    let isa = cranelift_native::builder().map_err(jit_error)?.finish(settings::Flags::new(flags)).map_err(jit_error)?;
    Ok(JITBuilder::with_isa(isa, default_libcall_names()))
}

/// Compiles every template of `program`.
pub(crate) fn compile(program: &Program) -> Result<JitProgram, JitError> {
    let mut module = JITModule::new(builder()?);
    let pointer = module.target_config().pointer_type();
    let sig = codegen::proc_signature(module.target_config().default_call_conv, pointer);
    let mut ids: EntityVec<ProcId, _> = EntityVec::new();
    for id in program.procs.keys() {
        ids.push(module.declare_function(&format!("t{id}"), Linkage::Local, &sig).map_err(jit_error)?);
    }
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let fusions: EntityVec<ProcId, Fusion> =
        program.procs.iter().map(|proc| fuse::find(program, proc, &codegen::jump_targets(proc))).collect();
    let mut numbered = 0;
    for (id, proc) in program.procs.iter_enumerated() {
        ctx.func.signature = sig.clone();
        ctx.func.name = UserFuncName::user(0, ids[id].as_u32());
        let fusion = &fusions[id];

        let starts = fusion.runs.iter().enumerate().map(|(n, run)| (run.start, (run, numbered + n))).collect();
        numbered += fusion.runs.len();
        codegen::build(
            program,
            proc,
            &starts,
            &fusion.recalls,
            &mut ctx.func,
            &mut fctx,
            module.target_config(),
            false,
        );
        module.define_function(ids[id], &mut ctx).map_err(|e| JitError(format!("{e:?}")))?;
        module.clear_context(&mut ctx);
    }
    module.finalize_definitions().map_err(jit_error)?;
    let procs = ids
        .iter()
        .map(|&id| {
            let code = module.get_finalized_function(id);
            // SAFETY: `code` is a finalized function built with
            // `proc_signature`, i.e. `extern "C" fn(*mut JitCx, *mut Frame) -> u32`.
            unsafe { std::mem::transmute::<*const u8, ProcFn>(code) }
        })
        .collect();
    Ok(JitProgram {
        module: Some(module),
        procs,
        helpers: helpers::table(),
        memo_sizes: fusions.iter().map(|f| f.memo).collect(),
        _fused: fusions.into_iter().map(|f| f.runs).collect(),
    })
}

/// The Cranelift IR of every template, for people debugging the compiler.
/// Pointers into the program print as `kind << 32 | index` (kinds: 1 text,
/// 2 name, 3 constant, 4 parameter type at that instruction, 5 function,
/// 6 message, 7 fused run); helpers are called through the table at `cx`, slot `i` at
/// offset `8 * i` in the order of `Helper::ALL`.
pub(crate) fn clif(program: &Program) -> Result<String, JitError> {
    let isa_builder = builder()?;
    let module = JITModule::new(isa_builder);
    let pointer = module.target_config().pointer_type();
    let sig = codegen::proc_signature(module.target_config().default_call_conv, pointer);
    let mut fctx = FunctionBuilderContext::new();
    let mut text = String::from("; helpers: ");
    let names: Vec<&str> = helpers::Helper::ALL.iter().map(|h| h.name()).collect();
    text.push_str(&names.join(" "));
    text.push('\n');
    for (id, proc) in program.procs.iter_enumerated() {
        let mut func =
            cranelift_codegen::ir::Function::with_name_signature(UserFuncName::user(0, id.as_u32()), sig.clone());
        let fusion = fuse::find(program, proc, &codegen::jump_targets(proc));
        let starts = fusion.runs.iter().enumerate().map(|(n, run)| (run.start, (run, n))).collect();
        codegen::build(program, proc, &starts, &fusion.recalls, &mut func, &mut fctx, module.target_config(), true);
        text.push_str(&format!("; template {:?}\n{}\n", proc.name, func.display()));
    }
    // The module was only needed for its target settings; it holds no code.
    drop(module);
    Ok(text)
}

impl JitProgram {
    /// Runs template `proc` with `data`, appending to `out`.
    pub(crate) fn execute<'a>(
        &'a self,
        program: &'a Program,
        proc: ProcId,
        data: Value<'a>,
        out: &mut Vec<u8>,
        limits: &'a ExecLimits,
        call_cx: &'a CallCx,
    ) -> Result<(), ExecError> {
        let mut cx = JitCx {
            helpers: self.helpers.as_ptr(),
            procs: self.procs.as_slice().as_ptr(),
            memo_sizes: self.memo_sizes.as_slice(),
            machine: Machine::new(program, out, limits, call_cx),
            depth: 0,
            error: None,
        };
        let mut frame = cx.frame(proc, data);
        let function = self.procs[proc];
        // SAFETY: `function` is this program's native code for `proc`; it
        // receives a live context and a frame built for `proc`, and reads
        // the program only through pointers into `program`, which the
        // caller keeps alive (and unchanged) for the call.
        let status = unsafe { function((&raw mut cx).cast(), (&raw mut frame).cast()) };
        match status {
            0 => Ok(()),
            _ => Err(cx.error.take().unwrap_or_else(|| ExecError::new("internal error: render failed".to_owned()))),
        }
    }
}
