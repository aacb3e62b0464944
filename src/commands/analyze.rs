//! `injit analyze`: mesh readiness findings for manifests.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use injit_inject::analyze::{Finding, FindingSeverity, IstioEra, Manifest, analyze};
use injit_inject::manifest::objects;
use serde_json::{Value, json};

use crate::args::OutputArg;
use crate::exit::{Code, CommandResult, Failure};
use crate::io::{json_text, print_stdout, read_input};
use crate::progress::Progress;

#[derive(clap::Args)]
#[command(after_help = crate::exit::ANALYZE)]
pub struct Args {
    /// Manifests: files, folders (walked for .yaml, .yml, .json) or `-`
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR")]
    filenames: Vec<String>,
    /// More manifests, as with -f
    #[arg(value_name = "FILE|DIR", required_unless_present_any = ["filenames", "use_kube"])]
    files: Vec<String>,
    /// Also analyze the Pods and Services of the cluster (kubeconfig as
    /// kubectl finds it), in -n's namespace or all (-A)
    #[arg(short = 'k', long = "use-kube")]
    use_kube: bool,
    /// With -k: every namespace but the cluster's own (kube-system...)
    #[arg(short = 'A', long = "all-namespaces", requires = "use_kube")]
    all_namespaces: bool,
    /// With -k: the kubeconfig file (default: KUBECONFIG, then ~/.kube/config)
    #[arg(long, value_name = "FILE", requires = "use_kube")]
    kubeconfig: Option<std::path::PathBuf>,
    /// With -k: the kubeconfig context (default: the current one)
    #[arg(long, requires = "use_kube")]
    context: Option<String>,
    /// The namespace of objects that name none (kubectl's -n), and the one
    /// -k reads
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
    /// Whose requirements: current Istio's, or the seed era's (1.0, 1.1:
    /// one Service per pod)
    #[arg(long = "istio-version", value_enum, default_value = "current")]
    istio_version: IstioVersionArg,
    /// The report's format
    #[arg(short = 'o', long, value_enum, default_value = "human")]
    output: OutputArg,
    /// Exit 1 when there is a finding at least this severe
    #[arg(long = "fail-on", value_enum, default_value = "error")]
    fail_on: FailOnArg,
    /// A progress line on stderr when reading takes over a second: on a
    /// terminal (auto), always, or never
    #[arg(long, value_enum, default_value = "auto")]
    progress: crate::progress::When,
}

#[derive(Clone, Copy, ValueEnum)]
enum IstioVersionArg {
    Current,
    #[value(name = "1.0")]
    V1_0,
    #[value(name = "1.1")]
    V1_1,
}

impl From<IstioVersionArg> for IstioEra {
    fn from(version: IstioVersionArg) -> IstioEra {
        match version {
            IstioVersionArg::Current => IstioEra::Current,
            IstioVersionArg::V1_0 | IstioVersionArg::V1_1 => IstioEra::Legacy,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    Error,
    Warning,
}

/// Reads the manifests, prints the findings; fails on those at
/// `--fail-on`'s severity.
pub fn run(args: Args) -> CommandResult {
    let named: Vec<String> = args.filenames.iter().chain(&args.files).cloned().collect();
    let files = collect_files(&named).map_err(|e| Failure::new(Code::INPUT, format!("error: {e}")))?;
    let mut manifests = Vec::new();
    let progress = Progress::stderr("analyze", "files", files.len(), args.progress);
    for file in &files {
        match read_manifests(std::slice::from_ref(&file.path), read_input) {
            Ok(read) => manifests.extend(read),
            // A folder holds other files too: each is named, and skipped.
            Err(e) if file.found_in_folder => eprintln!("warning: skipped, not a manifest: {e}"),
            Err(e) => return Err(Failure::new(Code::INPUT, format!("error: {e}"))),
        }
        progress.advance();
    }
    progress.finish();
    for manifest in &mut manifests {
        default_namespace(manifest, &args.namespace);
    }
    if args.use_kube {
        let namespace = (!args.all_namespaces).then_some(args.namespace.as_str());
        let live = crate::live_objects::read(args.kubeconfig.clone(), args.context.clone(), namespace)
            .map_err(|e| Failure::new(Code::CLUSTER, format!("error: {e}")))?;
        manifests.push(live);
    }
    let findings = findings(&manifests, args.istio_version.into());
    let text = match args.output {
        OutputArg::Human => human(&findings, manifests.iter().map(|m| m.objects.len()).sum()),
        OutputArg::Json => json_text(&json(&findings)),
    };
    if !print_stdout(&text) {
        return Err(Failure::reported(Code::INPUT));
    }
    let (errors, warnings) = counts(&findings);
    let failing = match args.fail_on {
        FailOnArg::Error => errors,
        FailOnArg::Warning => errors + warnings,
    };
    Ok(if failing > 0 { Code::FINDINGS } else { Code::OK })
}

/// Objects that name no namespace get `namespace` (what `kubectl apply
/// -n` does with them).
fn default_namespace(manifest: &mut Manifest, namespace: &str) {
    for object in &mut manifest.objects {
        let Some(metadata) = object.value.get_mut("metadata").and_then(Value::as_object_mut) else { continue };
        let unset = metadata.get("namespace").and_then(Value::as_str).is_none_or(str::is_empty);
        if unset {
            metadata.insert("namespace".to_owned(), Value::String(namespace.to_owned()));
        }
    }
}

/// A file to read, and whether a folder walk found it (rather than the
/// command line naming it).
pub struct ManifestFile {
    pub path: String,
    pub found_in_folder: bool,
}

/// The files named (folders walked for `.yaml`, `.yml`, `.json`, in name
/// order); `-` is standard input.
pub fn collect_files(paths: &[String]) -> Result<Vec<ManifestFile>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path == "-" {
            out.push(ManifestFile { path: path.clone(), found_in_folder: false });
            continue;
        }
        let p = Path::new(path);
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("{path}: {e}"))?;
            found.sort();
            out.extend(
                found.into_iter().map(|f| ManifestFile { path: f.display().to_string(), found_in_folder: true }),
            );
        } else if p.exists() {
            out.push(ManifestFile { path: path.clone(), found_in_folder: false });
        } else {
            return Err(format!("{path}: no such file or directory"));
        }
    }
    Ok(out)
}

/// The manifests below `dir`, as `filepath.Walk` finds them for kubectl
/// and istioctl: symlinked directories are not followed (a link back up
/// would loop), and only regular files are read (a FIFO named `*.yaml`
/// would block).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            walk(&path, out)?;
            continue;
        }
        let is_manifest = path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
        // A symlink counts as what it points to, if that is a file.
        let is_file =
            file_type.is_file() || (file_type.is_symlink() && std::fs::metadata(&path).is_ok_and(|m| m.is_file()));
        if is_manifest && is_file {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads and splits every file.
pub fn read_manifests(
    files: &[String],
    read: impl Fn(&str) -> Result<String, String>,
) -> Result<Vec<Manifest>, String> {
    files
        .iter()
        .map(|file| {
            let text = read(file)?;
            let name = if file == "-" { "<stdin>".to_owned() } else { file.clone() };
            let objects = objects(&text).map_err(|e| format!("{name}:{}: {}", e.line, e.message))?;
            Ok(Manifest { file: name, objects })
        })
        .collect()
}

/// The findings under `era`'s requirements.
pub fn findings(manifests: &[Manifest], era: IstioEra) -> Vec<Finding> {
    analyze(manifests, era)
}

/// Findings grouped by object.
pub fn human(findings: &[Finding], objects: usize) -> String {
    let mut out = String::new();
    let mut last = None;
    for f in findings {
        let key = (&f.file, f.line, &f.kind, &f.namespace, &f.name);
        if last != Some(key) {
            if last.is_some() {
                out.push('\n');
            }
            // Objects read from a cluster have no line.
            let place = if f.line > 0 { format!("{}:{}", f.file, f.line) } else { f.file.clone() };
            out.push_str(&format!("{place}: {} {}/{}\n", f.kind, f.namespace, f.name));
            last = Some(key);
        }
        out.push_str(&format!("  {}[{}] {}\n      fix: {}\n", f.severity.name(), f.code, f.message, f.fix));
    }
    let (errors, warnings) = counts(findings);
    if findings.is_empty() {
        out.push_str(&format!("no findings in {objects} objects\n"));
    } else {
        out.push_str(&format!("\n{} in {objects} objects\n", plural_counts(errors, warnings)));
    }
    out
}

fn plural_counts(errors: usize, warnings: usize) -> String {
    let n = |count: usize, what: &str| format!("{count} {what}{}", if count == 1 { "" } else { "s" });
    format!("{}, {}", n(errors, "error"), n(warnings, "warning"))
}

pub fn counts(findings: &[Finding]) -> (usize, usize) {
    let errors = findings.iter().filter(|f| f.severity == FindingSeverity::Error).count();
    (errors, findings.len() - errors)
}

/// The findings as stable JSON (for CI).
pub fn json(findings: &[Finding]) -> Value {
    let (errors, warnings) = counts(findings);
    let items: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "severity": f.severity.name(),
                "code": f.code,
                "file": f.file,
                "line": f.line,
                "object": {"kind": f.kind, "namespace": f.namespace, "name": f.name},
                "message": f.message,
                "fix": f.fix,
            })
        })
        .collect();
    json!({"findings": items, "errors": errors, "warnings": warnings})
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_directory_walk_skips_loops_and_special_files() {
        let dir = std::env::temp_dir().join(format!("injit-analyze-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("pod.yaml"), "kind: Pod\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a manifest\n").unwrap();
        std::os::unix::fs::symlink("..", dir.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink("../pod.yaml", dir.join("sub/linked.yaml")).unwrap();
        std::os::unix::fs::symlink("missing.yaml", dir.join("sub/dangling.yaml")).unwrap();
        let fifo = std::process::Command::new("mkfifo").arg(dir.join("fifo.yaml")).status();
        let files = collect_files(&[dir.display().to_string()]).unwrap();
        let names: Vec<String> =
            files.iter().map(|f| f.path.strip_prefix(&format!("{}/", dir.display())).unwrap().to_owned()).collect();
        assert_eq!(names, ["pod.yaml", "sub/linked.yaml"], "fifo made: {fifo:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
