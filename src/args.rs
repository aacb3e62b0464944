//! Command-line pieces more than one command takes: the function set, the
//! backend, the report format, the injector's configuration files, and the
//! `--delims` parser.

use clap::ValueEnum;
use injit_compiler::Backend;
use injit_grammar::Delims;
use injit_runtime::Library;

use crate::io::read_source;

/// `--funcs`: the functions templates may call.
#[derive(Clone, Copy, ValueEnum)]
pub enum Funcs {
    /// text/template's builtins
    Go,
    /// the builtins and sprig v3.2.3
    Sprig,
    /// sprig and Istio's injection functions
    Istio,
}

impl From<Funcs> for Library {
    fn from(f: Funcs) -> Library {
        match f {
            Funcs::Go => Library::Go,
            Funcs::Sprig => Library::Sprig,
            Funcs::Istio => Library::Istio,
        }
    }
}

/// `--backend`: how templates execute.
#[derive(Clone, Copy, ValueEnum)]
pub enum BackendArg {
    /// the evaluator, then native code once a template has rendered 1,000
    /// times (compiled on a background thread)
    Auto,
    /// native code compiled with Cranelift, before the first render
    Jit,
    /// the reference IR evaluator
    Eval,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Backend {
        match b {
            BackendArg::Auto => Backend::Auto,
            BackendArg::Jit => Backend::Jit,
            BackendArg::Eval => Backend::Eval,
        }
    }
}

/// `-o/--output`: the format of the reports `check`, `analyze` and
/// `check-inject` print (`kube-inject` keeps istioctl's `-o FILE`).
#[derive(Clone, Copy, ValueEnum)]
pub enum OutputArg {
    Human,
    Json,
}

/// `--delims 'LEFT RIGHT'`, for every command that takes it. Each command
/// exits with its own code when it is malformed (see [`crate::exit`]).
pub fn parse_delims(text: Option<&str>) -> Result<Option<Delims>, String> {
    match text.map(Delims::parse) {
        Some(None) => Err("error: --delims must be two delimiters separated by a space, e.g. '[[ ]]'".to_owned()),
        Some(Some(d)) => Ok(Some(d)),
        None => Ok(None),
    }
}

/// The injector's configuration, shared by `kube-inject`, `serve` and
/// `check-inject`.
#[derive(clap::Args)]
pub struct ConfigArgs {
    /// The injector config: `kubectl get cm istio-sidecar-injector -o
    /// jsonpath='{.data.config}'`, the whole ConfigMap, or a bare template
    #[arg(long = "injectConfigFile", value_name = "FILE")]
    pub inject_config_file: Option<String>,
    /// The mesh config: `kubectl get cm istio -o jsonpath='{.data.mesh}'`
    /// or the whole ConfigMap
    #[arg(long = "meshConfigFile", value_name = "FILE")]
    pub mesh_config_file: Option<String>,
    /// The injector values: `kubectl get cm istio-sidecar-injector -o
    /// jsonpath='{.data.values}'` or the whole ConfigMap
    #[arg(long = "valuesFile", value_name = "FILE")]
    pub values_file: Option<String>,
    /// The control plane revision the sidecar is for
    #[arg(short = 'r', long = "revision", default_value = "")]
    pub revision: String,
    /// Run the proxy as a native sidecar (Kubernetes 1.33+): true, false,
    /// or auto (when every node, or the pod's, runs 1.33+; off without a
    /// cluster, as istioctl); default from ENABLE_NATIVE_SIDECARS, else auto
    #[arg(long = "native-sidecars", value_name = "auto|true|false")]
    pub native_sidecars: Option<injit_inject::NativeSidecars>,
    /// How templates execute: the evaluator until a template is hot, then
    /// native code (auto); native code from the start; or the evaluator
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendArg,
}

impl ConfigArgs {
    fn native_sidecars(&self) -> injit_inject::NativeSidecars {
        self.native_sidecars.unwrap_or_else(|| {
            injit_inject::NativeSidecars::from_env(std::env::var("ENABLE_NATIVE_SIDECARS").ok().as_deref())
        })
    }

    /// The three config files as given (`-` is standard input).
    pub fn sources(&self) -> Result<injit_inject::Sources, String> {
        Ok(injit_inject::Sources {
            config: read_source(self.inject_config_file.as_deref())?,
            mesh: read_source(self.mesh_config_file.as_deref())?,
            values: read_source(self.values_file.as_deref())?,
        })
    }

    /// The injector's options: revision, native sidecars, backend.
    pub fn options(&self) -> injit_inject::Options {
        injit_inject::Options {
            revision: if self.revision == "default" { String::new() } else { self.revision.clone() },
            native_sidecars: self.native_sidecars(),
            // Istio's `platform.IsOpenShift()`.
            openshift: std::env::var("PLATFORM").is_ok_and(|p| p == "openshift"),
            compliance_policy: std::env::var("COMPLIANCE_POLICY").unwrap_or_default(),
            backend: self.backend.into(),
            ..injit_inject::Options::default()
        }
    }
}

/// Where the injector's configuration lives in a cluster, and how to reach
/// it: istioctl's flags. Config files given override the cluster's
/// ConfigMaps piece by piece.
#[derive(clap::Args)]
pub struct ClusterArgs {
    /// The namespace of the Istio control plane's ConfigMaps
    #[arg(short = 'i', long = "istioNamespace", value_name = "NAMESPACE", default_value = injit_cluster::DEFAULT_ISTIO_NAMESPACE)]
    pub istio_namespace: String,
    /// The ConfigMap holding the mesh config (key `mesh`); `-<revision>`
    /// is appended to the default name with `-r`
    #[arg(long = "meshConfigMapName", value_name = "NAME", default_value = injit_cluster::DEFAULT_MESH_CONFIG_MAP)]
    pub mesh_config_map_name: String,
    /// The ConfigMap holding the injector config and values (keys `config`
    /// and `values`); `-<revision>` is appended to the default name with `-r`
    #[arg(long = "injectConfigMapName", value_name = "NAME", default_value = injit_cluster::DEFAULT_INJECTOR_CONFIG_MAP)]
    pub inject_config_map_name: String,
    /// The kubeconfig file (default: KUBECONFIG, then ~/.kube/config)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The kubeconfig context to use (default: its current-context)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Never contact a cluster: the config files given, and Istio's
    /// defaults embedded in injit for the rest
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub offline: bool,
}
