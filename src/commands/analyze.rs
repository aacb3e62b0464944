//! `injit analyze`: mesh readiness findings for manifests.

use std::path::{Path, PathBuf};

use injit_inject::analyze::{Finding, Manifest, Severity, analyze};
use injit_inject::manifest::objects;
use serde_json::{Value, json};

/// The files named (folders walked for `.yaml`, `.yml`, `.json`, in name
/// order); `-` is standard input.
pub fn collect_files(paths: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path == "-" {
            out.push(path.clone());
            continue;
        }
        let p = Path::new(path);
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("{path}: {e}"))?;
            found.sort();
            out.extend(found.into_iter().map(|f| f.display().to_string()));
        } else if p.exists() {
            out.push(path.clone());
        } else {
            return Err(format!("{path}: no such file or directory"));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
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

/// The findings, and how many objects were read.
pub fn run(manifests: &[Manifest]) -> Vec<Finding> {
    analyze(manifests)
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
            out.push_str(&format!("{}:{}: {} {}/{}\n", f.file, f.line, f.kind, f.namespace, f.name));
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
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
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
