//! The injector's one error type: what went wrong, and where.

use std::fmt;

use crate::config::ConfigError;
use crate::deadline::Expired;

/// What kind of problem stopped an injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A config, mesh config or values file cannot be used.
    Config,
    /// A template failed to parse when the config loaded.
    TemplateSyntax,
    /// A template failed while rendering a pod.
    TemplateExec,
    /// The pod carries an annotation Istio rejects.
    InvalidAnnotation,
    /// A string of the pod would change the injected pod beyond its own
    /// field (`untrusted.rs`).
    UntrustedString,
    /// The template rendered something that is not a pod overlay.
    RenderedYaml,
    /// The input manifest cannot be read or has no pod template.
    Input,
    /// The injection's deadline passed before it finished.
    Deadline,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error, with what was being done in front.
    pub fn context(self, context: impl fmt::Display) -> Error {
        Error { kind: self.kind, message: format!("{context}: {}", self.message) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::new(ErrorKind::Config, e.to_string())
    }
}

impl From<Expired> for Error {
    fn from(e: Expired) -> Error {
        Error::new(ErrorKind::Deadline, e.to_string())
    }
}
