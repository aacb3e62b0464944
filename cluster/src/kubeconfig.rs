//! Finding the kubeconfig as kubectl does (client-go's loading rules):
//! `--kubeconfig` alone when given (a missing file is an error); else every
//! file listed in `KUBECONFIG` that exists, merged, the first to set a
//! value winning; else `~/.kube/config`. Files that do not exist are
//! skipped, and finding none is not an error: there is no cluster.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

use crate::error::Error;

/// The merged kubeconfig and the files it came from.
pub(crate) struct Loaded {
    pub config: Kubeconfig,
    pub files: Vec<PathBuf>,
}

impl Loaded {
    /// The files, for messages: `a.yaml:b.yaml`.
    pub(crate) fn describe(&self) -> String {
        describe(&self.files)
    }
}

pub(crate) fn describe(files: &[PathBuf]) -> String {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(":")
}

/// Where kubectl would look, in order, given `--kubeconfig` (or not).
pub(crate) fn candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    candidates_in(explicit, std::env::var_os("KUBECONFIG"), home)
}

/// [`candidates`] for a given `KUBECONFIG` and home directory.
fn candidates_in(explicit: Option<&Path>, kubeconfig: Option<OsString>, home: Option<PathBuf>) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_owned()];
    }
    match kubeconfig {
        Some(list) if !list.is_empty() => std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect(),
        _ => home.map(|h| h.join(".kube").join("config")).into_iter().collect(),
    }
}

/// The kubeconfig, or `None` when no file exists (or those that exist hold
/// no cluster and no context, as a fresh `touch ~/.kube/config`).
pub(crate) fn load(explicit: Option<&Path>) -> Result<Option<Loaded>, Error> {
    load_from(candidates(explicit), explicit.is_some())
}

/// Reads and merges `paths`; missing files are skipped unless `must_exist`.
fn load_from(paths: Vec<PathBuf>, must_exist: bool) -> Result<Option<Loaded>, Error> {
    let mut merged: Option<Kubeconfig> = None;
    let mut files = Vec::new();
    for path in paths {
        // An explicit file must exist (kubectl: "stat ...: no such file").
        if !must_exist && !path.exists() {
            continue;
        }
        let config = Kubeconfig::read_from(&path).map_err(|source| Error::Kubeconfig { path: path.clone(), source })?;
        merged = Some(match merged {
            None => config,
            Some(m) => m.merge(config).map_err(|source| Error::Kubeconfig { path: path.clone(), source })?,
        });
        files.push(path);
    }
    Ok(merged.filter(|c| !c.clusters.is_empty() || !c.contexts.is_empty()).map(|config| Loaded { config, files }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(name: &str, server: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {server}\n\
             contexts:\n- name: {name}\n  context:\n    cluster: {name}\ncurrent-context: {name}\n"
        )
    }

    #[test]
    fn kubeconfig_lists_skip_missing_files_and_the_first_wins() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, missing) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("missing"));
        std::fs::write(&a, context("first", "http://127.0.0.1:1")).unwrap();
        std::fs::write(&b, context("second", "http://127.0.0.1:2")).unwrap();
        let list = std::env::join_paths([&missing, &a, &b]).unwrap();
        let paths = candidates_in(None, Some(list), Some(dir.path().to_owned()));
        assert_eq!(paths, [missing.clone(), a.clone(), b.clone()]);
        let loaded = load_from(paths, false).unwrap().expect("two files exist");
        assert_eq!(loaded.files, [a.clone(), b]);
        assert_eq!(loaded.config.current_context.as_deref(), Some("first"));
        assert_eq!(loaded.config.contexts.len(), 2);
        // Nothing there: no cluster, not an error.
        assert!(load_from(vec![missing.clone()], false).unwrap().is_none());
        // An explicit file must exist.
        assert!(load_from(vec![missing], true).is_err());
    }

    #[test]
    fn without_kubeconfig_the_home_file_is_read() {
        let home = PathBuf::from("/home/someone");
        assert_eq!(candidates_in(None, None, Some(home.clone())), [home.join(".kube/config")]);
        assert_eq!(candidates_in(None, Some(OsString::new()), Some(home.clone())), [home.join(".kube/config")]);
        assert_eq!(candidates_in(Some(Path::new("x")), None, Some(home)), [PathBuf::from("x")]);
        assert!(candidates_in(None, None, None).is_empty());
    }
}
