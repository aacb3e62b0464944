//! `injit render`: execute a template over data, one case at a time or
//! (built with the `kit` feature) in the conformance kit's batch format.

use std::time::Instant;

use injit_compiler::{CompileOptions, FunctionSet, MissingKey, TemplateSet};
use injit_runtime::{Data, NumberMode};

use crate::args::{BackendArg, Funcs, parse_delims};
use crate::exit::{Code, CommandResult, Failure};
use crate::io::{read_input, write_stdout};

#[derive(clap::Args)]
#[command(after_help = crate::exit::RENDER)]
pub struct Args {
    /// The template file (`-` reads standard input)
    #[arg(required_unless_present = "batch")]
    template: Option<String>,
    /// The data, JSON (`-` reads standard input); none means nil data
    data: Option<String>,
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
    /// How to execute: native code, or the reference evaluator
    #[arg(long, value_enum, default_value = "jit")]
    backend: BackendArg,
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

/// Renders the template to standard output, Go's error text to standard
/// error.
pub fn run(args: Args) -> CommandResult {
    if let Some(files) = &args.batch {
        return batch(&files[0], &files[1], args.backend);
    }
    let template_path = args.template.as_deref().ok_or_else(|| usage("error: a template file is required".into()))?;
    let template = read_input(template_path).map_err(|e| bad_input(format!("error: cannot read {e}")))?;
    let data = match args.data.as_deref() {
        None => Data::Null,
        Some(path) => {
            let text = read_input(path).map_err(|e| bad_input(format!("error: cannot read {e}")))?;
            read_data(path, &text).map_err(|e| bad_input(format!("error: {e}")))?
        }
    };
    let missing_key = MissingKey::parse(&args.missingkey).map_err(|e| usage(format!("error: {e}")))?;
    let delims = parse_delims(args.delims.as_deref()).map_err(usage)?.unwrap_or_default();
    let options = CompileOptions {
        name: args.name.clone(),
        delims,
        functions: FunctionSet::new(args.funcs.into()),
        missing_key,
        backend: args.backend.into(),
        call_cx: injit_runtime::funcs::CallCx { allow_env: args.allow_env, allow_network: args.allow_network },
        ..Default::default()
    };
    if let Some(n) = args.bench {
        let report = bench(&template, &data, &options, n).map_err(|e| Failure::new(Code::FAILED, e))?;
        eprintln!("{report}");
        return Ok(Code::OK);
    }
    let set = TemplateSet::compile(&template, &options).map_err(|e| Failure::new(Code::FAILED, e.to_string()))?;
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
