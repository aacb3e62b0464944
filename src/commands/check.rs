//! `injit check`: parse templates (alone, or inside injector configs) and
//! report every problem Go would find, at parse or at run time.

use injit_compiler::{Diagnostic, FunctionSet, check, check_fields};
use injit_grammar::ast::Span;
use injit_grammar::{Delims, ParseOptions, Templates, parse};
use injit_inject::{EmbeddedTemplate, OffsetMap, find_templates};
use injit_runtime::Library;
use injit_runtime::types::GoType;

/// How to check.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub functions: FunctionSet,
    /// Fixed delimiters; otherwise `{{ }}`, or `[[ ]]` detected in configs.
    pub delims: Option<Delims>,
    /// The Go type of the data templates get, for checking field access;
    /// by default, for injector configs, Istio's template data of the
    /// config's era.
    pub data_type: Option<GoType>,
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
    functions: &FunctionSet,
    data_type: Option<GoType>,
) -> (Option<Templates>, Vec<Diagnostic>) {
    let lookup = |n: &str| functions.contains(n);
    let options = ParseOptions::new(name, &lookup).delims(delims.clone()).lenient();
    match parse(text, &options) {
        Ok(templates) => {
            let mut diagnostics = check(&templates, functions);
            if let Some(root) = data_type {
                diagnostics.extend(check_fields(&templates, name, root));
                diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
            }
            (Some(templates), diagnostics)
        }
        Err(err) => {
            // Go's parser checks names as it goes: an undefined function or
            // variable before the syntax error is the error Go reports.
            let strict = ParseOptions::new(name, &lookup).delims(delims);
            let first = match parse(text, &strict) {
                Err(earlier) if earlier.span().start < err.span().start => earlier,
                _ => err,
            };
            (None, vec![Diagnostic::from_parse_error(&first)])
        }
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
            if let Ok(parsed) = injit_inject::config::InjectorConfig::parse(path, &source) {
                report.notes.extend(parsed.invalid_selectors());
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
    // Injector configs' templates get Istio's template data of their era
    // (1.0/1.1's for `[[ ]]` configs, with that era's mesh config).
    let data_type = options.data_type.or_else(|| {
        let config = embedded.as_ref()?;
        let legacy = config.templates.iter().any(|t| Delims::detect(&t.text) != Delims::default());
        GoType::named(if legacy { "inject.LegacySidecarTemplateData" } else { "inject.SidecarTemplateData" })
    });
    for unit in &units {
        // Gateway-controller templates in the same config get other data.
        let controller = unit.key.as_deref().is_some_and(|k| {
            let name = k.trim_start_matches("templates.");
            name == "waypoint" || (name.contains("gateway") && name != "gateway")
        });
        let data_type = if controller { None } else { data_type };
        let (_, diagnostics) = check_template(unit.text, name, unit.delims.clone(), &options.functions, data_type);
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
pub fn default_functions() -> FunctionSet {
    FunctionSet::new(Library::Istio)
}
