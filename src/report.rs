//! Rendering findings: rustc-style for people, JSON for CI.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use injit_compiler::Severity;
use injit_grammar::LineIndex;
use serde::Serialize;

use crate::commands::check::FileReport;

/// Renders a file's findings as rustc does.
/// Whether to color output going to a terminal (`is_terminal`) or not, as
/// the conventions of no-color.org and bixense.com/clicolors say:
/// `NO_COLOR` (set and not empty) turns color off, `CLICOLOR_FORCE` (not
/// `0`) turns it on even into a pipe.
pub fn colors(is_terminal: bool) -> bool {
    colors_with(is_terminal, |name| std::env::var_os(name))
}

fn colors_with(is_terminal: bool, var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if var("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    is_terminal
}

pub fn human(report: &FileReport, styled: bool) -> String {
    let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for finding in &report.findings {
        let d = &finding.diagnostic;
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let len = report.source.len();
        let start = (d.span.start as usize).min(len);
        let end = (d.span.end as usize).clamp(start, len);
        let mut snippet = Snippet::source(report.source.as_str())
            .path(report.path.as_str())
            .fold(true)
            .annotation(AnnotationKind::Primary.span(start..end).label(d.label.as_str()));
        for (span, label) in &d.related {
            let start = (span.start as usize).min(len);
            let end = (span.end as usize).clamp(start, len);
            snippet = snippet.annotation(AnnotationKind::Context.span(start..end).label(label.as_str()));
        }
        let mut group = level.primary_title(d.message.as_str()).id(d.code).element(snippet);
        if let Some(template) = &finding.template {
            group = group.element(Level::NOTE.message(format!("in template `{template}`")));
        }
        if let Some(help) = &d.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    for note in &report.notes {
        out.push_str(
            &renderer.render(&[Group::with_title(Level::NOTE.secondary_title(format!("{}: {note}", report.path)))]),
        );
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: &'a str,
    template: Option<&'a str>,
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    label: &'a str,
    help: Option<&'a str>,
}

/// All findings as one JSON array; positions are 1-based, columns in bytes.
pub fn json(reports: &[FileReport]) -> String {
    let mut all = Vec::new();
    for report in reports {
        let lines = LineIndex::new(&report.source);
        for finding in &report.findings {
            let d = &finding.diagnostic;
            let (line, column) = lines.line_col(d.span.start);
            let (end_line, end_column) = lines.line_col(d.span.end);
            all.push(JsonFinding {
                file: &report.path,
                template: finding.template.as_deref(),
                severity: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                code: d.code,
                message: &d.message,
                line,
                column,
                end_line,
                end_column,
                label: &d.label,
                help: d.help.as_deref(),
            });
        }
    }
    serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::colors_with;

    #[test]
    fn no_color_and_clicolor_force_decide_before_the_terminal() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).into())
        };
        assert!(colors_with(true, env(&[])));
        assert!(!colors_with(false, env(&[])));
        assert!(!colors_with(true, env(&[("NO_COLOR", "1")])));
        assert!(colors_with(true, env(&[("NO_COLOR", "")])), "empty is unset");
        assert!(colors_with(false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!colors_with(false, env(&[("CLICOLOR_FORCE", "0")])));
        assert!(!colors_with(false, env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])), "NO_COLOR wins");
    }
}
