//! Connecting to the API server: the kubeconfig as kubectl resolves it
//! (with `--context`), or the pod's service account in a cluster.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::error::{Endpoint, Error};
use crate::kubeconfig;

/// How to reach the cluster: kubectl's `--kubeconfig` and `--context`, and
/// the timeouts.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// How long a TCP and TLS connect may take. Short by default, so a
    /// dead address fails a command within 5 s rather than hanging.
    pub connect_timeout: Duration,
    /// How long an answer may take once connected; `None` for watches,
    /// which stay open for minutes.
    pub read_timeout: Option<Duration>,
}

impl ConnectOptions {
    /// The defaults: kubectl's files, the current context, a 4 s connect
    /// timeout and a 30 s read timeout (one-shot reads).
    pub fn new(kubeconfig: Option<PathBuf>, context: Option<String>) -> ConnectOptions {
        ConnectOptions {
            kubeconfig,
            context,
            connect_timeout: Duration::from_secs(4),
            read_timeout: Some(Duration::from_secs(30)),
        }
    }

    /// For long-lived watches: no read timeout.
    pub fn for_watching(mut self) -> ConnectOptions {
        self.read_timeout = None;
        self
    }
}

/// What `Cluster::connect` found.
pub enum Connection {
    Cluster(Cluster),
    /// No kubeconfig and not in a pod: not an error, the caller decides
    /// (kube-inject uses the embedded configuration). `looked_at` lists the
    /// files kubectl would have read.
    NotConfigured {
        looked_at: Vec<PathBuf>,
    },
}

/// A client for one cluster, with the context and server it names in
/// errors. Cheap to clone (the client is shared).
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    endpoint: Arc<Endpoint>,
    /// The context's namespace, else `default` (kubectl's `-n` default).
    default_namespace: String,
}

impl Cluster {
    /// The cluster kubectl would talk to with these options: the
    /// kubeconfig's context, else (in a pod) the service account, else
    /// `NotConfigured`. Builds the client; contacts nothing.
    pub async fn connect(options: &ConnectOptions) -> Result<Connection, Error> {
        match kubeconfig::load(options.kubeconfig.as_deref())? {
            Some(loaded) => {
                let files = loaded.describe();
                let context = match options.context.clone().or_else(|| loaded.config.current_context.clone()) {
                    Some(c) => c,
                    None => return Err(Error::Context { files, why: "no current-context; pass --context".to_owned() }),
                };
                if !loaded.config.contexts.iter().any(|c| c.name == context) {
                    return Err(Error::Context { files, why: format!("no context {context:?}") });
                }
                let config = config_for(loaded.config, &context)
                    .await
                    .map_err(|e| Error::Context { files: files.clone(), why: format!("context {context:?}: {e}") })?;
                Cluster::with_config(config, context, options).map(Connection::Cluster)
            }
            None if options.context.is_some() => Err(Error::Context {
                files: kubeconfig::describe(&kubeconfig::candidates(options.kubeconfig.as_deref())),
                why: format!("no context {:?}: no kubeconfig file exists", options.context.as_deref().unwrap_or("")),
            }),
            None if in_a_pod() => Cluster::in_cluster(options).await.map(Connection::Cluster),
            None => Ok(Connection::NotConfigured { looked_at: kubeconfig::candidates(options.kubeconfig.as_deref()) }),
        }
    }

    /// The pod's service account (`KUBERNETES_SERVICE_HOST`/`_PORT` and
    /// the token and CA under `/var/run/secrets/kubernetes.io/`): what the
    /// webhook uses. Async because the client's request queue is a task of
    /// the runtime it is built in.
    pub async fn in_cluster(options: &ConnectOptions) -> Result<Cluster, Error> {
        let config = Config::incluster().map_err(Error::InCluster)?;
        Cluster::with_config(config, "in-cluster".to_owned(), options)
    }

    fn with_config(mut config: Config, context: String, options: &ConnectOptions) -> Result<Cluster, Error> {
        config.connect_timeout = Some(options.connect_timeout);
        config.read_timeout = options.read_timeout;
        let default_namespace = config.default_namespace.clone();
        let endpoint =
            Arc::new(Endpoint { context, server: config.cluster_url.to_string().trim_end_matches('/').to_owned() });
        // An exec credential plugin runs here, before any request.
        let client = Client::try_from(config).map_err(|source| match source {
            kube::Error::Auth(e) => Error::credentials(&endpoint, &e),
            source => Error::Client { endpoint: endpoint.clone(), source },
        })?;
        Ok(Cluster { client, endpoint, default_namespace })
    }

    /// The context and server, as errors name them.
    pub fn endpoint(&self) -> &Arc<Endpoint> {
        &self.endpoint
    }

    /// The namespace kubectl uses without `-n`: the context's, else
    /// `default` (in a pod: the pod's).
    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }
}

/// kube's config for one context of an already merged kubeconfig (kube's
/// own loader would re-read `KUBECONFIG` and fail on missing files).
async fn config_for(kubeconfig: Kubeconfig, context: &str) -> Result<Config, kube::config::KubeconfigError> {
    let options = KubeConfigOptions { context: Some(context.to_owned()), ..KubeConfigOptions::default() };
    Config::from_custom_kubeconfig(kubeconfig, &options).await
}

/// As client-go: a pod's environment names the API server's Service.
fn in_a_pod() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some_and(|h| !h.is_empty())
}
