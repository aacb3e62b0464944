//! `injit`: compile, check and render Go sidecar templates; inject sidecars.
//!
//! Each subcommand's arguments and work live in `injit::commands`; this
//! file names the subcommands and turns their outcome into an exit code
//! (the table is `injit::exit`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use injit::commands::{analyze, certs, check, check_inject, kube_inject, render, serve};
use injit::exit;

/// Injection builds and drops many small JSON trees per pod; mimalloc
/// makes that about 30% faster than the system allocator (`cargo bench -p
/// injit-webhook --bench admit`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `--version`: injit's, and which Istio the embedded defaults are.
static LONG_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("{}\nembedded defaults: {}", env!("CARGO_PKG_VERSION"), injit_inject::config::defaults::ISTIO)
});

#[derive(Parser)]
#[command(
    name = "injit",
    version,
    long_version = LONG_VERSION.as_str(),
    about = "A compiler for Go sidecar-injection templates, and an Istio-compatible sidecar injector",
    after_help = exit::HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check templates (or the templates inside injector configs) for every
    /// error Go would report, at parse time or at run time.
    Check(check::Args),
    /// Execute a template over data, as Go's text/template would
    Render(render::Args),
    /// Inject the Istio sidecar into the pod templates of Kubernetes
    /// manifests, as `istioctl kube-inject` does (Istio's default
    /// configuration unless config files are given)
    #[command(name = "kube-inject")]
    KubeInject(kube_inject::Args),
    /// Serve the mutating admission webhook that injects the sidecar into
    /// pods as they are created (HTTPS, AdmissionReview v1 and v1beta1)
    Serve(serve::Args),
    /// Issue a CA and a serving certificate for the webhook's Service, and
    /// print the caBundle (or a manifest with it filled in)
    Certs(certs::Args),
    /// Check manifests against what pods in the mesh must satisfy: one
    /// Service per pod, named Service ports, app/version labels, no
    /// hostNetwork, UID 1337 or sidecar ports
    Analyze(analyze::Args),
    /// Say whether the webhook would inject each pod, and which rule
    /// decided (as `istioctl x check-inject`)
    #[command(name = "check-inject")]
    CheckInject(check_inject::Args),
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Check(args) => check::run(args),
        Command::Render(args) => render::run(args),
        Command::KubeInject(args) => kube_inject::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Certs(args) => certs::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::CheckInject(args) => check_inject::run(args),
    };
    exit::finish(outcome)
}
