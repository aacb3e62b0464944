//! `injit check`: parse templates (alone, or inside injector configs) and
//! report every problem Go would find, at parse or at run time.

use injit_compiler::{Diagnostic, Functions, check};
use injit_grammar::ast::Span;
use injit_grammar::{Delims, ParseOptions, Templates, parse};
use injit_inject::{EmbeddedTemplate, OffsetMap, find_templates};
use injit_runtime::FunctionSet;

/// How to check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub functions: Functions,
    /// Fixed delimiters; otherwise `{{ }}`, or `[[ ]]` detected in configs.
    pub delims: Option<Delims>,
}

/// A problem found in a file, with its span in the file's offsets.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The config key of the template (`templates.sidecar`), if the file is
    /// an injector config.
    pub template: Option<String>,
    pub diagnostic: Diagnostic,
}

/// Everything found in one file.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: String,
    pub source: String,
    pub templates: usize,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

impl FileReport {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.diagnostic.severity == injit_compiler::Severity::Error).count()
    }
}

/// One template's text, name and delimiters, ready to parse.
struct Unit<'a> {
    key: Option<String>,
    text: &'a str,
    offsets: OffsetMap,
    delims: Delims,
}

/// The name Istio gives every template it parses, so errors read as Go's do.
pub const ISTIO_TEMPLATE_NAME: &str = "inject";

/// Parses one template leniently (so the checker, not the parser, reports
/// undefined names) and checks it.
pub fn check_template(
    text: &str,
    name: &str,
    delims: Delims,
    functions: &Functions,
) -> (Option<Templates>, Vec<Diagnostic>) {
    let lookup = |n: &str| functions.contains(n);
    let options = ParseOptions::new(name, &lookup).delims(delims).lenient();
    match parse(text, &options) {
        Ok(templates) => {
            let diagnostics = check(&templates, functions);
            (Some(templates), diagnostics)
        }
        Err(err) => (None, vec![Diagnostic::from_parse_error(&err)]),
    }
}

/// Checks a file: a template, or an injector config holding templates.
pub fn check_file(path: &str, source: String, options: &CheckOptions) -> FileReport {
    let mut report = FileReport {
        path: path.to_owned(),
        source: String::new(),
        templates: 0,
        findings: Vec::new(),
        notes: Vec::new(),
    };
    let embedded = find_templates(&source);
    let units: Vec<Unit<'_>> = match &embedded {
        Some(config) => {
            for key in &config.ignored {
                report.notes.push(format!("`{key}` is not checked: Istio ignores it when `templates` is present"));
            }
            config
                .templates
                .iter()
                .map(|t: &EmbeddedTemplate| Unit {
                    key: Some(t.key.clone()),
                    text: &t.text,
                    offsets: t.offsets.clone(),
                    delims: options.delims.clone().unwrap_or_else(|| Delims::detect(&t.text)),
                })
                .collect()
        }
        None => vec![Unit {
            key: None,
            text: &source,
            offsets: OffsetMap::identity(),
            delims: options.delims.clone().unwrap_or_default(),
        }],
    };
    report.templates = units.len();
    let name = if embedded.is_some() { ISTIO_TEMPLATE_NAME } else { "t" };
    for unit in &units {
        let (_, diagnostics) = check_template(unit.text, name, unit.delims.clone(), &options.functions);
        for mut diagnostic in diagnostics {
            let start = unit.offsets.to_file(diagnostic.span.start);
            let end = if unit.offsets.is_exact() { unit.offsets.to_file(diagnostic.span.end) } else { start };
            diagnostic.span = Span { start, end };
            report.findings.push(Finding { template: unit.key.clone(), diagnostic });
        }
    }
    report.findings.sort_by_key(|f| (f.diagnostic.span.start, f.diagnostic.span.end));
    report.source = source;
    report
}

/// The default function set: Istio's, since injit's templates are Istio's.
pub fn default_functions() -> Functions {
    Functions::new(FunctionSet::Istio)
}
