//! `injit`: compile, check and render Go sidecar templates; inject sidecars.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use injit::commands::check::{CheckOptions, check_file};
use injit::report;
use injit_compiler::{Backend, CompileOptions, FunctionSet, TemplateSet};
use injit_grammar::{Delims, ParseOptions, dump, parse};
use injit_runtime::Library;

/// Injection builds and drops many small JSON trees per pod; mimalloc
/// makes that about 30% faster than the system allocator (`cargo bench -p
/// injit-webhook --bench admit`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "injit",
    version,
    about = "A compiler for Go sidecar-injection templates, and an Istio-compatible sidecar injector"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check templates (or the templates inside injector configs) for every
    /// error Go would report, at parse time or at run time.
    Check(CheckArgs),
    /// Execute a template over data, as Go's text/template would
    Render(RenderArgs),
    /// Inject the Istio sidecar into the pod templates of Kubernetes
    /// manifests, as `istioctl kube-inject` does (Istio's default
    /// configuration unless config files are given)
    #[command(name = "kube-inject")]
    KubeInject(KubeInjectArgs),
    /// Serve the mutating admission webhook that injects the sidecar into
    /// pods as they are created (HTTPS, AdmissionReview v1 and v1beta1)
    Serve(ServeArgs),
    /// Issue a CA and a serving certificate for the webhook's Service, and
    /// print the caBundle (or a manifest with it filled in)
    Certs(CertsArgs),
    /// Check manifests against what pods in the mesh must satisfy: one
    /// Service per pod, named Service ports, app/version labels, no
    /// hostNetwork, UID 1337 or sidecar ports
    Analyze(AnalyzeArgs),
    /// Say whether the webhook would inject each pod, and which rule
    /// decided (as `istioctl x check-inject`)
    #[command(name = "check-inject")]
    CheckInject(CheckInjectArgs),
}

#[derive(clap::Args)]
struct AnalyzeArgs {
    /// Manifests: files, folders (walked for .yaml, .yml, .json) or `-`
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR", required = true)]
    filenames: Vec<String>,
    #[arg(long, value_enum, default_value = "human")]
    output: OutputArg,
    /// Exit 1 when there is a finding at least this severe
    #[arg(long = "fail-on", value_enum, default_value = "error")]
    fail_on: FailOnArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputArg {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    Error,
    Warning,
}

#[derive(clap::Args)]
struct CheckInjectArgs {
    /// Pods or workloads to check (`-` reads standard input)
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    filename: String,
    /// The labels of the namespace the pods are created in, `k=v,k2=v2`
    /// (default: those of a Namespace in the manifest, else none)
    #[arg(long = "namespace-labels")]
    namespace_labels: Option<String>,
    /// The MutatingWebhookConfiguration to evaluate (`kubectl get
    /// mutatingwebhookconfiguration NAME -o yaml`); default: Istio's
    /// registration for the revision (`-r`)
    #[arg(long = "webhook-config", value_name = "FILE")]
    webhook_config: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
    #[arg(long, value_enum, default_value = "human")]
    output: OutputArg,
}

#[derive(clap::Args)]
struct KubeInjectArgs {
    /// The manifest to inject (`-` reads standard input)
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    filename: String,
    /// Where to write the result (default: standard output); nothing is
    /// written when injection fails
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
}

/// The injector's configuration, shared by `kube-inject` and `serve`.
#[derive(clap::Args)]
struct ConfigArgs {
    /// The injector config: `kubectl get cm istio-sidecar-injector -o
    /// jsonpath='{.data.config}'`, the whole ConfigMap, or a bare template
    #[arg(long = "injectConfigFile", value_name = "FILE")]
    inject_config_file: Option<String>,
    /// The mesh config: `kubectl get cm istio -o jsonpath='{.data.mesh}'`
    /// or the whole ConfigMap
    #[arg(long = "meshConfigFile", value_name = "FILE")]
    mesh_config_file: Option<String>,
    /// The injector values: `kubectl get cm istio-sidecar-injector -o
    /// jsonpath='{.data.values}'` or the whole ConfigMap
    #[arg(long = "valuesFile", value_name = "FILE")]
    values_file: Option<String>,
    /// The control plane revision the sidecar is for
    #[arg(short = 'r', long = "revision", default_value = "")]
    revision: String,
    /// Run the proxy as a native sidecar (Kubernetes 1.33+); default from
    /// ENABLE_NATIVE_SIDECARS, else true
    #[arg(long = "native-sidecars", value_name = "BOOL")]
    native_sidecars: Option<bool>,
    /// How templates execute: native code, or the reference evaluator
    #[arg(long, value_enum, default_value = "jit")]
    backend: BackendArg,
}

impl ConfigArgs {
    fn native_sidecars(&self) -> bool {
        self.native_sidecars.unwrap_or_else(|| {
            injit::commands::kube_inject::native_sidecars_from_env(
                std::env::var("ENABLE_NATIVE_SIDECARS").ok().as_deref(),
            )
        })
    }

    /// The three config files as given (`-` is standard input).
    fn sources(&self) -> Result<injit_inject::Sources, String> {
        Ok(injit_inject::Sources {
            config: read_source(self.inject_config_file.as_deref())?,
            mesh: read_source(self.mesh_config_file.as_deref())?,
            values: read_source(self.values_file.as_deref())?,
        })
    }

    fn options(&self) -> injit_inject::Options {
        injit_inject::Options {
            revision: if self.revision == "default" { String::new() } else { self.revision.clone() },
            native_sidecars: self.native_sidecars(),
            compliance_policy: std::env::var("COMPLIANCE_POLICY").unwrap_or_default(),
            backend: self.backend.into(),
        }
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The serving certificate (PEM, with its chain); reloaded when it
    /// changes
    #[arg(long = "tls-cert", value_name = "FILE")]
    tls_cert: String,
    /// The certificate's private key (PEM)
    #[arg(long = "tls-key", value_name = "FILE")]
    tls_key: String,
    /// A directory holding `config`, and optionally `values` and `mesh`,
    /// as Istio mounts its ConfigMaps (instead of the three file flags)
    #[arg(long = "config-dir", value_name = "DIR", conflicts_with_all = ["inject_config_file", "mesh_config_file", "values_file"])]
    config_dir: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
    /// The address to listen on
    #[arg(long, default_value = "0.0.0.0")]
    address: std::net::IpAddr,
    /// The HTTPS port for admission reviews (and /ready, /healthz, /metrics)
    #[arg(long, default_value_t = 9443)]
    port: u16,
    /// A plain-HTTP port serving /metrics, /ready and /healthz
    #[arg(long = "metrics-port")]
    metrics_port: Option<u16>,
    /// When injection fails: deny the pod (Istio's behaviour), or allow it
    /// without a sidecar and with a warning
    #[arg(long = "on-error", value_enum, default_value = "deny")]
    on_error: OnErrorArg,
    /// How often the certificate and config files are checked for changes
    #[arg(long = "reload-interval", default_value = "1s", value_parser = parse_duration)]
    reload_interval: std::time::Duration,
    /// How long requests in flight get to finish on SIGTERM
    #[arg(long = "shutdown-timeout", default_value = "25s", value_parser = parse_duration)]
    shutdown_timeout: std::time::Duration,
    /// On SIGTERM, how long readiness fails while connections are still
    /// accepted (endpoints take a moment to stop routing here)
    #[arg(long = "drain-delay", default_value = "5s", value_parser = parse_duration)]
    drain_delay: std::time::Duration,
    /// How many answers to identical pods (a ReplicaSet's replicas) are
    /// kept for reuse under one config; 0 turns reuse off. Templates that
    /// read the clock or randomness are never reused.
    #[arg(long = "answer-cache", default_value_t = 256)]
    answer_cache: usize,
    /// HTTPS connections held at once. Past it, the least recently active
    /// idle connection of the client holding the most is closed for the
    /// newcomer, which is refused only when every connection is busy
    #[arg(long = "max-connections", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// HTTPS connections one client (IP address) holds at once; past it,
    /// its own least recently active idle connection is closed
    #[arg(long = "max-connections-per-client", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections_per_client: u32,
    /// MiB that request bodies and parsed reviews in flight may take, besides
    /// 16 MiB kept for bodies of 256 KiB or less; more requests wait (until
    /// their deadline, then 503). At least 7: one 6 MiB body must fit
    #[arg(long = "request-memory", value_name = "MIB", default_value_t = 96, value_parser = clap::value_parser!(u32).range(7..=65536))]
    request_memory: u32,
    /// How many injections run at once (default: one per core); more
    /// requests wait for one to finish, within their timeout
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    workers: Option<u32>,
    #[arg(long = "log-format", value_enum, default_value = "text")]
    log_format: LogFormatArg,
    /// The log level (`RUST_LOG` overrides it)
    #[arg(long = "log-level", default_value = "info")]
    log_level: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum OnErrorArg {
    Deny,
    Allow,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormatArg {
    Text,
    Json,
}

/// A Go duration (`1s`, `500ms`).
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let nanos = injit_runtime::gotime::parse_duration(text)?;
    u64::try_from(nanos).map(std::time::Duration::from_nanos).map_err(|_| format!("{text}: must not be negative"))
}

#[derive(clap::Args)]
struct CertsArgs {
    /// The webhook's Service
    #[arg(long, default_value = "injit-webhook")]
    service: String,
    /// The Service's namespace
    #[arg(long, default_value = "istio-system")]
    namespace: String,
    /// More DNS names or IP addresses for the certificate
    #[arg(long = "name", value_name = "NAME")]
    names: Vec<String>,
    /// How long the certificates are valid
    #[arg(long, default_value_t = 365)]
    days: u64,
    /// Where `ca.crt`, `tls.crt` and `tls.key` are written
    #[arg(long = "out-dir", value_name = "DIR")]
    out_dir: String,
    /// A manifest (the MutatingWebhookConfiguration) to print with every
    /// `caBundle:` filled; without it the caBundle alone is printed
    #[arg(long, value_name = "FILE")]
    manifest: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Funcs {
    /// text/template's builtins
    Go,
    /// the builtins and sprig v3.2.3
    Sprig,
    /// sprig and Istio's injection functions
    Istio,
}

impl From<Funcs> for Library {
    fn from(f: Funcs) -> Library {
        match f {
            Funcs::Go => Library::Go,
            Funcs::Sprig => Library::Sprig,
            Funcs::Istio => Library::Istio,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    /// native code compiled with Cranelift
    Jit,
    /// the reference IR evaluator
    Eval,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Backend {
        match b {
            BackendArg::Jit => Backend::Jit,
            BackendArg::Eval => Backend::Eval,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
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

#[derive(clap::Args)]
struct CheckArgs {
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
    /// How to print problems
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also print an intermediate form of each template
    #[arg(long, value_enum)]
    emit: Option<Emit>,
    /// The Go type of the data, to check field access: `sidecar` (Istio's
    /// SidecarTemplateData), `legacy` (Istio 1.0/1.1's), `none`, or a type
    /// name such as `v1.PodSpec`. Injector configs default to Istio's.
    #[arg(long, value_name = "TYPE")]
    data_type: Option<String>,
}

#[derive(clap::Args)]
struct RenderArgs {
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

fn run_render(args: RenderArgs) -> ExitCode {
    use injit::commands::render;
    if let Some(files) = args.batch {
        let input = match read_input(&files[0]) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("error: cannot read {e}");
                return ExitCode::from(3);
            }
        };
        let output = render::run_batch(&input, args.backend.into());
        let written = if files[1] == "-" {
            write_stdout(output.as_bytes())
        } else {
            std::fs::write(&files[1], output).map_err(|e| format!("{}: {e}", files[1]))
        };
        if let Err(e) = written {
            eprintln!("error: cannot write {e}");
            return ExitCode::from(3);
        }
        return ExitCode::SUCCESS;
    }
    let Some(template_path) = args.template.as_deref() else {
        eprintln!("error: a template file is required");
        return ExitCode::from(3);
    };
    let template = match read_input(template_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {e}");
            return ExitCode::from(3);
        }
    };
    let data = match args.data.as_deref().map(read_input) {
        None => injit_runtime::Data::Null,
        Some(Err(e)) => {
            eprintln!("error: cannot read {e}");
            return ExitCode::from(3);
        }
        Some(Ok(text)) => match render::read_data(args.data.as_deref().unwrap_or("-"), &text) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(3);
            }
        },
    };
    let missing_key = match injit_compiler::MissingKey::parse(&args.missingkey) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
    };
    let delims = match args.delims.as_deref().map(Delims::parse) {
        Some(None) => {
            eprintln!("error: --delims must be two delimiters separated by a space, e.g. '[[ ]]'");
            return ExitCode::from(3);
        }
        Some(Some(d)) => d,
        None => Delims::default(),
    };
    let options = injit_compiler::CompileOptions {
        name: args.name.clone(),
        delims,
        functions: FunctionSet::new(args.funcs.into()),
        missing_key,
        backend: args.backend.into(),
        call_cx: injit_runtime::funcs::CallCx { allow_env: args.allow_env, allow_network: args.allow_network },
        ..Default::default()
    };
    if let Some(n) = args.bench {
        return match render::bench(&template, &data, &options, n) {
            Ok(report) => {
                eprintln!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        };
    }
    let set = match injit_compiler::TemplateSet::compile(&template, &options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
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
    if let Err(e) = written {
        eprintln!("error: cannot write {e}");
        return ExitCode::from(1);
    }
    if result.is_err() { ExitCode::from(2) } else { ExitCode::SUCCESS }
}

fn run_kube_inject(args: KubeInjectArgs) -> ExitCode {
    use injit::commands::kube_inject::{self, KubeInjectOptions};
    let (input, sources) = match (read_source(Some(&args.filename)), args.config.sources()) {
        (Ok(input), Ok(sources)) => (input, sources),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: cannot read {e}");
            return ExitCode::from(1);
        }
    };
    let options = KubeInjectOptions { input, sources, options: args.config.options() };
    let injected = match kube_inject::run(&options) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let written = match &args.output {
        Some(path) => kube_inject::write_atomically(std::path::Path::new(path), &injected.output)
            .map_err(|e| format!("{path}: {e}")),
        None => write_stdout(injected.output.as_bytes()),
    };
    for w in &injected.warnings {
        eprintln!("{w}");
    }
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write {e}");
            ExitCode::from(1)
        }
    }
}

/// A file named in messages as given (`-` is standard input).
fn read_source(path: Option<&str>) -> Result<Option<injit_inject::ConfigSource>, String> {
    let Some(path) = path else { return Ok(None) };
    let name = if path == "-" { "<stdin>" } else { path };
    read_input(path).map(|text| Some(injit_inject::ConfigSource::new(name, text)))
}

/// Writes `bytes` to standard output and flushes it: a closed pipe
/// (`| head`) or a full disk is an error naming `<stdout>`, never a panic
/// (as `print!` gives) or output cut short with success.
fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush()).map_err(|e| format!("<stdout>: {e}"))
}

/// [`write_stdout`], with the error reported; false when it failed.
fn print_stdout(text: &str) -> bool {
    write_stdout(text.as_bytes()).map_err(|e| eprintln!("error: cannot write {e}")).is_ok()
}

fn read_input(path: &str) -> Result<String, String> {
    let (label, bytes) = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("<stdin>: {e}"))?;
        ("<stdin>", bytes)
    } else {
        (path, std::fs::read(path).map_err(|e| format!("{path}: {e}"))?)
    };
    text_of(label, bytes)
}

/// `bytes` as text; where they are not UTF-8, an error with the line and
/// byte offset of the first bad byte.
fn text_of(label: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("{label}:{line}: not UTF-8 text (byte {at} is 0x{:02x})", e.as_bytes()[at])
    })
}

fn run_check(args: CheckArgs) -> ExitCode {
    let delims = match args.delims.as_deref().map(Delims::parse) {
        Some(None) => {
            eprintln!("error: --delims must be two delimiters separated by a space, e.g. '[[ ]]'");
            return ExitCode::from(2);
        }
        Some(Some(d)) => Some(d),
        None => None,
    };
    let data_type = match args.data_type.as_deref() {
        None | Some("none") => None,
        Some("sidecar") => injit_runtime::types::GoType::named("inject.SidecarTemplateData"),
        Some("legacy") => injit_runtime::types::GoType::named("inject.LegacySidecarTemplateData"),
        Some(name) => match injit_runtime::types::GoType::parse(name) {
            Some(t) => Some(t),
            None => {
                eprintln!("error: unknown data type {name:?} (try sidecar, legacy, or a type such as v1.PodSpec)");
                return ExitCode::from(2);
            }
        },
    };
    let options = CheckOptions { functions: FunctionSet::new(args.funcs.into()), delims, data_type };
    let styled = std::io::stderr().is_terminal();
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
        let label = if path == "-" { "<stdin>" } else { path.as_str() };
        let report = check_file(label, source, &options);
        let emitted = match args.emit {
            Some(Emit::Ast) => emit_ast(&report.source, &options),
            Some(Emit::Ir) => emit_ir(&report.source, &options, false),
            Some(Emit::Clif) => emit_ir(&report.source, &options, true),
            None => true,
        };
        failed |= !emitted;
        reports.push(report);
    }
    let errors: usize = reports.iter().map(|r| r.errors()).sum();
    match args.format {
        Format::Json => failed |= !print_stdout(&format!("{}\n", report::json(&reports))),
        Format::Human => {
            let mut stderr = std::io::stderr().lock();
            for r in &reports {
                let _ = stderr.write_all(report::human(r, styled).as_bytes());
            }
            let templates: usize = reports.iter().map(|r| r.templates).sum();
            let _ = writeln!(
                stderr,
                "checked {} file{}, {templates} template{}: {}",
                reports.len(),
                if reports.len() == 1 { "" } else { "s" },
                if templates == 1 { "" } else { "s" },
                match (errors, unread) {
                    (0, 0) => "no problems".to_owned(),
                    (0, _) => format!("{unread} file{} could not be read", if unread == 1 { "" } else { "s" }),
                    _ => format!("{errors} error{}", if errors == 1 { "" } else { "s" }),
                }
            );
        }
    }
    if failed || errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        // `check` parses and analyses templates itself, recursing once per
        // nesting level, as compiling does: it gets the same stack.
        Command::Check(args) => stacker::grow(injit_grammar::COMPILE_STACK_BYTES, || run_check(args)),
        Command::Render(args) => run_render(args),
        Command::KubeInject(args) => run_kube_inject(args),
        Command::Serve(args) => run_serve(args),
        Command::Certs(args) => run_certs(args),
        Command::Analyze(args) => run_analyze(args),
        Command::CheckInject(args) => run_check_inject(args),
    }
}

fn run_analyze(args: AnalyzeArgs) -> ExitCode {
    use injit::commands::analyze;
    let manifests =
        analyze::collect_files(&args.filenames).and_then(|files| analyze::read_manifests(&files, read_input));
    let manifests = match manifests {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let findings = analyze::run(&manifests);
    let text = match args.output {
        OutputArg::Human => analyze::human(&findings, manifests.iter().map(|m| m.objects.len()).sum()),
        OutputArg::Json => json_text(&analyze::json(&findings)),
    };
    if !print_stdout(&text) {
        return ExitCode::from(2);
    }
    let (errors, warnings) = analyze::counts(&findings);
    let failing = match args.fail_on {
        FailOnArg::Error => errors,
        FailOnArg::Warning => errors + warnings,
    };
    if failing > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn run_check_inject(args: CheckInjectArgs) -> ExitCode {
    use injit::commands::check_inject;
    use injit_inject::check_inject::Webhooks;
    let fail = |e: String| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    };
    let labels = match args.namespace_labels.as_deref().map(check_inject::parse_labels).transpose() {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let webhooks = match &args.webhook_config {
        None => Webhooks::istio_revision(&args.config.revision),
        Some(path) => {
            let parsed = read_input(path).and_then(|text| {
                let objects =
                    injit_inject::manifest::objects(&text).map_err(|e| format!("{path}:{}: {}", e.line, e.message))?;
                let values: Vec<_> = objects.into_iter().map(|o| o.value).collect();
                Webhooks::from_configurations(&values).map_err(|e| format!("{path}: {e}"))
            });
            match parsed {
                Ok(w) => w,
                Err(e) => return fail(e),
            }
        }
    };
    let sources = match args.config.sources() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let injector = match sources.build_checked(args.config.options(), injit_inject::Caller::Webhook) {
        Ok(i) => i,
        Err(e) => return fail(e.to_string()),
    };
    for warning in injector.config().invalid_selectors() {
        eprintln!("warning: {}: {warning}", injector.config().file);
    }
    let text = match read_input(&args.filename) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let source = if args.filename == "-" { "<stdin>" } else { args.filename.as_str() };
    match check_inject::run(&injector, &webhooks, labels.as_deref(), source, &text) {
        Ok(rows) => {
            let text = match args.output {
                OutputArg::Human => check_inject::human(&rows),
                OutputArg::Json => json_text(&check_inject::json(&rows)),
            };
            if print_stdout(&text) { ExitCode::SUCCESS } else { ExitCode::from(2) }
        }
        Err(e) => fail(e),
    }
}

/// A report as indented JSON and a newline.
fn json_text(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a serde_json::Value always serializes");
    text.push('\n');
    text
}

fn run_serve(args: ServeArgs) -> ExitCode {
    use injit::commands::serve::{self, LogFormat};
    use injit_webhook::{CertFiles, ConfigFiles, OnError, Settings};
    serve::init_logging(
        match args.log_format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        },
        &args.log_level,
    );
    let certs = CertFiles { cert: args.tls_cert.into(), key: args.tls_key.into() };
    let config = match (&args.config_dir, &args.config) {
        (Some(dir), _) => ConfigFiles::Dir(dir.into()),
        (None, ConfigArgs { inject_config_file: None, mesh_config_file: None, values_file: None, .. }) => {
            ConfigFiles::Defaults
        }
        (None, c) => ConfigFiles::Files {
            config: c.inject_config_file.as_ref().map(Into::into),
            mesh: c.mesh_config_file.as_ref().map(Into::into),
            values: c.values_file.as_ref().map(Into::into),
        },
    };
    let mut settings = Settings::new(certs);
    settings.address = args.address;
    settings.port = args.port;
    settings.monitoring_port = args.metrics_port;
    settings.config = config;
    settings.options = args.config.options();
    settings.on_error = match args.on_error {
        OnErrorArg::Deny => OnError::Deny,
        OnErrorArg::Allow => OnError::Allow,
    };
    settings.reload_interval = args.reload_interval.max(std::time::Duration::from_millis(50));
    settings.shutdown_timeout = args.shutdown_timeout;
    settings.drain_delay = args.drain_delay;
    settings.answer_cache = args.answer_cache;
    settings.max_connections = args.max_connections as usize;
    settings.max_connections_per_client = args.max_connections_per_client as usize;
    settings.request_memory = (args.request_memory as usize) << 20;
    settings.workers = args.workers.map(|w| w as usize);
    serve::run(settings)
}

fn run_certs(args: CertsArgs) -> ExitCode {
    use injit::commands::certs::{self, CertsOptions};
    let options = CertsOptions {
        service: args.service,
        namespace: args.namespace,
        extra_names: args.names,
        days: args.days,
        out_dir: args.out_dir,
        manifest: args.manifest,
    };
    match certs::run(&options) {
        Ok(text) if print_stdout(&text) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
