//! Where `kube-inject`'s configuration comes from, piece by piece (the
//! injector config, the values, the mesh config): a file given on the
//! command line; else the cluster's ConfigMaps for the revision, as
//! istioctl reads them (the values too, unlike istioctl's local fallback:
//! istio/istio PR 41326); else, with no kubeconfig at all or with
//! `--offline`, Istio's defaults embedded in injit, with one line on
//! stderr saying so when no cluster was configured.

use injit_cluster::{Cluster, ConfigKey, ConfigMapNames, ConnectOptions, Connection, InjectionObjects};
use injit_inject::{ConfigSource, Sources};

use crate::args::ClusterArgs;

/// The note printed when no cluster is configured and a piece of the
/// configuration falls back to the embedded defaults.
pub fn no_cluster_note() -> String {
    format!(
        "note: no kubeconfig found; using the default configuration embedded in injit, {} \
         (set KUBECONFIG or --kubeconfig to use a cluster's istio-sidecar-injector and istio ConfigMaps, \
         or --offline to silence this)",
        injit_inject::config::defaults::ISTIO
    )
}

/// What resolving the configuration decided, beyond the sources.
pub struct Resolved {
    pub sources: Sources,
    /// Set when the cluster was configured and read: the cluster state
    /// (ProxyConfigs, the Namespace, Nodes) will come from it too.
    pub cluster: Option<ClusterSession>,
    /// A line for stderr, if the user should know where the config came
    /// from.
    pub note: Option<String>,
}

/// Fills the pieces `sources` lacks from the cluster `args` point at.
pub fn resolve(sources: Sources, args: &ClusterArgs, revision: &str) -> Result<Resolved, String> {
    let missing = missing(&sources);
    // Every piece given, or told not to look: the files and the defaults.
    if missing.is_empty() || args.offline {
        return Ok(Resolved { sources, cluster: None, note: None });
    }
    let Some(session) = ClusterSession::connect(args)? else {
        return Ok(Resolved { sources, cluster: None, note: Some(no_cluster_note()) });
    };
    let sources = session.config_sources(sources, args, revision)?;
    Ok(Resolved { sources, cluster: Some(session), note: None })
}

/// A cluster and the runtime its client runs on (the client's connection
/// pool and request queue are tasks of that runtime: it must outlive
/// them), for the CLI's blocking reads.
pub struct ClusterSession {
    runtime: tokio::runtime::Runtime,
    cluster: Cluster,
}

impl ClusterSession {
    /// The cluster `args` point at, or `None` when no kubeconfig exists
    /// (and not in a pod). Contacts nothing yet.
    pub fn connect(args: &ClusterArgs) -> Result<Option<ClusterSession>, String> {
        ClusterSession::connect_to(args.kubeconfig.clone(), args.context.clone())
    }

    /// [`ClusterSession::connect`] for a kubeconfig file and context given
    /// (`None`: as kubectl finds them).
    pub fn connect_to(
        kubeconfig: Option<std::path::PathBuf>,
        context: Option<String>,
    ) -> Result<Option<ClusterSession>, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the Kubernetes client: {e}"))?;
        let options = ConnectOptions::new(kubeconfig, context);
        match runtime.block_on(Cluster::connect(&options)).map_err(|e| e.to_string())? {
            Connection::Cluster(cluster) => Ok(Some(ClusterSession { runtime, cluster })),
            Connection::NotConfigured { .. } => Ok(None),
        }
    }

    /// The client, for requests [`ClusterSession::run`] runs.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Runs a request of the client to completion, on the client's runtime.
    pub fn run<F: std::future::Future>(&self, request: F) -> F::Output {
        self.runtime.block_on(request)
    }

    /// The namespace kubectl uses without `-n`.
    pub fn default_namespace(&self) -> &str {
        self.cluster.default_namespace()
    }

    /// `sources` with the pieces it lacks read from the ConfigMaps of
    /// `revision`.
    pub fn config_sources(&self, sources: Sources, args: &ClusterArgs, revision: &str) -> Result<Sources, String> {
        let names = ConfigMapNames::new(
            &args.istio_namespace,
            &args.inject_config_map_name,
            &args.mesh_config_map_name,
            revision,
        );
        self.config_sources_in(sources, &names)
    }

    /// `sources` with the pieces it lacks read from the ConfigMaps `names`.
    pub fn config_sources_in(&self, sources: Sources, names: &ConfigMapNames) -> Result<Sources, String> {
        let missing = missing(&sources);
        if missing.is_empty() {
            return Ok(sources);
        }
        self.runtime.block_on(read_config_maps(&self.cluster, sources, names, &missing))
    }

    /// The ProxyConfigs, Namespaces and Nodes the injection of pods in
    /// `namespaces` reads (`root_namespace` is the mesh config's
    /// `rootNamespace`).
    pub fn injection_objects(&self, root_namespace: &str, namespaces: &[&str]) -> Result<InjectionObjects, String> {
        self.runtime.block_on(self.cluster.injection_objects(root_namespace, namespaces)).map_err(|e| e.to_string())
    }
}

/// The pieces of the configuration no file gave.
fn missing(sources: &Sources) -> Vec<ConfigKey> {
    [
        (ConfigKey::Config, sources.config.is_none()),
        (ConfigKey::Values, sources.values.is_none()),
        (ConfigKey::Mesh, sources.mesh.is_none()),
    ]
    .into_iter()
    .filter_map(|(key, missing)| missing.then_some(key))
    .collect()
}

async fn read_config_maps(
    cluster: &Cluster,
    mut sources: Sources,
    names: &ConfigMapNames,
    missing: &[ConfigKey],
) -> Result<Sources, String> {
    let texts = cluster.config_texts(names, missing).await.map_err(|e| {
        let hint = match e {
            injit_cluster::Error::NotFound { .. } | injit_cluster::Error::MissingKey { .. } => {
                "-i names the Istio namespace, -r the revision; config file flags or --offline use no ConfigMap"
            }
            _ => "config file flags or --offline use no cluster",
        };
        format!("{e} ({hint})")
    })?;
    for text in texts {
        let source = Some(ConfigSource::new(text.to_string(), text.text));
        match text.key {
            ConfigKey::Config => sources.config = source,
            ConfigKey::Values => sources.values = source,
            ConfigKey::Mesh => sources.mesh = source,
        }
    }
    Ok(sources)
}

/// The core's view of the cluster from the objects the API server sent.
/// An object the core refuses (a ProxyConfig with a wrong type) is left
/// out and told to `refused`, so that one bad object does not hide the
/// rest, as Istio's informers skip what they cannot decode.
pub fn cluster_state<'v>(
    proxy_configs: impl IntoIterator<Item = &'v serde_json::Value>,
    namespaces: impl IntoIterator<Item = &'v serde_json::Value>,
    nodes: impl IntoIterator<Item = &'v serde_json::Value>,
    mut refused: impl FnMut(injit_inject::ClusterError),
) -> injit_inject::ClusterState {
    let none: [&serde_json::Value; 0] = [];
    let mut state = injit_inject::ClusterState::listed(none, none, none).expect("no objects, nothing to refuse");
    for object in proxy_configs {
        state.add_proxy_config(object).unwrap_or_else(&mut refused);
    }
    for object in namespaces {
        state.add_namespace(object).unwrap_or_else(&mut refused);
    }
    for object in nodes {
        state.add_node(object).unwrap_or_else(&mut refused);
    }
    state
}
