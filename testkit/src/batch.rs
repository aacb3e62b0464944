//! The conformance kit's batch format: a case per JSON line, as the kit's
//! generator and corpus write them, and a result per line, as its Go
//! oracle writes them; and the runner that gives injit's results.

use injit_compiler::{Backend, CompileOptions, FunctionSet, MissingKey, TemplateSet};
use injit_grammar::Delims;
use injit_runtime::Library;
use injit_runtime::{Data, NumberMode};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One case of the kit's batch format.
#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    pub name: String,
    pub template: String,
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
    #[serde(default)]
    pub sprig: bool,
    #[serde(default)]
    pub missingkey: Option<String>,
    #[serde(default)]
    pub template_name: Option<String>,
    #[serde(default)]
    pub exec: Option<String>,
    #[serde(default)]
    pub delims: Option<Vec<String>>,
    #[serde(default)]
    pub number: bool,
    #[serde(default)]
    pub testfuncs: bool,
    /// Data decoded into Istio's current `SidecarTemplateData`.
    #[serde(default)]
    pub typed: bool,
    /// injit's extension: the function set by name (`go`, `sprig`,
    /// `istio`), overriding `sprig`.
    #[serde(default)]
    pub funcs: Option<String>,
}

/// One result line, as the kit's oracle writes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub name: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub error_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partial_output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub output_base64: Option<String>,
    /// injit's extension: the backend the case actually ran on (`jit`, or
    /// `eval` when asked for or when native code could not be generated);
    /// absent when it did not compile. The oracle's results have no such
    /// field, and `compare.py` compares only the fields above.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub backend: Option<String>,
}

/// Go's lossy view of bytes as a string: each invalid byte is U+FFFD.
pub fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let (r, w) = injit_strconv::decode_rune(&bytes[i..]);
        out.push(r);
        i += w.max(1);
    }
    out
}

impl CaseResult {
    fn failed(name: &str, kind: &str, error: String) -> CaseResult {
        CaseResult {
            name: name.to_owned(),
            error: Some(error),
            error_kind: Some(kind.to_owned()),
            ..Default::default()
        }
    }

    fn with_output(mut self, bytes: &[u8], partial: bool) -> CaseResult {
        let text = lossy(bytes);
        if std::str::from_utf8(bytes).is_err() {
            self.output_base64 = Some(injit_runtime::encoding::base64::encode(bytes));
        }
        if partial {
            self.partial_output = Some(text);
        } else {
            self.output = Some(text);
        }
        self
    }
}

/// Why a case did not get as far as parsing: the oracle's `error_kind`
/// (`option`, `data`) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFailure {
    pub kind: &'static str,
    pub message: String,
}

impl CaseFailure {
    fn into_result(self, name: &str) -> CaseResult {
        CaseResult::failed(name, self.kind, self.message)
    }
}

/// The compile options a case asks for.
pub fn case_options(case: &Case, backend: Backend) -> Result<CompileOptions, CaseFailure> {
    let option = |message: String| CaseFailure { kind: "option", message };
    let missing_key = MissingKey::parse(case.missingkey.as_deref().unwrap_or("")).map_err(option)?;
    let delims = match case.delims.as_deref() {
        None => Delims::default(),
        Some([l, r]) => Delims::new(l, r),
        Some(_) => return Err(option("delims must have exactly two elements".into())),
    };
    let set = match case.funcs.as_deref() {
        Some("istio") => Library::Istio,
        Some("sprig") => Library::Sprig,
        Some("go") => Library::Go,
        Some(other) => return Err(option(format!("unknown function set {other:?}"))),
        None if case.sprig => Library::Sprig,
        None => Library::Go,
    };
    Ok(CompileOptions {
        name: case.template_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "t".to_owned()),
        delims,
        functions: if case.testfuncs { crate::funcs::functions(set) } else { FunctionSet::new(set) },
        backend,
        data_type: case.typed.then(sidecar_template_data).flatten(),
        missing_key,
        ..CompileOptions::default()
    })
}

/// Istio's current template data type.
pub fn sidecar_template_data() -> Option<injit_runtime::types::GoType> {
    injit_runtime::types::GoType::named("inject.SidecarTemplateData")
}

/// Decodes a case's data as the oracle does (typed data strictly: a
/// field `SidecarTemplateData` and the Kubernetes types lack is an error).
pub fn case_data(case: &Case) -> Result<Data, CaseFailure> {
    let mode = if case.number { NumberMode::JsonNumber } else { NumberMode::Float };
    let failure = |message: String| CaseFailure { kind: "data", message };
    let data = match &case.data {
        None => return Ok(Data::Null),
        Some(raw) => Data::from_json(raw.get().as_bytes(), mode).map_err(|e| failure(e.to_string()))?,
    };
    if let Some(t) = case.typed.then(sidecar_template_data).flatten() {
        injit_runtime::encoding::json::check::check_strict(t, &data).map_err(failure)?;
    }
    Ok(data)
}

/// Runs one case: parse, then execute, as the oracle's `render`.
pub fn run_case(case: &Case, backend: Backend) -> CaseResult {
    run_case_bound(case, backend, |_| None)
}

/// Runs one case with part of its data bound when compiling: `bind` picks
/// the bound fields from the case's data (see `CompileOptions::bound`).
pub fn run_case_bound(case: &Case, backend: Backend, bind: impl Fn(&Data) -> Option<Data>) -> CaseResult {
    let data = match case_data(case) {
        Ok(d) => d,
        Err(f) => return f.into_result(&case.name),
    };
    let mut options = match case_options(case, backend) {
        Ok(o) => o,
        Err(f) => return f.into_result(&case.name),
    };
    options.bound = bind(&data).map(std::sync::Arc::new);
    let set = match TemplateSet::compile(&case.template, &options) {
        Ok(s) => s,
        Err(e) => return CaseResult::failed(&case.name, "parse", e.to_string()),
    };
    let mut out = Vec::new();
    let result = match case.exec.as_deref().filter(|e| !e.is_empty()) {
        Some(name) => set.render_template(name, &data, &mut out),
        None => set.render(&data, &mut out),
    };
    let result = match result {
        Ok(()) => CaseResult { name: case.name.clone(), ..Default::default() }.with_output(&out, false),
        Err(e) => CaseResult::failed(&case.name, "exec", e.to_string()).with_output(&out, true),
    };
    CaseResult { backend: Some(set.backend().name().to_owned()), ..result }
}

/// Panics unless `set` runs on the backend that was asked for: a template
/// set asked for native code falls back to the evaluator when code
/// generation fails, and a test comparing the backends would then compare
/// the evaluator with itself.
#[track_caller]
pub fn assert_backend(set: &TemplateSet, asked: Backend, what: &str) {
    assert_eq!(
        set.backend(),
        asked,
        "{what}: asked for the {} backend, runs on the {} ({})",
        asked.name(),
        set.backend().name(),
        set.jit_error().map_or_else(|| "no native code error recorded".to_owned(), ToString::to_string)
    );
}

/// Panics unless a case that compiled ran on the backend asked for (see
/// [`assert_backend`]); cases that did not compile ran on neither.
#[track_caller]
pub fn assert_ran_on(result: &CaseResult, asked: Backend) {
    let compiled = !matches!(result.error_kind.as_deref(), Some("option" | "data" | "parse" | "input"));
    if compiled || result.backend.is_some() {
        assert_eq!(
            result.backend.as_deref(),
            Some(asked.name()),
            "{}: asked for the {} backend, ran on {}",
            result.name,
            asked.name(),
            result.backend.as_deref().unwrap_or("neither (it did not compile)")
        );
    }
}

/// Runs a batch: one case per input line, one result per output line.
pub fn run_batch(input: &str, backend: Backend) -> String {
    let mut out = String::new();
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let result = match serde_json::from_str::<Case>(line) {
            Ok(case) => run_case(&case, backend),
            Err(e) => {
                let name = serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                CaseResult::failed(&name, "input", format!("bad case: {e}"))
            }
        };
        out.push_str(&serde_json::to_string(&result).unwrap_or_default());
        out.push('\n');
    }
    out
}
