//! `injit check`: parse templates (alone, or inside injector configs) and
//! report every problem Go would find, at parse or at run time.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use injit_compiler::{
    Backend, CompileOptions, Diagnostic, FunctionSet, TemplateSet, check, check_trim_markers, check_types,
};
use injit_grammar::ast::Span;
use injit_grammar::{Delims, ParseOptions, Templates, dump, parse};
use injit_inject::{EmbeddedTemplate, OffsetMap, find_templates};
use injit_runtime::Library;
use injit_runtime::types::GoType;

use super::data_type;
use crate::args::{Funcs, parse_delims};
use crate::exit::{Code, CommandResult, Failure};
use crate::io::{json_text, label, print_stdout, read_input};
use crate::report;

#[derive(clap::Args)]
#[command(after_help = crate::exit::CHECK)]
pub struct Args {
    /// Template files or injector configs (`-` reads standard input)
    #[arg(required = true)]
    files: Vec<String>,
    /// Action delimiters, as 'LEFT RIGHT' (default `{{ }}`; `[[ ]]` is
    /// detected in Istio 1.0/1.1 configs)
    #[arg(long)]
    delims: Option<String>,
    /// The functions templates may call
    #[arg(long, value_enum, default_value = "istio")]
    funcs: Funcs,
    /// How to print problems: for people, JSON, or SARIF 2.1.0 (GitHub
    /// code scanning) (`--format`, its old name, still works)
    #[arg(short = 'o', long = "output", alias = "format", value_enum, default_value = "human")]
    output: CheckOutput,
    /// Check again each time a file changes (saved), until interrupted
    #[arg(long)]
    watch: bool,
    /// Also print an intermediate form of each template
    #[arg(long, value_enum)]
    emit: Option<Emit>,
    /// The Go type of the data, to check field access and types:
    /// `sidecar` (Istio's SidecarTemplateData), `legacy` (Istio 1.0/1.1's),
    /// `none`, or a type name such as `v1.PodSpec`. By default, injector
    /// configs' templates get Istio's, and a bare template gets Istio's
    /// sidecar data when it reads its fields (a note says so)
    #[arg(long, value_name = "TYPE")]
    data_type: Option<String>,
}

/// `check`'s report formats: the common ones and SARIF.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckOutput {
    Human,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    /// the syntax tree of each template
    Ast,
    /// the intermediate code both backends run
    Ir,
    /// the Cranelift IR native code is generated from
    Clif,
}

/// Checks every file and prints the problems found. It parses and
/// analyses templates itself, recursing once per nesting level as
/// compiling does, so it runs on the compiler's stack.
pub fn run(args: Args) -> CommandResult {
    stacker::grow(injit_grammar::COMPILE_STACK_BYTES, || check_files(args))
}

fn check_files(args: Args) -> CommandResult {
    let delims = parse_delims(args.delims.as_deref()).map_err(|e| Failure::new(Code::USAGE, e))?;
    // `None`: decided per file (`data_type::assume`).
    let chosen = match args.data_type.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some("sidecar") => Some(GoType::named("inject.SidecarTemplateData")),
        Some("legacy") => Some(GoType::named("inject.LegacySidecarTemplateData")),
        Some(name) => Some(Some(GoType::parse(name).ok_or_else(|| {
            Failure::new(
                Code::USAGE,
                format!("error: unknown data type {name:?} (try sidecar, legacy, or a type such as v1.PodSpec)"),
            )
        })?)),
    };
    let options = CheckOptions { functions: FunctionSet::new(args.funcs.into()), delims, data_type: None };
    if !args.watch {
        return check_once(&args, chosen, &options);
    }
    if args.files.iter().any(|f| f == "-") {
        return Err(Failure::new(Code::USAGE, "error: --watch reads files again: standard input cannot be watched"));
    }
    let mut seen = watched_state(&args.files);
    loop {
        // Each round's outcome is printed; watching goes on regardless.
        if let Err(failure) = check_once(&args, chosen, &options)
            && !failure.message.is_empty()
        {
            eprintln!("{}", failure.message);
        }
        eprintln!("watching {} file{} for changes (Ctrl-C stops)", args.files.len(), plural(args.files.len()));
        loop {
            std::thread::sleep(WATCH_POLL);
            let now = watched_state(&args.files);
            if now != seen {
                seen = now;
                break;
            }
        }
    }
}

/// How often `--watch` looks at the files: fast enough to feel immediate
/// after a save, cheap enough to leave running.
const WATCH_POLL: std::time::Duration = std::time::Duration::from_millis(300);

/// What `--watch` compares: each file's modification time and length
/// (`None` while a file is missing, as during an editor's atomic save).
fn watched_state(files: &[String]) -> Vec<Option<(std::time::SystemTime, u64)>> {
    files.iter().map(|f| std::fs::metadata(f).ok().and_then(|m| Some((m.modified().ok()?, m.len())))).collect()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Checks every file once and prints the report.
fn check_once(args: &Args, chosen: Option<Option<GoType>>, options: &CheckOptions) -> CommandResult {
    let styled = crate::report::colors(std::io::stderr().is_terminal());
    let mut reports = Vec::new();
    let mut failed = false;
    let mut unread = 0;
    for path in &args.files {
        let source = match read_input(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot read {e}");
                failed = true;
                unread += 1;
                continue;
            }
        };
        let report = match chosen {
            Some(data_type) => check_file(label(path), source, &CheckOptions { data_type, ..options.clone() }),
            None => check_file_assuming_data(label(path), source, options),
        };
        let emitted = match args.emit {
            Some(Emit::Ast) => emit_ast(&report.source, options),
            Some(Emit::Ir) => emit_ir(&report.source, options, false),
            Some(Emit::Clif) => emit_ir(&report.source, options, true),
            None => true,
        };
        failed |= !emitted;
        reports.push(report);
    }
    let errors: usize = reports.iter().map(|r| r.errors()).sum();
    match args.output {
        CheckOutput::Json => failed |= !print_stdout(&format!("{}\n", report::json(&reports))),
        CheckOutput::Sarif => failed |= !print_stdout(&json_text(&crate::sarif::sarif(&reports))),
        CheckOutput::Human => {
            let mut stderr = std::io::stderr().lock();
            for r in &reports {
                let _ = stderr.write_all(report::human(r, styled).as_bytes());
            }
            let templates: usize = reports.iter().map(|r| r.templates).sum();
            let _ = writeln!(
                stderr,
                "checked {} file{}, {templates} template{}: {}",
                reports.len(),
                plural(reports.len()),
                plural(templates),
                match (errors, unread) {
                    (0, 0) => "no problems".to_owned(),
                    (0, _) => format!("{unread} file{} could not be read", plural(unread)),
                    _ => format!("{errors} error{}", plural(errors)),
                }
            );
        }
    }
    Ok(match (failed, errors) {
        (true, _) => Code::INPUT,
        (false, 0) => Code::OK,
        (false, _) => Code::FINDINGS,
    })
}

/// Prints the AST of `source`; false when stdout could not be written.
fn emit_ast(source: &str, options: &CheckOptions) -> bool {
    let lookup = |n: &str| options.functions.contains(n);
    let delims = options.delims.clone().unwrap_or_default();
    match parse(source, &ParseOptions::new("t", &lookup).delims(delims).lenient()) {
        Ok(templates) => print_stdout(&dump(&templates, source)),
        Err(_) => true,
    }
}

/// Prints the IR (or CLIF) of `source`; false when stdout could not be
/// written or the CLIF could not be made.
fn emit_ir(source: &str, options: &CheckOptions, clif: bool) -> bool {
    let compile = CompileOptions {
        functions: options.functions,
        delims: options.delims.clone().unwrap_or_default(),
        backend: Backend::Eval,
        ..CompileOptions::default()
    };
    let Ok(set) = TemplateSet::compile(source, &compile) else { return true };
    if !clif {
        return print_stdout(&set.program().to_string());
    }
    match set.clif() {
        Ok(text) => print_stdout(&text),
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}

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
pub struct TemplateDiagnostic {
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
    pub findings: Vec<TemplateDiagnostic>,
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
            diagnostics.extend(check_trim_markers(&templates, text, &delims));
            if let Some(root) = data_type {
                diagnostics.extend(check_types(&templates, name, root, functions));
            }
            diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
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
            for (span, _) in &mut diagnostic.related {
                let start = unit.offsets.to_file(span.start);
                let end = if unit.offsets.is_exact() { unit.offsets.to_file(span.end) } else { start };
                *span = Span { start, end };
            }
            report.findings.push(TemplateDiagnostic { template: unit.key.clone(), diagnostic });
        }
    }
    report.findings.sort_by_key(|f| (f.diagnostic.span.start, f.diagnostic.span.end));
    report.source = source;
    report
}

/// [`check_file`] with the data type decided for the file: an injector
/// config's templates get Istio's data of their era, and a bare template
/// what [`data_type::assume`] finds it reads, said in a note.
pub fn check_file_assuming_data(path: &str, source: String, options: &CheckOptions) -> FileReport {
    if find_templates(&source).is_some() {
        return check_file(path, source, &CheckOptions { data_type: None, ..options.clone() });
    }
    let lookup = |n: &str| options.functions.contains(n);
    let parse_options = ParseOptions::new("t", &lookup).delims(options.delims.clone().unwrap_or_default()).lenient();
    let assumed = match parse(&source, &parse_options) {
        Ok(templates) => data_type::assume(&templates, "t"),
        Err(_) => data_type::Assumed::Untyped,
    };
    let mut report = check_file(path, source, &CheckOptions { data_type: assumed.data_type(), ..options.clone() });
    report.notes.extend(assumed.note());
    report
}

/// The default function set: Istio's, since injit's templates are Istio's.
pub fn default_functions() -> FunctionSet {
    FunctionSet::new(Library::Istio)
}
