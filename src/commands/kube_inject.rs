//! `injit kube-inject`: manual sidecar injection, as `istioctl kube-inject`.

use std::path::Path;

use injit_inject::{
    Caller, ClusterState, ConfigSource, Error, ErrorKind, Injected, Options, Sources, kube_inject_observed,
};

use crate::args::{ClusterArgs, ConfigArgs};
use crate::exit::{Code, CommandResult, Failure};
use crate::io::{read_source, write_stdout};
use crate::progress::Progress;

#[derive(clap::Args)]
#[command(after_help = crate::exit::KUBE_INJECT)]
pub struct Args {
    /// The manifest to inject (`-` reads standard input)
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    filename: String,
    /// Where to write the result (default: standard output); nothing is
    /// written when injection fails
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// A progress line on stderr when injecting takes over a second: on a
    /// terminal (auto), always, or never
    #[arg(long, value_enum, default_value = "auto")]
    progress: crate::progress::When,
    /// Instead of injecting, print the data each pod template's templates
    /// get (`SidecarTemplateData`, with the cluster's state when one is
    /// read), as a JSON object keyed by object; `render --data-type
    /// sidecar` reads each value back
    #[arg(long)]
    dump_data: bool,
}

/// Injects the manifest and writes the result; skip warnings go to
/// standard error. The configuration pieces not given as files come from
/// the cluster (`crate::cluster`).
pub fn run(args: Args) -> CommandResult {
    let input = |e: String| Failure::new(Code::INPUT, e);
    let cluster = |e: String| Failure::new(Code::CLUSTER, format!("error: {e}"));
    let (manifest, sources) = match (read_source(Some(&args.filename)), args.config.sources()) {
        (Ok(manifest), Ok(sources)) => (manifest, sources),
        (Err(e), _) | (_, Err(e)) => return Err(input(format!("error: cannot read {e}"))),
    };
    let options = args.config.options();
    let resolved = crate::cluster::resolve(sources, &args.cluster, &options.revision).map_err(cluster)?;
    if let Some(note) = &resolved.note {
        eprintln!("{note}");
    }
    let options = KubeInjectOptions { input: manifest, sources: resolved.sources, options };
    // A config that fails on the reference pods is a broken input.
    let injector = options
        .sources
        .build_checked(options.options.clone(), Caller::KubeInject)
        .map_err(|e| input(format!("error: {e}")))?;
    // With a cluster, each pod gets what the webhook would give it there:
    // the ProxyConfig resources, its Namespace, the Nodes.
    let state = match &resolved.cluster {
        Some(session) => {
            let root = injector.mesh().get("rootNamespace").and_then(serde_json::Value::as_str);
            let root = root.unwrap_or(&args.cluster.istio_namespace).to_owned();
            let namespaces = manifest_namespaces(options.input.as_ref().map_or("", |s| s.text.as_str()));
            let namespaces: Vec<&str> = namespaces.iter().map(String::as_str).collect();
            let objects = session.injection_objects(&root, &namespaces).map_err(cluster)?;
            let refused = |e: injit_inject::ClusterError| eprintln!("warning: left out: {e}");
            Some(crate::cluster::cluster_state(&objects.proxy_configs, &objects.namespaces, &objects.nodes, refused))
        }
        None => None,
    };
    if args.dump_data {
        let text = options.input.as_ref().map_or("", |s| s.text.as_str());
        let json = dump_data(&injector, state.as_ref(), text).map_err(|e| input(format!("error: {e}")))?;
        return write_stdout(json.as_bytes()).map(|()| Code::OK).map_err(|e| input(format!("error: cannot write {e}")));
    }
    let progress = Progress::stderr("kube-inject", "documents", 0, args.progress);
    let injected = inject(&injector, state.as_ref(), &options, &progress);
    progress.finish();
    let injected = injected.map_err(injection_failure)?;
    let written = match &args.output {
        Some(path) => write_atomically(Path::new(path), &injected.output).map_err(|e| format!("{path}: {e}")),
        None => write_stdout(injected.output.as_bytes()),
    };
    for w in &injected.warnings {
        eprintln!("{w}");
    }
    written.map(|()| Code::OK).map_err(|e| input(format!("error: cannot write {e}")))
}

/// The exit code of a failed injection: the inputs' fault (a manifest or
/// config that cannot be read or used) is 3, a pod that could not be
/// injected 1.
fn injection_failure(e: Error) -> Failure {
    let code = match e.kind() {
        ErrorKind::Input | ErrorKind::Config | ErrorKind::TemplateSyntax => Code::INPUT,
        ErrorKind::TemplateExec
        | ErrorKind::InvalidAnnotation
        | ErrorKind::UntrustedString
        | ErrorKind::RenderedYaml
        | ErrorKind::Deadline => Code::FAILED,
    };
    Failure::new(code, format!("error: {e}"))
}

/// Each pod template's `SidecarTemplateData`, as an indented JSON object
/// keyed `KIND NAMESPACE/NAME`.
fn dump_data(injector: &injit_inject::Injector, cluster: Option<&ClusterState>, text: &str) -> Result<String, String> {
    use super::render_pod::{indented_json, workload};
    let objects = injit_inject::manifest::objects(text).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let mut entries = Vec::new();
    for object in &objects {
        let Some(pod) = injit_inject::manifest::pod_of(object) else { continue };
        let workload = workload(object);
        let name = format!("{} {}/{}", object.kind(), object.namespace(), object.name());
        let mut request = injit_inject::Request::new(&workload, &pod, Caller::KubeInject);
        if let Some(cluster) = cluster {
            request = request.cluster(cluster);
        }
        let data = injector.template_data(&request).map_err(|e| format!("{name}: {e}"))?;
        let json = indented_json(&data).map_err(|e| format!("{name}: {e}"))?.replace('\n', "\n  ");
        entries.push(format!("  {}: {json}", serde_json::Value::from(name)));
    }
    Ok(format!("{{\n{}\n}}\n", entries.join(",\n")))
}

/// What the command was given.
#[derive(Clone, Debug, Default)]
pub struct KubeInjectOptions {
    /// The manifest's name (for messages) and text.
    pub input: Option<ConfigSource>,
    pub sources: Sources,
    pub options: Options,
}

/// Injects the manifest with `injector` and what is known of the
/// cluster: the output text and the warnings (a template that runs on the
/// evaluator because native code could not be generated for it, then the
/// skips).
fn inject(
    injector: &injit_inject::Injector,
    cluster: Option<&ClusterState>,
    options: &KubeInjectOptions,
    progress: &Progress,
) -> Result<Injected, Error> {
    let input = options.input.as_ref().map_or(("<stdin>", ""), |s| (s.name.as_str(), s.text.as_str()));
    let mut on_document = |done, total| progress.set(done, total);
    let mut injected = kube_inject_observed(injector, cluster, input.0, input.1, &mut on_document)?;
    let fallbacks =
        injector.fallbacks().map(|(template, e)| format!("warning: template {template:?}: {e}; using the evaluator"));
    injected.warnings.splice(0..0, fallbacks);
    Ok(injected)
}

/// The namespaces the manifest's objects are in (`default` for those that
/// name none, as `kubectl apply` places them), for the cluster reads; a
/// manifest that does not parse names none (injection reports why).
fn manifest_namespaces(text: &str) -> Vec<String> {
    let mut namespaces: Vec<String> = injit_inject::manifest::objects(text)
        .map(|objects| objects.iter().map(|o| o.namespace().to_owned()).collect())
        .unwrap_or_default();
    namespaces.sort();
    namespaces.dedup();
    namespaces
}

/// Writes `text` to `path` whole or not at all: a temporary file next to
/// it, renamed over it.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.injit-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
