//! A config's template, compiled for the pods it will meet.
//!
//! `.Values` is the same for every pod, and so are `.MeshConfig` and
//! `.ProxyConfig` for every pod without a `proxy.istio.io/config`
//! annotation (the annotation changes the proxy config, and kube-inject
//! applies it to the mesh config too). Bound when the config loads,
//! lookups into them and what depends only on them fold into the compiled
//! template (`compiler/src/fold.rs`). So each template is compiled twice:
//! with all three bound for typical pods, and with `.Values` alone for
//! annotated ones — that one when first needed, as most clusters never
//! need it (the webhook compiles both up front, off the request path).

use std::sync::{Arc, OnceLock};

use injit_compiler::{Backend, CompileOptions, JitError, TemplateSet};
use injit_grammar::ParseError;
use injit_runtime::Data;

pub(crate) struct CompiledTemplate {
    source: String,
    /// How the general form compiles (`.Values` bound).
    options: CompileOptions,
    /// `.Values`, `.MeshConfig` and `.ProxyConfig` bound.
    typical: TemplateSet,
    general: OnceLock<Result<TemplateSet, ParseError>>,
}

impl CompiledTemplate {
    /// Compiles the typical form: `options` with `typical_bound` in place of
    /// its bound data.
    pub(crate) fn new(
        source: String,
        options: CompileOptions,
        typical_bound: Arc<Data>,
    ) -> Result<CompiledTemplate, ParseError> {
        let typical_options = CompileOptions { bound: Some(typical_bound), ..options.clone() };
        let typical = TemplateSet::compile(&source, &typical_options)?;
        Ok(CompiledTemplate { source, options, typical, general: OnceLock::new() })
    }

    /// The form for a pod: typical unless it has its own proxy config.
    pub(crate) fn for_pod(&self, own_proxy_config: bool) -> Result<&TemplateSet, &ParseError> {
        if own_proxy_config { self.general().as_ref() } else { Ok(&self.typical) }
    }

    /// Compiles the general form now, if not yet done.
    pub(crate) fn compile_general(&self) {
        self.general();
    }

    fn general(&self) -> &Result<TemplateSet, ParseError> {
        self.general.get_or_init(|| TemplateSet::compile(&self.source, &self.options))
    }

    /// The forms compiled so far: the typical one, and the general one
    /// once compiled.
    fn forms(&self) -> impl Iterator<Item = &TemplateSet> {
        std::iter::once(&self.typical).chain(self.general.get().and_then(|r| r.as_ref().ok()))
    }

    /// The backend renders run on: `Eval` if any form compiled so far fell
    /// back to the evaluator (or the evaluator was asked for).
    pub(crate) fn backend(&self) -> Backend {
        if self.forms().all(|s| s.backend() == Backend::Jit) { Backend::Jit } else { Backend::Eval }
    }

    /// Why native code was asked for but a form compiled so far runs on the
    /// evaluator.
    pub(crate) fn jit_error(&self) -> Option<&JitError> {
        self.forms().find_map(TemplateSet::jit_error)
    }

    /// Whether renders depend only on the data (no clock, randomness or
    /// environment); the same for both forms.
    pub(crate) fn is_deterministic(&self) -> bool {
        self.typical.is_deterministic()
    }
}
