//! Where the server's injector config comes from: a directory holding
//! `config`, `values` and `mesh` (a mounted ConfigMap, as Istio mounts
//! it), single files, or Istio's defaults embedded in injit.

use std::path::{Path, PathBuf};

use injit_inject::{ConfigSource, Sources};

#[derive(Clone, Debug, Default)]
pub enum ConfigFiles {
    /// Istio's current defaults.
    #[default]
    Defaults,
    /// `DIR/config`, and `DIR/values`, `DIR/mesh` when present.
    Dir(PathBuf),
    Files {
        config: Option<PathBuf>,
        mesh: Option<PathBuf>,
        values: Option<PathBuf>,
    },
}

/// A config file that cannot be read: which, and the I/O error as
/// `source()`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", .path.display())]
pub struct ReadError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

fn read(path: &Path) -> Result<ConfigSource, ReadError> {
    std::fs::read_to_string(path)
        .map(|text| ConfigSource::new(path.display().to_string(), text))
        .map_err(|source| ReadError { path: path.to_owned(), source })
}

fn optional(path: &Path) -> Result<Option<ConfigSource>, ReadError> {
    if path.exists() { read(path).map(Some) } else { Ok(None) }
}

impl ConfigFiles {
    /// The sources, as they are now.
    pub fn read(&self) -> Result<Sources, ReadError> {
        Ok(match self {
            ConfigFiles::Defaults => Sources::default(),
            ConfigFiles::Dir(dir) => Sources {
                config: Some(read(&dir.join("config"))?),
                mesh: optional(&dir.join("mesh"))?,
                values: optional(&dir.join("values"))?,
            },
            ConfigFiles::Files { config, mesh, values } => Sources {
                config: config.as_deref().map(read).transpose()?,
                mesh: mesh.as_deref().map(read).transpose()?,
                values: values.as_deref().map(read).transpose()?,
            },
        })
    }

    /// The sources' texts, to notice a change.
    pub fn fingerprint(sources: &Sources) -> String {
        let part = |s: &Option<ConfigSource>| s.as_ref().map_or(String::new(), |s| s.text.clone());
        format!("{}\u{0}{}\u{0}{}", part(&sources.config), part(&sources.mesh), part(&sources.values))
    }
}
