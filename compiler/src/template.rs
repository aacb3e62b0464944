//! Compiled template sets: parse once, render many times.

use injit_grammar::{COMPILE_STACK_BYTES, Delims, ParseError, ParseOptions, parse};
use injit_runtime::Data;
use injit_runtime::Library;
use injit_runtime::funcs::CallCx;
use injit_runtime::types::GoType;
use injit_runtime::value::{Value, owned_copy};

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::check::FunctionSet;
use crate::exec_error::ExecError;
use crate::ir::{MissingKey, Program};
use crate::jit::{JitError, JitProgram};
use crate::limits::ExecLimits;
use crate::lower::{LowerOptions, lower};
use crate::trace::OutputTrace;

/// How to compile a template set.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// The main template's name (`template.New(name)`); it appears in errors.
    pub name: String,
    pub delims: Delims,
    pub functions: FunctionSet,
    pub missing_key: MissingKey,
    pub limits: ExecLimits,
    /// What functions may reach outside the template (`env`, DNS).
    pub call_cx: CallCx,
    pub backend: Backend,
    /// Data known now: top-level fields (an object) that every render's
    /// data will have, with these values. The main template is compiled
    /// with them folded in (see `fold.rs`); output is the same as without.
    pub bound: Option<Arc<Data>>,
    /// The Go type of the data (typed data, e.g. Istio's
    /// `SidecarTemplateData`); `None` for generic JSON data.
    pub data_type: Option<GoType>,
}

/// How a template set runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// Native code, compiled once with Cranelift.
    #[default]
    Jit,
    /// The reference evaluator over the IR.
    Eval,
    /// The evaluator first; native code compiled on a background thread
    /// once the set is hot ([`HOT_RENDERS`]), then used. A process that
    /// renders a few times (the CLI) never pays for Cranelift; a server
    /// reaches native code's speed within its first busy second.
    Auto,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Jit => "jit",
            Backend::Eval => "eval",
            Backend::Auto => "auto",
        }
    }
}

/// Renders of a set after which [`Backend::Auto`] compiles it to native
/// code. Compiling Istio's sidecar template takes ~13 ms, and native code
/// saves ~6 µs a render over the evaluator (`bench/istio.sh`), so it pays
/// back after ~2,000 renders; starting at 1,000 bets on a set that has
/// rendered that often rendering as often again.
pub const HOT_RENDERS: u32 = 1_000;

/// [`Backend::Auto`]'s native code: started once the set is hot, set when
/// the background compile ends.
#[derive(Debug, Default)]
struct Tier {
    renders: AtomicU32,
    started: AtomicBool,
    code: Arc<OnceLock<Result<JitProgram, JitError>>>,
}

impl Tier {
    /// The native code, once compiled; counts a render otherwise, and
    /// starts compiling `program` when the set turns hot.
    fn ready(&self, program: &Arc<Program>) -> Option<&JitProgram> {
        if let Some(code) = self.code.get() {
            return code.as_ref().ok();
        }
        if self.renders.fetch_add(1, Ordering::Relaxed) + 1 >= HOT_RENDERS && !self.started.swap(true, Ordering::AcqRel)
        {
            let (program, code) = (Arc::clone(program), Arc::clone(&self.code));
            // A thread that cannot start leaves the set on the evaluator.
            let _ = std::thread::Builder::new().name("injit-jit".to_owned()).spawn(move || {
                let compiled = on_compile_stack(|| crate::jit::compile(&program));
                // The code points into `program`: the set (and so the
                // program) outlives it, or this thread's own handle does.
                let _ = code.set(compiled);
            });
        }
        None
    }
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            name: "t".to_owned(),
            delims: Delims::default(),
            functions: FunctionSet::new(Library::Go),
            missing_key: MissingKey::Invalid,
            limits: ExecLimits::default(),
            call_cx: CallCx::default(),
            backend: Backend::default(),
            bound: None,
            data_type: None,
        }
    }
}

impl MissingKey {
    /// Parses Go's `missingkey=` option value; the error is Go's panic text.
    pub fn parse(value: &str) -> Result<MissingKey, String> {
        match value {
            "" | "default" | "invalid" => Ok(MissingKey::Invalid),
            "zero" => Ok(MissingKey::Zero),
            "error" => Ok(MissingKey::Error),
            other => Err(format!("unrecognized option: missingkey={other}")),
        }
    }
}

/// A template and the templates it defines, compiled.
#[derive(Debug)]
pub struct TemplateSet {
    name: String,
    /// Shared with [`Backend::Auto`]'s background compile, whose native
    /// code points into it.
    program: Arc<Program>,
    limits: ExecLimits,
    call_cx: CallCx,
    /// Native code for `program`, when the JIT backend was asked for and
    /// the host allows it.
    jit: Option<JitProgram>,
    jit_error: Option<JitError>,
    /// With [`Backend::Auto`]: native code once the set is hot.
    tier: Option<Tier>,
    /// A moving average of output sizes, to reserve once per render.
    size_hint: AtomicUsize,
    data_type: Option<GoType>,
}

/// Runs `compile` on a stack segment of [`COMPILE_STACK_BYTES`]:
/// parsing and every pass after it recurse once per nesting level, up to
/// [`injit_grammar::MAX_NESTING`], and the caller's stack (a 2 MiB async
/// worker's) may be far smaller. Only the pages used are ever committed.
fn on_compile_stack<T>(compile: impl FnOnce() -> T) -> T {
    stacker::grow(COMPILE_STACK_BYTES, compile)
}

impl TemplateSet {
    /// Parses and compiles `source`, as Go's `template.New(name).Parse(source)`.
    pub fn compile(source: &str, options: &CompileOptions) -> Result<TemplateSet, ParseError> {
        on_compile_stack(|| TemplateSet::compile_here(source, options))
    }

    fn compile_here(source: &str, options: &CompileOptions) -> Result<TemplateSet, ParseError> {
        let functions = options.functions;
        let lookup = move |name: &str| functions.contains(name);
        let parse_options = ParseOptions::new(options.name.clone(), &lookup).delims(options.delims.clone());
        let templates = parse(source, &parse_options)?;
        let table = functions.table();
        let mut program = lower(
            &templates,
            source,
            &LowerOptions { functions: table, missing_key: options.missing_key, parse_name: options.name.clone() },
        );
        if let (Some(bound), Some(main)) = (&options.bound, program.proc(&options.name)) {
            crate::fold::bind(&mut program, main, Arc::clone(bound), &options.call_cx, options.data_type);
        }
        let (jit, jit_error) = match options.backend {
            Backend::Eval | Backend::Auto => (None, None),
            Backend::Jit => match crate::jit::compile(&program) {
                Ok(jit) => (Some(jit), None),
                Err(e) => (None, Some(e)),
            },
        };
        Ok(TemplateSet {
            name: options.name.clone(),
            program: Arc::new(program),
            tier: (options.backend == Backend::Auto).then(Tier::default),
            limits: options.limits.clone(),
            call_cx: options.call_cx,
            jit,
            jit_error,
            size_hint: AtomicUsize::new(0),
            data_type: options.data_type,
        })
    }

    /// The backend renders run on now: `Jit` when native code exists (asked
    /// for, or [`Backend::Auto`]'s once compiled), else `Eval` (asked for,
    /// not hot yet, or native code could not be generated: see
    /// [`Self::jit_error`]).
    pub fn backend(&self) -> Backend {
        if self.native().is_some() { Backend::Jit } else { Backend::Eval }
    }

    /// Why native code was asked for (or compiled once hot) but is not in
    /// use.
    pub fn jit_error(&self) -> Option<&JitError> {
        let tier = self.tier.as_ref().and_then(|t| t.code.get()?.as_ref().err());
        self.jit_error.as_ref().or(tier)
    }

    /// The native code renders use, if there is any yet.
    fn native(&self) -> Option<&JitProgram> {
        self.jit.as_ref().or_else(|| self.tier.as_ref()?.code.get()?.as_ref().ok())
    }

    /// The Cranelift IR of every template of the set.
    pub fn clif(&self) -> Result<String, JitError> {
        crate::jit::clif(&self.program)
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Whether every render of the same data writes the same text: no
    /// function the templates call reads the clock, randomness, the
    /// environment or the network.
    pub fn is_deterministic(&self) -> bool {
        self.program.functions.iter().all(|f| f.is_deterministic())
    }

    /// Executes the main template (`Execute`), appending to `out`; on error
    /// `out` keeps what was written before it, as Go's writer would.
    pub fn render(&self, data: &Data, out: &mut Vec<u8>) -> Result<(), ExecError> {
        self.render_template(&self.name, data, out)
    }

    /// The value `.` starts as. A template that changes maps in place
    /// works on its own copy of the data (Go's maps would change under
    /// every other reader).
    fn root<'d>(&self, data: &'d Data) -> Value<'d> {
        match (data, self.data_type) {
            (_, Some(t)) => injit_runtime::value::typed::value(t, Some(data), false),
            (Data::Null, None) => Value::invalid(),
            _ if self.program.mutates => owned_copy(data, false),
            _ => Value::from_data(data, false),
        }
    }

    /// Renders the main template on the reference evaluator, recording
    /// which template offset wrote each output offset: for pointing a
    /// problem found in the output at the template (`trace.rs`).
    pub fn render_traced(&self, data: &Data, out: &mut Vec<u8>) -> (Result<(), ExecError>, OutputTrace) {
        let mut trace = OutputTrace::default();
        let Some(proc) = self.program.proc(&self.name) else { return (Ok(()), trace) };
        let root = self.root(data);
        let result =
            crate::eval::execute(&self.program, proc, root, out, &self.limits, &self.call_cx, Some(&mut trace));
        (result, trace)
    }

    /// Executes the template named `name` (`ExecuteTemplate`).
    pub fn render_template(&self, name: &str, data: &Data, out: &mut Vec<u8>) -> Result<(), ExecError> {
        let Some(proc) = self.program.proc(name) else {
            let (n, t) = (injit_strconv::quote(name.as_bytes()), injit_strconv::quote(self.name.as_bytes()));
            return Err(ExecError::new(format!("template: no template {n} associated with template {t}")));
        };
        let root = self.root(data);
        let start = out.len();
        out.reserve(self.size_hint.load(Ordering::Relaxed));
        let native = match &self.tier {
            Some(tier) => tier.ready(&self.program),
            None => self.jit.as_ref(),
        };
        let result = match native {
            Some(jit) => jit.execute(&self.program, proc, root, out, &self.limits, &self.call_cx),
            None => crate::eval::execute(&self.program, proc, root, out, &self.limits, &self.call_cx, None),
        };
        let written = out.len() - start;
        let hint = self.size_hint.load(Ordering::Relaxed);
        self.size_hint.store(hint - hint / 8 + written / 8, Ordering::Relaxed);
        result
    }
}
