//! `injit render`: execute a template over data, one case at a time or
//! (built with the `kit` feature) in the conformance kit's batch format.

use std::time::Instant;

use injit_compiler::{CompileOptions, FunctionSet, MissingKey, TemplateSet};
use injit_runtime::{Data, NumberMode};

use injit_runtime::encoding::json::check::check_strict;
use injit_runtime::types::GoType;

use super::render_pod::PodInjection;
use crate::args::{BackendArg, ConfigArgs, Funcs, parse_delims};
use crate::exit::{Code, CommandResult, Failure};
use crate::io::{read_input, write_stdout};

#[derive(clap::Args)]
#[command(after_help = crate::exit::RENDER)]
pub struct Args {
    /// The template file (`-` reads standard input)
    #[arg(required_unless_present_any = ["batch", "pod"])]
    template: Option<String>,
    /// The data, JSON or YAML (`-` reads standard input); none means nil
    /// data
    #[arg(conflicts_with = "pod")]
    data: Option<String>,
    /// The data's Go type: `sidecar` (Istio's SidecarTemplateData, as
    /// `--pod` prints it), `legacy` (Istio 1.0/1.1's), `none` (plain JSON
    /// values, the default), or a type name such as `v1.PodSpec`
    #[arg(long, value_name = "TYPE")]
    data_type: Option<String>,
    /// Render for this manifest's pod: the data injection gives it (as
    /// JSON, without TEMPLATE), or TEMPLATE over that data; the config
    /// files given, else Istio's embedded defaults
    #[arg(long, value_name = "MANIFEST")]
    pod: Option<String>,
    /// With --pod: the object to render for, NAME or KIND/NAME (default:
    /// the first with a pod template)
    #[arg(long, value_name = "NAME", requires = "pod")]
    object: Option<String>,
    /// With --pod: print the text each of the config's templates renders
    /// for the pod, before it is read as YAML
    #[arg(long, requires = "pod", conflicts_with = "template")]
    show_rendered: bool,
    #[command(flatten)]
    config: ConfigArgs,
    /// The functions the template may call
    #[arg(long, value_enum, default_value = "istio")]
    funcs: Funcs,
    /// What a missing map key gives: default, invalid, zero or error
    #[arg(long, default_value = "default")]
    missingkey: String,
    /// Action delimiters, as 'LEFT RIGHT'
    #[arg(long)]
    delims: Option<String>,
    /// The template's name (it appears in error messages)
    #[arg(long, default_value = "t")]
    name: String,
    /// Execute this template of the set instead of the main one
    #[arg(long)]
    exec: Option<String>,
    /// Run the conformance kit's batch format: IN.jsonl OUT.jsonl
    #[arg(long, num_args = 2, value_names = ["IN", "OUT"], conflicts_with_all = ["template", "data"])]
    batch: Option<Vec<String>>,
    /// Parse once and execute N times; print timings to stderr
    #[arg(long, value_name = "N")]
    bench: Option<usize>,
    /// Let `env` and `expandenv` read the environment, as they do in Go
    /// (off by default, as in the injector: they see an empty one)
    #[arg(long)]
    allow_env: bool,
    /// Let `getHostByName` resolve names (off by default: it gives "")
    #[arg(long)]
    allow_network: bool,
}

/// Bad input: the template or data could not be read or decoded, or the
/// output could not be written.
fn bad_input(message: String) -> Failure {
    Failure::new(Code::INPUT, message)
}

/// An option clap cannot judge was unusable.
fn usage(message: String) -> Failure {
    Failure::new(Code::USAGE, message)
}

/// Go's text, then (for an `unexpected EOF` or `unclosed action`) a note
/// naming what was left open, which Go's text does not say.
fn parse_error(e: &injit_grammar::ParseError, source: &str) -> String {
    match e.unclosed() {
        Some((opener, keyword)) => {
            let (line, column) = injit_grammar::LineIndex::new(source).line_col(opener.start);
            match keyword {
                "action" => format!("{e}\nnote: the action at {line}:{column} is never closed"),
                _ => format!("{e}\nnote: the `{keyword}` at {line}:{column} is never closed by an `end`"),
            }
        }
        None => e.to_string(),
    }
}

fn sidecar_data_type() -> Option<GoType> {
    GoType::named("inject.SidecarTemplateData")
}

/// `--data-type`'s names, or a Go type.
fn parse_data_type(name: &str) -> Result<GoType, Failure> {
    let named = match name {
        "sidecar" => sidecar_data_type(),
        "legacy" => GoType::named("inject.LegacySidecarTemplateData"),
        other => GoType::parse(other),
    };
    named.ok_or_else(|| {
        usage(format!("error: unknown data type {name:?} (try sidecar, legacy, none, or a type such as v1.PodSpec)"))
    })
}

/// Renders the template to standard output, Go's error text to standard
/// error.
pub fn run(args: Args) -> CommandResult {
    if let Some(files) = &args.batch {
        return batch(&files[0], &files[1], args.config.backend);
    }
    let given = [&args.config.inject_config_file, &args.config.mesh_config_file, &args.config.values_file];
    if args.pod.is_none() && given.iter().any(|f| f.is_some()) {
        return Err(usage("error: the config files are read only with --pod MANIFEST".into()));
    }
    let pod = args.pod.as_deref().map(|m| PodInjection::read(m, args.object.as_deref(), &args.config)).transpose()?;
    if let Some(pod) = &pod
        && args.template.is_none()
    {
        let text = if args.show_rendered { pod.rendered()? } else { pod.data_json()? };
        write_stdout(text.as_bytes()).map_err(|e| bad_input(format!("error: cannot write {e}")))?;
        return Ok(Code::OK);
    }
    let data_type = match (args.data_type.as_deref(), &pod) {
        (None, Some(_)) => sidecar_data_type(),
        (None | Some("none"), None) => None,
        (Some("none"), Some(_)) => {
            return Err(usage("error: --pod gives typed data: --data-type none does not apply".into()));
        }
        (Some(name), _) => Some(parse_data_type(name)?),
    };
    let template_path = args.template.as_deref().ok_or_else(|| usage("error: a template file is required".into()))?;
    let template = read_input(template_path).map_err(|e| bad_input(format!("error: cannot read {e}")))?;
    let data = match (args.data.as_deref(), &pod) {
        (_, Some(pod)) => pod.data()?,
        (None, None) => Data::Null,
        (Some(path), None) => {
            let text = read_input(path).map_err(|e| bad_input(format!("error: cannot read {e}")))?;
            let data = read_data(path, &text).map_err(|e| bad_input(format!("error: {e}")))?;
            // Typed data is decoded as Go's encoding/json decodes it into
            // the type: a field the type lacks is an error, not ignored.
            if let Some(t) = data_type {
                check_strict(t, &data).map_err(|e| bad_input(format!("error: {path}: as {}: {e}", t.name())))?;
            }
            data
        }
    };
    let missing_key = MissingKey::parse(&args.missingkey).map_err(|e| usage(format!("error: {e}")))?;
    let delims = parse_delims(args.delims.as_deref()).map_err(usage)?.unwrap_or_default();
    let options = CompileOptions {
        name: args.name.clone(),
        delims,
        functions: FunctionSet::new(args.funcs.into()),
        missing_key,
        backend: args.config.backend.into(),
        data_type,
        call_cx: injit_runtime::funcs::CallCx { allow_env: args.allow_env, allow_network: args.allow_network },
        ..Default::default()
    };
    if let Some(n) = args.bench {
        let report = bench(&template, &data, &options, n).map_err(|e| Failure::new(Code::FAILED, e))?;
        eprintln!("{report}");
        return Ok(Code::OK);
    }
    let set = TemplateSet::compile(&template, &options)
        .map_err(|e| Failure::new(Code::FAILED, parse_error(&e, &template)))?;
    if let Some(e) = set.jit_error() {
        eprintln!("warning: {e}; using the evaluator");
    }
    let mut out = Vec::new();
    let result = match &args.exec {
        Some(name) => set.render_template(name, &data, &mut out),
        None => set.render(&data, &mut out),
    };
    let written = write_stdout(&out);
    if let Err(e) = &result {
        eprintln!("{e}");
    }
    written.map_err(|e| bad_input(format!("error: cannot write {e}")))?;
    Ok(if result.is_err() { Code::FAILED } else { Code::OK })
}

/// `--batch IN OUT`: one case per input line, one result per output line
/// (`-` is standard input or output).
#[cfg(feature = "kit")]
fn batch(input: &str, output: &str, backend: BackendArg) -> CommandResult {
    let input = read_input(input).map_err(|e| bad_input(format!("error: cannot read {e}")))?;
    let results = injit_testkit::batch::run_batch(&input, backend.into());
    let written = if output == "-" {
        write_stdout(results.as_bytes())
    } else {
        std::fs::write(output, results).map_err(|e| format!("{output}: {e}"))
    };
    written.map(|()| Code::OK).map_err(|e| bad_input(format!("error: cannot write {e}")))
}

/// `--batch` in a build without the conformance kit.
#[cfg(not(feature = "kit"))]
fn batch(_: &str, _: &str, _: BackendArg) -> CommandResult {
    Err(usage(
        "error: --batch needs the conformance kit, which this build leaves out: build injit with `--features kit`"
            .into(),
    ))
}

/// What `--bench` measured.
pub struct BenchReport {
    pub parse_ns: u128,
    pub exec_ns: u128,
    pub output_bytes: usize,
    pub iterations: usize,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "parse_ns_per_op={} exec_ns_per_op={} output_bytes={} iterations={}",
            self.parse_ns, self.exec_ns, self.output_bytes, self.iterations
        )
    }
}

/// Parses `n / 10 + 1` times and executes `n` times into a reused buffer,
/// as the kit's oracle does with `--bench`.
pub fn bench(template: &str, data: &Data, options: &CompileOptions, n: usize) -> Result<BenchReport, String> {
    let parses = n / 10 + 1;
    let start = Instant::now();
    let mut set = None;
    for _ in 0..parses {
        set = Some(TemplateSet::compile(template, options).map_err(|e| e.to_string())?);
    }
    let parse_ns = start.elapsed().as_nanos() / parses as u128;
    let set = set.ok_or("nothing parsed")?;
    let mut out = Vec::new();
    let start = Instant::now();
    for _ in 0..n {
        out.clear();
        set.render(data, &mut out).map_err(|e| e.to_string())?;
    }
    let exec_ns = start.elapsed().as_nanos() / n.max(1) as u128;
    Ok(BenchReport { parse_ns, exec_ns, output_bytes: out.len(), iterations: n })
}

/// Reads template data from a file's text: YAML for `.yaml`/`.yml` files,
/// JSON for `.json` files, otherwise JSON when it parses as JSON and YAML
/// when it does not (YAML is a superset, but a JSON document is read with
/// Go's JSON rules). Errors name the file and line.
pub fn read_data(label: &str, text: &str) -> Result<Data, String> {
    let lower = label.to_ascii_lowercase();
    let yaml =
        |text: &str| injit_inject::yaml::document(text, NumberMode::Float).map_err(|e| format!("{label}: YAML {e}"));
    let json = |text: &str| {
        Data::from_json(text.as_bytes(), NumberMode::Float).map_err(|e| {
            let line = text.as_bytes()[..e.offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1;
            format!("{label}:{line}: JSON {e}")
        })
    };
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return yaml(text);
    }
    if lower.ends_with(".json") {
        return json(text);
    }
    match json(text) {
        Ok(data) => Ok(data),
        // Not JSON-shaped at all: read it as YAML.
        Err(_) if !text.trim_start().starts_with(['{', '[']) => yaml(text),
        Err(e) => Err(e),
    }
}
