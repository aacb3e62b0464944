//! The injector's one error type: what went wrong, and where.

use std::fmt;

use injit_compiler::ExecError;
use injit_grammar::ParseError;

use crate::config::ConfigError;
use crate::deadline::Expired;
use crate::reference_pods::RejectedConfig;

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

/// An injection, or the loading of a config, that failed: its kind, and
/// what happened.
///
/// `Display` gives the whole story on one line, each context in front of
/// what it led to (`config FILE: injecting the reference pod ...`): that
/// is what the CLI prints and the webhook answers. `source()` leads to
/// the parts as data: the error this one added context to, and below it
/// the error that started it (a [`ConfigError`] with its file and line, a
/// [`TemplateError`], a [`RejectedConfig`], …), for callers that
/// `downcast_ref` them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    /// Boxed: results stay small on the path that does not fail.
    repr: Box<Repr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    /// Said where it happened.
    Message(String),
    Config(ConfigError),
    Rejected(RejectedConfig),
    Template(TemplateError),
    Manifest(ManifestError),
    Expired(Expired),
    /// What was being done when `source` happened.
    Context {
        context: String,
        source: Error,
    },
    /// `source` happened to the injector config `file` (trying it on
    /// the reference pods).
    InConfig {
        file: String,
        source: Error,
    },
    /// `source` happened in document `document` (1-based) of the
    /// manifest `file`, which starts at `line`.
    Document {
        file: String,
        document: usize,
        line: usize,
        source: Error,
    },
}

/// A template of the injector config that does not parse, or fails for a
/// pod: the config's file, the template's name and (when the config
/// loads) the file's line, with the template error as `source()`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A template that does not parse when the config loads.
    #[error("{file}:{line}: template {template:?}: {source}")]
    Syntax { file: String, line: usize, template: String, source: ParseError },
    /// The form of a template for pods with their own proxy config
    /// (`compiled.rs`), parsed when first needed, does not parse.
    #[error("template {template:?} of {file}: {source}")]
    Parse { file: String, template: String, source: ParseError },
    /// A template that fails while rendering a pod: where in the config
    /// file (1-based line and byte column; Go's text in `source` keeps
    /// the template's own line and 0-based column), when the node is known.
    #[error("{}template {template:?}: {source}", file_position(file, *at))]
    Exec { file: String, at: Option<(usize, usize)>, template: String, source: ExecError },
}

/// `FILE:LINE:COLUMN: ` (or `FILE: ` without a position), the prefix
/// editors and terminals turn into a link.
fn file_position(file: &str, at: Option<(usize, usize)>) -> String {
    match at {
        Some((line, column)) => format!("{file}:{line}:{column}: "),
        None => format!("{file}: "),
    }
}

/// A manifest that cannot be read: its name, the line, and which document
/// (1-based) when the problem is one document's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub file: String,
    pub line: usize,
    pub document: Option<usize>,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ManifestError { file, line, document, message } = self;
        match document {
            Some(document) => write!(f, "{file}:{line}: document {document}: {message}"),
            None => write!(f, "{file}:{line}: {message}"),
        }
    }
}

impl std::error::Error for ManifestError {}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, repr: Box::new(Repr::Message(message.into())) }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What `Display` prints.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The same error, with what was being done in front.
    pub fn context(self, context: impl fmt::Display) -> Error {
        Error { kind: self.kind, repr: Box::new(Repr::Context { context: context.to_string(), source: self }) }
    }

    /// The same error, as one of the injector config `file`.
    pub(crate) fn in_config(self, file: &str) -> Error {
        Error { kind: self.kind, repr: Box::new(Repr::InConfig { file: file.to_owned(), source: self }) }
    }

    /// The same error, as one of document `document` (1-based) of the
    /// manifest `file`, which starts at `line`.
    pub(crate) fn in_document(self, file: &str, document: usize, line: usize) -> Error {
        Error {
            kind: self.kind,
            repr: Box::new(Repr::Document { file: file.to_owned(), document, line, source: self }),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.repr {
            Repr::Message(message) => f.write_str(message),
            Repr::Config(e) => e.fmt(f),
            Repr::Rejected(e) => e.fmt(f),
            Repr::Template(e) => e.fmt(f),
            Repr::Manifest(e) => e.fmt(f),
            Repr::Expired(e) => e.fmt(f),
            Repr::Context { context, source } => write!(f, "{context}: {source}"),
            Repr::InConfig { file, source } => write!(f, "config {file}: {source}"),
            Repr::Document { file, document, line, source } => {
                write!(f, "{file}: document {document} (line {line}): {source}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.repr {
            Repr::Message(_) => None,
            Repr::Config(e) => Some(e),
            Repr::Rejected(e) => Some(e),
            Repr::Template(e) => Some(e),
            Repr::Manifest(e) => Some(e),
            Repr::Expired(e) => Some(e),
            Repr::Context { source, .. } | Repr::InConfig { source, .. } | Repr::Document { source, .. } => {
                Some(source)
            }
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error { kind: ErrorKind::Config, repr: Box::new(Repr::Config(e)) }
    }
}

impl From<RejectedConfig> for Error {
    fn from(e: RejectedConfig) -> Error {
        Error { kind: ErrorKind::Config, repr: Box::new(Repr::Rejected(e)) }
    }
}

impl From<TemplateError> for Error {
    fn from(e: TemplateError) -> Error {
        let kind = match e {
            TemplateError::Syntax { .. } | TemplateError::Parse { .. } => ErrorKind::TemplateSyntax,
            TemplateError::Exec { .. } => ErrorKind::TemplateExec,
        };
        Error { kind, repr: Box::new(Repr::Template(e)) }
    }
}

impl From<ManifestError> for Error {
    fn from(e: ManifestError) -> Error {
        Error { kind: ErrorKind::Input, repr: Box::new(Repr::Manifest(e)) }
    }
}

impl From<Expired> for Error {
    fn from(e: Expired) -> Error {
        Error { kind: ErrorKind::Deadline, repr: Box::new(Repr::Expired(e)) }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::config::ConfigErrorKind;
    use crate::{ConfigSource, Sources};

    /// The errors under `e`, `e` first.
    fn chain(e: &Error) -> Vec<&(dyn std::error::Error + 'static)> {
        std::iter::successors(Some(e as &(dyn std::error::Error + 'static)), |&e| e.source()).collect()
    }

    #[test]
    fn a_config_error_keeps_its_file_line_and_yaml_error() {
        let sources =
            Sources { values: Some(ConfigSource::new("values.yaml", "global:\n  hub: [\n")), ..Sources::default() };
        let e = sources.build(Default::default()).err().expect("the values do not parse");
        assert_eq!(e.kind(), ErrorKind::Config);
        let config = chain(&e).into_iter().find_map(|e| e.downcast_ref::<ConfigError>()).expect("a ConfigError");
        assert_eq!((config.file.as_str(), config.line), ("values.yaml", Some(3)));
        let ConfigErrorKind::Yaml { what: "YAML", source } = &config.kind else { panic!("{config:?}") };
        assert_eq!(e.to_string(), format!("values.yaml:3: invalid YAML: {}", source.message));
        assert!(config.source().is_some_and(|s| s.is::<crate::yaml::YamlError>()));
    }

    #[test]
    fn results_stay_small() {
        assert_eq!(std::mem::size_of::<Error>(), 2 * std::mem::size_of::<usize>());
    }

    #[test]
    fn context_is_a_source_and_a_prefix() {
        let e = Error::new(ErrorKind::Input, "no pod template").context("Deployment \"d\"").in_document("m.yaml", 2, 7);
        assert_eq!(e.kind(), ErrorKind::Input);
        assert_eq!(e.to_string(), "m.yaml: document 2 (line 7): Deployment \"d\": no pod template");
        let texts: Vec<String> = chain(&e).iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [e.to_string(), "Deployment \"d\": no pod template".to_owned(), "no pod template".to_owned()]
        );
    }

    #[test]
    fn config_error_texts_are_istios() {
        let at = |line, kind| ConfigError { file: "f".to_owned(), line, kind }.to_string();
        assert_eq!(at(None, ConfigErrorKind::NoConfigMapKey { key: "mesh" }), "f: the ConfigMap has no data.mesh");
        assert_eq!(
            at(None, ConfigErrorKind::NotConfigNorTemplate),
            "f: not an injector config (no `templates` or `template`) nor a sidecar template (no `{{ }}` actions); \
             is it the mesh config or the values?"
        );
        assert_eq!(
            at(None, ConfigErrorKind::WrongType { key: "template", wanted: "a string" }),
            "f: `template` must be a string"
        );
        assert_eq!(at(Some(1), ConfigErrorKind::MeshNotMap), "f:1: the mesh config must be a map");
        assert_eq!(
            at(None, ConfigErrorKind::InvalidDefaultConfig("x: bad".to_owned())),
            "f: invalid mesh config: defaultConfig: x: bad"
        );
    }
}
