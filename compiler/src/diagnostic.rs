//! Problems found in a template, independent of how they are shown
//! (the CLI renders them rustc-style; the webhook only logs them).

use injit_grammar::ParseError;
use injit_grammar::ast::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem, anchored to a span of the template source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable name for the kind of problem, e.g. `undefined-function`.
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// Said at the caret.
    pub label: String,
    pub help: Option<String>,
    /// Other places the problem involves, each with what to say there
    /// (the `{{if}}` an `unexpected EOF` left open).
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            label: String::new(),
            help: None,
            related: Vec::new(),
        }
    }

    /// What may go wrong for some pods, or silently: reported, never fatal.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message, span) }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// A syntax error, with Go's wording (and Go's line in the help when it
    /// differs from where the caret points).
    pub fn from_parse_error(err: &ParseError) -> Diagnostic {
        let mut diagnostic = Diagnostic::error("syntax", err.message(), err.span()).label("Go's parser stops here");
        if let Some((opener, keyword)) = err.unclosed() {
            let label = match keyword {
                "action" => "this action is never closed".to_owned(),
                _ => format!("this `{keyword}` is never closed by an `end`"),
            };
            diagnostic.related.push((opener, label));
        }
        diagnostic
    }
}
