//! `injit check-inject`: would the webhook inject these pods, and why;
//! the pods of a manifest here, those of a cluster in `check_inject_live`.

use injit_inject::Injector;
use injit_inject::check_inject::{Answer, Webhooks, check};
use injit_inject::decision::Rules;
use injit_inject::json_pointer::Pointer;
use injit_inject::manifest::{ManifestObject, objects, pod_of};
use serde_json::{Value, json};

use super::check_inject_live as live;
use crate::args::{ClusterArgs, ConfigArgs, OutputArg};
use crate::exit::{Code, CommandResult, Failure};
use crate::io::{json_text, label, print_stdout, read_input};

#[derive(clap::Args)]
#[command(after_help = crate::exit::CHECK_INJECT)]
pub struct Args {
    /// In a cluster: `pod/NAME`, `deploy/NAME` (or `deployment/NAME`), or a
    /// pod's name; checked against every injector registered there
    #[arg(value_name = "TARGET", conflicts_with_all = ["filename", "selector", "offline"])]
    target: Option<String>,
    /// Pods or workloads to check (`-` reads standard input)
    #[arg(short = 'f', long = "filename", value_name = "FILE", required_unless_present_any = ["target", "selector"],
          conflicts_with_all = ["selector", "namespace", "istio_namespace", "mesh_config_map_name",
                                "inject_config_map_name", "kubeconfig", "context"])]
    filename: Option<String>,
    /// In a cluster: the namespace of TARGET or of -l's pods (default: the
    /// kubeconfig context's, else `default`)
    #[arg(short = 'n', long = "namespace", value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// In a cluster: check every pod of the namespace whose labels match
    /// SELECTOR (`app=x,tier!=db`)
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR", conflicts_with = "offline")]
    selector: Option<String>,
    /// The labels of the namespace the pods are created in, `k=v,k2=v2`
    /// (default: those of a Namespace in the manifest, else none)
    #[arg(long = "namespace-labels", requires = "filename")]
    namespace_labels: Option<String>,
    /// The MutatingWebhookConfiguration to evaluate (`kubectl get
    /// mutatingwebhookconfiguration NAME -o yaml`); default: Istio's
    /// registration for the revision (`-r`)
    #[arg(long = "webhook-config", value_name = "FILE", requires = "filename")]
    webhook_config: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
    /// With TARGET or -l: where the injector's configuration is (each
    /// registration's revision's ConfigMaps, unless files are given)
    #[command(flatten)]
    cluster: ClusterArgs,
    #[arg(short = 'o', long, value_enum, default_value = "human")]
    output: OutputArg,
}

/// Builds the injector and the webhook registration, and prints each
/// pod's answer.
pub fn run(args: Args) -> CommandResult {
    let fail = |e: String| Failure::new(Code::INPUT, format!("error: {e}"));
    let Some(filename) = &args.filename else { return run_live(&args) };
    let usage = |e: String| Failure::new(Code::USAGE, format!("error: {e}"));
    let labels = args.namespace_labels.as_deref().map(parse_labels).transpose().map_err(usage)?;
    let webhooks = match &args.webhook_config {
        None => Webhooks::istio_revision(&args.config.revision),
        Some(path) => read_input(path)
            .and_then(|text| {
                let objects = objects(&text).map_err(|e| format!("{path}:{}: {}", e.line, e.message))?;
                let values: Vec<_> = objects.into_iter().map(|o| o.value).collect();
                Webhooks::from_configurations(&values).map_err(|e| format!("{path}: {e}"))
            })
            .map_err(fail)?,
    };
    let sources = args.config.sources().map_err(fail)?;
    let injector =
        sources.build_checked(args.config.options(), injit_inject::Caller::Webhook).map_err(|e| fail(e.to_string()))?;
    for warning in injector.config().invalid_selectors() {
        eprintln!("warning: {}: {warning}", injector.config().file);
    }
    let text = read_input(filename).map_err(fail)?;
    let rows = rows(&injector, &webhooks, labels.as_deref(), label(filename), &text).map_err(fail)?;
    let text = match args.output {
        OutputArg::Human => human(&rows),
        OutputArg::Json => json_text(&json(&rows)),
    };
    if print_stdout(&text) { Ok(Code::OK) } else { Err(Failure::reported(Code::INPUT)) }
}

/// TARGET or `-l` against the cluster (`check_inject_live`).
fn run_live(args: &Args) -> CommandResult {
    let usage = |e: String| Failure::new(Code::USAGE, format!("error: {e}"));
    let target = match (&args.target, &args.selector) {
        (Some(target), _) => live::Target::parse(target).map_err(usage)?,
        (None, Some(selector)) => live::Target::Selector(selector.clone()),
        (None, None) => return Err(usage("give -f FILE, a TARGET (pod/NAME, deploy/NAME) or -l SELECTOR".to_owned())),
    };
    let rows = live::rows(&target, args.namespace.as_deref(), &args.cluster, &args.config)?;
    let text = match args.output {
        OutputArg::Human => live::human(&rows),
        OutputArg::Json => json_text(&live::json(&rows)),
    };
    if print_stdout(&text) { Ok(Code::OK) } else { Err(Failure::reported(Code::INPUT)) }
}

/// One pod's answer, named.
pub struct Row {
    pub pod: String,
    pub answer: Answer,
}

/// `k=v,k2=v2` as labels.
pub fn parse_labels(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(format!("--namespace-labels: {pair:?} is not key=value")),
        })
        .collect()
}

/// Checks every pod template of `text` (named `source`). A `Namespace`
/// in the manifest gives its pods its labels, unless `namespace_labels`
/// (the command line's) are given.
pub fn rows(
    injector: &Injector,
    webhooks: &Webhooks,
    namespace_labels: Option<&[(String, String)]>,
    source: &str,
    text: &str,
) -> Result<Vec<Row>, String> {
    let rules = Rules::of(injector.config());
    let objects = objects(text).map_err(|e| format!("{source}:{}: {}", e.line, e.message))?;
    let declared = |namespace: &str| -> Vec<(String, String)> {
        let labels = objects
            .iter()
            .find(|o| o.kind() == "Namespace" && o.name() == namespace)
            .and_then(|o| o.value.at("/metadata/labels")?.as_object().cloned())
            .unwrap_or_default();
        labels.into_iter().filter_map(|(k, v)| Some((k, v.as_str()?.to_owned()))).collect()
    };
    let rows: Vec<Row> = objects
        .iter()
        .filter_map(|object| {
            let pod = pod_of(object)?;
            let labels = match namespace_labels {
                Some(given) => given.to_vec(),
                None => declared(object.namespace()),
            };
            Some(Row { pod: name(object), answer: check(webhooks, &labels, &rules, &pod) })
        })
        .collect();
    if rows.is_empty() {
        return Err(format!("{source}: no pod or pod template in it"));
    }
    Ok(rows)
}

fn name(object: &ManifestObject) -> String {
    format!("{} {}/{}", object.kind(), object.namespace(), object.name())
}

/// A table like `istioctl x check-inject`'s.
pub fn human(rows: &[Row]) -> String {
    let header = ["POD", "WEBHOOK", "INJECTED", "REASON"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.pod.clone(),
                r.answer.webhook.clone().unwrap_or_else(|| "-".to_owned()),
                if r.answer.inject { "yes" } else { "no" }.to_owned(),
                r.answer.reason.clone(),
            ]
        })
        .collect();
    let width = |i: usize| cells.iter().map(|c| c[i].len()).chain([header[i].len()]).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2)];
    let line = |c: [&str; 4]| {
        format!("{:w0$}  {:w1$}  {:w2$}  {}\n", c[0], c[1], c[2], c[3], w0 = widths[0], w1 = widths[1], w2 = widths[2])
    };
    let mut out = line(header);
    for c in &cells {
        out.push_str(&line([&c[0], &c[1], &c[2], &c[3]]));
    }
    out
}

pub fn json(rows: &[Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| json!({"pod": r.pod, "webhook": r.answer.webhook, "injected": r.answer.inject, "reason": r.answer.reason}))
            .collect(),
    )
}
