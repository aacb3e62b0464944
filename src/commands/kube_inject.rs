//! `injit kube-inject`: manual sidecar injection, as `istioctl kube-inject`.

use std::path::Path;

use injit_inject::{Caller, ConfigSource, Error, Injected, Options, Sources, kube_inject};

/// What the command was given.
#[derive(Clone, Debug, Default)]
pub struct KubeInjectOptions {
    /// The manifest's name (for messages) and text.
    pub input: Option<ConfigSource>,
    pub sources: Sources,
    pub options: Options,
}

/// Injects the manifest: the output text and the skip warnings.
pub fn run(options: &KubeInjectOptions) -> Result<Injected, Error> {
    let injector = options.sources.build_checked(options.options.clone(), Caller::KubeInject)?;
    let input = options.input.as_ref().map_or(("<stdin>", ""), |s| (s.name.as_str(), s.text.as_str()));
    kube_inject(&injector, input.0, input.1)
}

/// `ENABLE_NATIVE_SIDECARS` as Istio reads it: `true`/`false`, else the
/// default (native sidecars on; Kubernetes 1.33+ runs them).
pub fn native_sidecars_from_env(value: Option<&str>) -> bool {
    !matches!(value.map(str::trim), Some("false" | "False" | "FALSE" | "0" | "f" | "F" | "disable" | "disabled"))
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
