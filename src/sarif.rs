//! `check`'s findings as SARIF 2.1.0, the format GitHub code scanning
//! (and other CI annotators) read: one run, a rule per diagnostic code,
//! a result per finding with its region in the file.

use injit_compiler::Severity;
use injit_grammar::LineIndex;
use serde_json::{Value, json};

use crate::commands::check::FileReport;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF log of `reports`. Columns count Unicode code points from 1
/// (`columnKind`), so a region points at the same characters an editor
/// shows.
pub fn sarif(reports: &[FileReport]) -> Value {
    let mut rules: Vec<&'static str> = Vec::new();
    let mut results = Vec::new();
    for report in reports {
        let lines = LineIndex::new(&report.source);
        for finding in &report.findings {
            let d = &finding.diagnostic;
            if !rules.contains(&d.code) {
                rules.push(d.code);
            }
            let (start_line, start_column) = point(&report.source, &lines, d.span.start);
            let (end_line, end_column) = point(&report.source, &lines, d.span.end.max(d.span.start));
            let mut message = d.message.clone();
            if let Some(template) = &finding.template {
                message.push_str(&format!(" (in template `{template}`)"));
            }
            if let Some(help) = &d.help {
                message.push_str(&format!("; {help}"));
            }
            results.push(json!({
                "ruleId": d.code,
                "ruleIndex": rules.iter().position(|r| *r == d.code),
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&report.path) },
                        "region": {
                            "startLine": start_line,
                            "startColumn": start_column,
                            "endLine": end_line,
                            "endColumn": end_column,
                        }
                    }
                }],
            }));
        }
    }
    let rules: Vec<Value> =
        rules.iter().map(|id| json!({ "id": id, "shortDescription": { "text": id.replace('-', " ") } })).collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "injit",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// 1-based line and code-point column of a byte offset.
fn point(source: &str, lines: &LineIndex, offset: u32) -> (u32, u32) {
    let offset = offset.min(source.len() as u32);
    let (line, byte_column) = lines.line_col(offset);
    let line_start = (offset - (byte_column - 1)) as usize;
    let prefix = source.get(line_start..offset as usize).unwrap_or_default();
    (line, prefix.chars().count() as u32 + 1)
}

/// A relative path as SARIF wants it: `/` separators, no `./`.
fn uri(path: &str) -> String {
    path.trim_start_matches("./").replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let source = "é{{ x }}\nab";
        let lines = LineIndex::new(source);
        assert_eq!(point(source, &lines, 2), (1, 2), "after the two-byte é");
        assert_eq!(point(source, &lines, 11), (2, 2));
    }
}
