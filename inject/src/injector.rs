//! The injector: a config's templates compiled once, and the injection of
//! one pod (Istio's `injectPod`: render, merge, post-process).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use injit_compiler::{Backend, CompileOptions, FunctionSet, JitError, TemplateSet};
use injit_runtime::Object;
use injit_runtime::types::GoType;
use injit_runtime::{Data, Library};
use serde_json::{Map, Value};

use crate::cluster::{ClusterState, MeshProxyConfig, NativeSidecars, PodMeta, PodSettings};
use crate::compiled::CompiledTemplate;
use crate::config::InjectorConfig;
use crate::config_data::ConfigData;
use crate::deadline::{Deadline, Stop};
use crate::decision::{self, Rules, Skip};
use crate::embedded::ConfigEra;
use crate::error::{Error, ErrorKind, TemplateError};
use crate::images::Images;
use crate::json_pointer::Pointer;
use crate::kept_element::KeptElements;
use crate::kept_render::{KeptRender, Ready, Reread};
use crate::pod::{self, Containers, PROXY, Place};
use crate::proxy_config::PROXY_CONFIG_ANNOTATION;
use crate::rendered_problems::{RenderedProblem, rendered_problems, rendered_problems_of_known_fields};
use crate::status::{self, Previous, STATUS_ANNOTATION};
use crate::template_data::{self, Render};
use crate::typed::Typed;
use crate::workload::Workload;
use crate::yaml::LastRead;
use crate::{merge, probes, prometheus};

/// The annotation listing the templates a pod asks for.
pub const TEMPLATES_ANNOTATION: &str = "inject.istio.io/templates";
/// Most templates one pod may ask for: Istio's configs name a few
/// (`sidecar,spire`), and every one is rendered and held.
pub const MAX_TEMPLATES: usize = 32;
/// The annotation recording user containers that override injected ones.
pub const OVERRIDES_ANNOTATION: &str = "proxy.istio.io/overrides";
const NATIVE_SIDECAR_ANNOTATION: &str = "sidecar.istio.io/nativeSidecar";
const NETWORK_LABEL: &str = "topology.istio.io/network";
/// The user id the proxy runs as (unless OpenShift assigns the namespace
/// a range).
pub const PROXY_UID: i64 = crate::cluster::openshift::DEFAULT_PROXY_ID;

/// Settings that are not part of the config files.
#[derive(Clone, Debug)]
pub struct Options {
    /// The control plane revision (`--revision`); empty for the default.
    pub revision: String,
    /// Whether sidecars run as native (restartable init) containers,
    /// Kubernetes 1.33+ (`ENABLE_NATIVE_SIDECARS`): on, off, or (Istio's
    /// default) decided per pod from the cluster's nodes, off when they
    /// are not known (`NativeSidecars::resolve`).
    pub native_sidecars: NativeSidecars,
    /// The platform is OpenShift (`PLATFORM=openshift`): the proxy runs as
    /// the top of its namespace's UID range, when the namespace is known.
    pub openshift: bool,
    /// `COMPLIANCE_POLICY` (e.g. `fips-140-3`).
    pub compliance_policy: String,
    pub backend: Backend,
    /// Whether injection takes its shortcuts (the default) or the path
    /// that follows Istio step by step, kept as the reference the
    /// shortcuts are tested against.
    pub pipeline: Pipeline,
}

/// How much of a pod each step of injection goes over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pipeline {
    /// Each round trip through `corev1.Pod` after a change covers what
    /// the change reached; the rest of the pod is as Go encodes it
    /// already.
    #[default]
    Fast,
    /// Every round trip covers the whole pod, as Istio's does: the
    /// reference for differential tests.
    Reference,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            revision: String::new(),
            native_sidecars: NativeSidecars::Auto,
            openshift: false,
            compliance_policy: String::new(),
            backend: Backend::Jit,
            pipeline: Pipeline::Fast,
        }
    }
}

/// How the mesh's ProxyConfig meets the pod's `proxy.istio.io/config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// `kube-inject` applies the annotation to the whole mesh config.
    KubeInject,
    /// The webhook applies it to the ProxyConfig only.
    Webhook,
}

/// One pod to inject: `Request::new`, then what differs from the
/// defaults (`rules`, `proxy_envs`, `typed`, `deadline`).
pub struct Request<'a> {
    pub(crate) workload: &'a Workload,
    /// `{"metadata": ..., "spec": ...}`.
    pub(crate) pod: &'a Value,
    pub(crate) rules: Rules<'a>,
    pub(crate) caller: Caller,
    /// Proxy environment set by the webhook URL (`/inject/cluster/X/net/Y`).
    pub(crate) proxy_envs: BTreeMap<String, String>,
    /// Whether `pod` is already as `corev1.Pod` reads it
    /// (`Typed::pod().normalize`, as the webhook decodes every pod it is
    /// sent): it is then not decoded a second time.
    pub(crate) typed: bool,
    /// When to give up (see `deadline.rs`).
    pub(crate) deadline: Deadline,
    /// What is known of the cluster (`None`: nothing, as `istioctl
    /// kube-inject` from files).
    pub(crate) cluster: Option<&'a ClusterState>,
}

impl<'a> Request<'a> {
    /// `pod` (`{"metadata": ..., "spec": ...}`) of `workload`, injected as
    /// `caller` does: decided by the pod's own choice only
    /// (`Rules::KUBE_INJECT`), with no proxy environment from the URL, the
    /// pod not yet decoded as `corev1.Pod`, and no deadline.
    pub fn new(workload: &'a Workload, pod: &'a Value, caller: Caller) -> Request<'a> {
        Request {
            workload,
            pod,
            rules: Rules::KUBE_INJECT,
            caller,
            proxy_envs: BTreeMap::new(),
            typed: false,
            deadline: Deadline::NONE,
            cluster: None,
        }
    }

    /// The policy and selectors that decide (the webhook's:
    /// `Rules::of(config)`).
    pub fn rules(mut self, rules: Rules<'a>) -> Request<'a> {
        self.rules = rules;
        self
    }

    /// Proxy environment set by the webhook URL (`/inject/cluster/X/net/Y`).
    pub fn proxy_envs(mut self, proxy_envs: BTreeMap<String, String>) -> Request<'a> {
        self.proxy_envs = proxy_envs;
        self
    }

    /// Says the pod is already as `corev1.Pod` reads it
    /// (`Typed::pod().normalize`, as the webhook decodes every pod it is
    /// sent), so that it is not decoded a second time.
    pub fn typed(mut self, typed: bool) -> Request<'a> {
        self.typed = typed;
        self
    }

    /// When to give up (see `deadline.rs`).
    pub fn deadline(mut self, deadline: Deadline) -> Request<'a> {
        self.deadline = deadline;
        self
    }

    /// The cluster's ProxyConfig resources, Namespaces and Nodes, as Istio's
    /// webhook reads them for every pod. Without it, the webhook sees no
    /// resources and knows neither namespaces nor nodes (as istiod without
    /// a Kubernetes client); `kube-inject` applies the pod's annotation to
    /// the mesh default only (as `istioctl kube-inject`). With it,
    /// `kube-inject`'s `.ProxyConfig` is the webhook's.
    pub fn cluster(mut self, cluster: &'a ClusterState) -> Request<'a> {
        self.cluster = Some(cluster);
        self
    }

    /// The pod's namespace: its own, else its controller's, else `default`.
    fn namespace(&self) -> &'a str {
        let own = self.pod.at("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
        let named = if own.is_empty() { self.workload.deployment.namespace.as_str() } else { own };
        // A manifest's object that names none is created where `kubectl
        // apply` puts it.
        if named.is_empty() { "default" } else { named }
    }
}

/// What injection did to a pod.
#[derive(Debug)]
pub enum Outcome {
    Injected(Value),
    Skipped(Skip),
}

/// Whether a pod sets its own proxy config, which `.ProxyConfig` (and for
/// kube-inject `.MeshConfig`) then reflect.
fn has_own_proxy_config(pod: &Value) -> bool {
    pod::annotation(pod, PROXY_CONFIG_ANNOTATION).is_some()
}

/// What an Istio 1.9+ injection renders from, and merges with.
struct CurrentInput<'s, 'p> {
    /// The pod as its Go type reads it.
    original: Cow<'p, Value>,
    /// The mesh config the templates see.
    mesh: Cow<'s, Value>,
    proxy_config: Cow<'s, Value>,
    /// Whether the templates render in their general form (`.ProxyConfig`
    /// or `.MeshConfig` not the mesh's default).
    own_proxy_config: bool,
    settings: PodSettings,
    proxy_envs: BTreeMap<String, String>,
    /// A previous injection's record, if the pod has one.
    previous: Option<Previous>,
    data: Data,
}

/// The overlays the templates rendered for a pod, in order, and the pod
/// they make together.
struct Rendered {
    overlays: Vec<RenderedOverlay>,
    /// Of which injection reads the names and decoding only: it may be a
    /// kept render's (`KeptRender::template_pod`).
    template_pod: Arc<Value>,
}

/// What one template rendered.
struct RenderedOverlay {
    name: String,
    /// The overlay, but for the lists whose elements `ready` holds.
    overlay: Value,
    /// Whether the proxy is among the template pod's init containers once
    /// the overlay is applied.
    proxy_in_init: bool,
    /// The kept render it was read from, if it was.
    reread: Option<Reread>,
    /// Elements of the overlay's lists, ready round-tripped
    /// (`KeptRender::elements`), those lists being left out of `overlay`
    /// (so that a pod they are all new to takes them without the lists
    /// being copied, merged and round-tripped).
    ready: Ready,
}

impl RenderedOverlay {
    /// The overlay whole: the lists left out for `ready` put back (and
    /// the ready elements given up).
    fn whole(&mut self) -> &Value {
        for (list, _) in std::mem::take(&mut self.ready) {
            self.put_back(list);
        }
        &self.overlay
    }

    /// Whether the overlay has a container named `name` (among its
    /// containers, not its init containers).
    fn has_container(&self, name: &str) -> bool {
        pod::find(&self.overlay, Containers::Regular, name).is_some()
            || self.ready.iter().any(|(list, elements)| {
                *list == "containers" && elements.iter().any(|element| pod::name_of(element) == name)
            })
    }

    /// Puts list `list`, left out for ready elements, back in the overlay.
    fn put_back(&mut self, list: &str) {
        let Some((kept, changed)) = &self.reread else { return };
        let made = kept.read.list_with(changed, list);
        if let (Some(made), Some(spec)) = (made, self.overlay.get_mut("spec").and_then(Value::as_object_mut)) {
            spec.insert(list.to_owned(), made);
        }
    }
}

/// A config's templates, compiled, with the mesh config and values.
pub struct Injector {
    config: InjectorConfig,
    mesh: Value,
    values: Value,
    /// `.Values` and the mesh's `.MeshConfig`, lent to each render.
    config_data: ConfigData,
    templates: BTreeMap<String, CompiledTemplate>,
    /// The SHA-256 of the 1.0/1.1 template (their status `version`).
    legacy_version: String,
    options: Options,
    /// The mesh's part of every pod's ProxyConfig, for the webhook's layering.
    mesh_proxy_config: MeshProxyConfig,
    /// What the proxy images are made of, from the values.
    images: Images,
    /// Each template's last render read as YAML, in each of its two forms
    /// (`compiled.rs`), to read the next render from.
    last_reads: BTreeMap<String, [Mutex<Option<Arc<KeptRender>>>; 2]>,
}

impl Injector {
    /// Compiles every template of the config (one that fails to parse
    /// fails the config, as in Istio).
    pub fn new(config: InjectorConfig, mesh: Value, values: Value, options: Options) -> Result<Injector, Error> {
        let data_type = match config.era {
            ConfigEra::Current => GoType::named("inject.SidecarTemplateData"),
            ConfigEra::Legacy => GoType::named("inject.LegacySidecarTemplateData"),
        };
        let mesh_proxy_config = MeshProxyConfig::of(&mesh);
        let config_data = ConfigData::new(&values, &mesh, mesh_proxy_config.base());
        let entry = |key: &str, data: Data| (key.into(), data);
        let general = Arc::new(Data::Object(Object::new(vec![entry("Values", config_data.values().clone())])));
        let typical = Arc::new(Data::Object(Object::new(vec![
            entry("Values", config_data.values().clone()),
            entry("MeshConfig", config_data.mesh().clone()),
            entry("ProxyConfig", template_data::proxy_config(mesh.get("defaultConfig").unwrap_or(&Value::Null))),
        ])));
        let mut templates = BTreeMap::new();
        for t in &config.templates {
            let compile = CompileOptions {
                name: "inject".to_owned(),
                delims: t.delims.clone(),
                functions: FunctionSet::new(Library::Istio),
                backend: options.backend,
                data_type,
                bound: Some(Arc::clone(&general)),
                ..CompileOptions::default()
            };
            let compiled = CompiledTemplate::new(t.text.clone(), compile, Arc::clone(&typical)).map_err(|e| {
                let line = config.file_line(t, e.span().start);
                TemplateError::Syntax { file: config.file.clone(), line, template: t.name.clone(), source: e }
            })?;
            templates.insert(t.name.clone(), compiled);
        }
        let legacy_version = match (config.era, config.templates.first()) {
            (ConfigEra::Legacy, Some(t)) => sha256_hex(t.text.as_bytes()),
            _ => String::new(),
        };
        let last_reads = templates.keys().map(|name| (name.clone(), Default::default())).collect();
        let images = Images::of(&values);
        Ok(Injector {
            config,
            mesh,
            values,
            config_data,
            templates,
            legacy_version,
            options,
            mesh_proxy_config,
            images,
            last_reads,
        })
    }

    pub fn config(&self) -> &InjectorConfig {
        &self.config
    }

    pub fn mesh(&self) -> &Value {
        &self.mesh
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Whether injecting the same pod always gives the same pod (no
    /// template calls `now`, `randAlphaNum`, `uuidv4`, `env`, …), so that
    /// answers may be reused.
    pub fn is_deterministic(&self) -> bool {
        self.templates.values().all(CompiledTemplate::is_deterministic)
    }

    /// The elements of pod lists (the proxy, its init containers, its
    /// volumes) its templates' kept renders add, for the copies of them an
    /// admission's patch adds: written from their kept text, and given
    /// back to be the next pod's instead of copies (`KeptElements`).
    pub fn kept_elements(&self) -> KeptElements {
        let mut kept = Vec::new();
        for forms in self.last_reads.values() {
            for last in forms {
                let last = last.lock().unwrap_or_else(PoisonError::into_inner);
                kept.extend(last.as_ref().filter(|k| k.has_elements()).map(Arc::clone));
            }
        }
        KeptElements::new(kept)
    }

    /// Decides, and injects when the decision is to inject.
    pub fn inject(&self, request: &Request<'_>) -> Result<Outcome, Error> {
        self.inject_warned(request, &mut Vec::new())
    }

    /// [`Injector::inject`], adding to `warnings` what the templates
    /// rendered that injection drops or keeps wrong (`rendered_problems`),
    /// each at the template line that wrote it.
    pub fn inject_warned(&self, request: &Request<'_>, warnings: &mut Vec<String>) -> Result<Outcome, Error> {
        if let Err(skip) = decision::decide(&request.rules, request.pod) {
            return Ok(Outcome::Skipped(skip));
        }
        let annotations = pod::annotations(request.pod);
        crate::validate::validate_annotations(&annotations).map_err(|e| Error::new(ErrorKind::InvalidAnnotation, e))?;
        let found = std::cell::RefCell::new(Vec::new());
        let inject_pod = |pod: &Value, workload: &Workload| {
            let request = Request {
                workload,
                pod,
                rules: request.rules,
                caller: request.caller,
                proxy_envs: request.proxy_envs.clone(),
                // The same pod with other strings: as typed as it was.
                typed: request.typed,
                deadline: request.deadline,
                cluster: request.cluster,
            };
            match self.config.era {
                // Warnings come from the pod itself, not from the probes
                // `guarded` injects with other strings.
                ConfigEra::Current if std::ptr::eq(pod, request.pod) => {
                    self.inject_current(&request, &mut found.borrow_mut())
                }
                ConfigEra::Current => self.inject_current(&request, &mut Vec::new()),
                ConfigEra::Legacy => self.inject_legacy(&request),
            }
        };
        let pod = crate::untrusted::guarded(request.pod, request.workload, inject_pod)?;
        warnings.extend(found.into_inner());
        Ok(Outcome::Injected(pod))
    }

    /// The mesh config as this pod sees it.
    fn pod_mesh(&self, pod: &Value) -> Result<Value, Error> {
        match pod::annotation(pod, PROXY_CONFIG_ANNOTATION) {
            Some(a) => crate::proxy_config::apply(&self.mesh, a).map_err(|e| {
                Error::new(ErrorKind::InvalidAnnotation, format!("annotation {PROXY_CONFIG_ANNOTATION}: {e}"))
            }),
            None => Ok(self.mesh.clone()),
        }
    }

    /// Renders template `name` in the form for a pod with or without its
    /// own proxy config.
    fn render(&self, name: &str, data: &Data, own_proxy_config: bool) -> Result<String, Error> {
        let Some(compiled) = self.templates.get(name) else {
            let have: Vec<&str> = self.templates.keys().map(String::as_str).collect();
            return Err(Error::new(
                ErrorKind::TemplateExec,
                format!("requested template {name:?} not found; have {}", have.join(", ")),
            ));
        };
        let set = compiled.for_pod(own_proxy_config).map_err(|e| TemplateError::Parse {
            file: self.config.file.clone(),
            template: name.to_owned(),
            source: e.clone(),
        })?;
        let mut out = Vec::new();
        set.render(data, &mut out).map_err(|e| {
            let source = self.config.templates.iter().find(|t| t.name == name);
            let at = source.zip(e.pos()).map(|(t, pos)| self.config.file_position(t, pos));
            TemplateError::Exec { file: self.config.file.clone(), at, template: name.to_owned(), source: e }
        })?;
        String::from_utf8(out)
            .map_err(|_| Error::new(ErrorKind::RenderedYaml, format!("template {name:?} rendered invalid UTF-8")))
    }

    /// How many templates the webhook renders for `pod` (its
    /// `inject.istio.io/templates` annotation, or the config's defaults,
    /// aliases expanded): what an admission's work grows with beyond the
    /// pod's size.
    pub fn templates_rendered(&self, pod: &Value) -> usize {
        self.selected_templates(pod, Caller::Webhook).len()
    }

    /// The templates a pod asks for, aliases expanded. `istioctl
    /// kube-inject` knows neither the config's `defaultTemplates` nor its
    /// `aliases` (`IntoObject`: default `sidecar`, no aliases).
    fn selected_templates(&self, pod: &Value, caller: Caller) -> Vec<String> {
        let names: Vec<String> = match (pod::annotation(pod, TEMPLATES_ANNOTATION), caller) {
            (Some(list), _) => list.split(',').map(|n| n.trim().to_owned()).collect(),
            (None, Caller::Webhook) => self.config.default_templates.clone(),
            (None, Caller::KubeInject) => vec!["sidecar".to_owned()],
        };
        match caller {
            Caller::Webhook => names
                .into_iter()
                .flat_map(|n| self.config.aliases.get(&n).cloned().unwrap_or_else(|| vec![n]))
                .collect(),
            Caller::KubeInject => names,
        }
    }

    fn render_data(
        &self,
        request: &Request<'_>,
        template_pod: &Value,
        mesh: &Value,
        proxy_config: &Value,
        settings: PodSettings,
    ) -> Data {
        let annotations = pod::annotations(template_pod);
        let lent = self.config_data.lend(self.is_config_mesh(mesh), self.is_base_proxy_config(proxy_config));
        let render = Render {
            type_meta: &request.workload.type_meta,
            deployment: &request.workload.deployment,
            pod: template_pod,
            mesh,
            mesh_data: lent.mesh.unwrap_or_else(|| crate::object::to_float_data(mesh)),
            proxy_config: lent.proxy_config.unwrap_or_else(|| template_data::proxy_config(proxy_config)),
            values: lent.values,
            revision: &self.options.revision,
            native_sidecars: settings.native_sidecars,
            proxy_image: self.images.proxy(proxy_config, &annotations),
            proxy_init_image: self.images.proxy_init(&annotations),
            proxy_uid: settings.proxy_uid,
            proxy_gid: settings.proxy_gid,
            compliance_policy: &self.options.compliance_policy,
        };
        match self.config.era {
            ConfigEra::Current => template_data::current(render),
            ConfigEra::Legacy => template_data::legacy(render),
        }
    }

    /// Whether `mesh` is the config's own (whose `.MeshConfig` is lent).
    fn is_config_mesh(&self, mesh: &Value) -> bool {
        std::ptr::eq(mesh, &self.mesh)
    }

    /// Whether `proxy_config` is the one of pods nothing layers (whose
    /// `.ProxyConfig` is lent).
    fn is_base_proxy_config(&self, proxy_config: &Value) -> bool {
        self.mesh_proxy_config.is_base(proxy_config)
    }

    /// Frees render data made by `render_data` for `mesh` and
    /// `proxy_config`, giving back what it was lent.
    fn free_render_data(&self, data: Data, mesh: &Value, proxy_config: &Value) {
        self.config_data.give_back(data, self.is_config_mesh(mesh), self.is_base_proxy_config(proxy_config));
    }

    /// What the templates see for this pod (`SidecarTemplateData`), as
    /// injection would build it (a previous injection's record believed
    /// whole): for template authors and benchmarks that render a template
    /// alone.
    pub fn template_data(&self, request: &Request<'_>) -> Result<Data, Error> {
        match self.config.era {
            ConfigEra::Current => Ok(self.current_input(request)?.data),
            ConfigEra::Legacy => Ok(self.legacy_input(request, legacy_previous(request.pod).as_ref())?.1),
        }
    }

    /// A problem in what template `name` rendered, named at the config
    /// file's line and column that wrote it: found by rendering again on
    /// the evaluator with a trace (rare, so the common render pays
    /// nothing).
    fn rendered_warning(&self, name: &str, data: &Data, own_proxy_config: bool, problem: &RenderedProblem) -> String {
        let at = problem.offset.and_then(|offset| self.written_at(name, data, own_proxy_config, offset));
        let file = &self.config.file;
        match at {
            Some((line, column)) => format!("{file}:{line}:{column}: template {name:?}: {problem}"),
            None => format!("{file}: template {name:?}: {problem}"),
        }
    }

    /// The config file's line and column that wrote byte `offset` of what
    /// template `name` renders for `data`: found by rendering it again on
    /// the evaluator with a trace (rare, so the common render pays
    /// nothing).
    fn written_at(&self, name: &str, data: &Data, own_proxy_config: bool, offset: usize) -> Option<(usize, usize)> {
        let source = self.config.templates.iter().find(|t| t.name == name)?;
        let set = self.templates.get(name)?.for_pod(own_proxy_config).ok()?;
        let (_, trace) = set.render_traced(data, &mut Vec::new());
        trace.template_offset(offset).map(|pos| self.config.file_position(source, pos))
    }

    /// The text each template the pod asks for renders (before it is read
    /// as YAML), by name, in order: what a template author compares with
    /// the injected pod. Stops at the first template that fails.
    pub fn rendered_texts(&self, request: &Request<'_>) -> Result<Vec<(String, String)>, Error> {
        match self.config.era {
            ConfigEra::Current => {
                let input = self.current_input(request)?;
                let names = self.selected_templates(&input.original, request.caller);
                names
                    .into_iter()
                    .map(|name| {
                        let text = self.render(&name, &input.data, input.own_proxy_config)?;
                        Ok((name, text))
                    })
                    .collect()
            }
            ConfigEra::Legacy => {
                let (pod, data) = self.legacy_input(request, legacy_previous(request.pod).as_ref())?;
                let name = self.config.templates.first().map(|t| t.name.clone()).unwrap_or_else(|| "template".into());
                let text = self.render(&name, &data, has_own_proxy_config(&pod))?;
                Ok(vec![(name, text)])
            }
        }
    }

    /// The compiled template named `name` in the form injection uses for
    /// `pod`: with `.MeshConfig` and `.ProxyConfig` bound unless the pod
    /// has its own proxy config (`compiled.rs`).
    pub fn template(&self, name: &str, pod: &Value) -> Option<&TemplateSet> {
        self.templates.get(name)?.for_pod(has_own_proxy_config(pod)).ok()
    }

    /// The backend each template runs on, by name: `Jit` unless the
    /// evaluator was asked for ([`Options::backend`]) or native code could
    /// not be generated for a form compiled so far (see [`Self::fallbacks`];
    /// [`Self::compile_all`] compiles every form).
    pub fn backends(&self) -> impl Iterator<Item = (&str, Backend)> {
        self.templates.iter().map(|(name, t)| (name.as_str(), t.backend()))
    }

    /// The templates that asked for native code but run on the evaluator,
    /// and why: servers log them and count them, never silently.
    pub fn fallbacks(&self) -> impl Iterator<Item = (&str, &JitError)> {
        self.templates.iter().filter_map(|(name, t)| Some((name.as_str(), t.jit_error()?)))
    }

    /// Compiles now what would otherwise be compiled when first needed:
    /// servers call it when a config loads, off the request path.
    pub fn compile_all(&self) {
        self.templates.values().for_each(CompiledTemplate::compile_general);
    }

    /// The pod, configs and template data of an Istio 1.9+ injection.
    fn current_input<'p>(&self, request: &Request<'p>) -> Result<CurrentInput<'_, 'p>, Error> {
        let original = if request.typed {
            Cow::Borrowed(request.pod)
        } else {
            Cow::Owned(Typed::pod().normalize(request.pod).map_err(|e| Error::new(ErrorKind::Input, e))?)
        };
        request.deadline.check()?;
        let mut original = original;
        // istiod on OpenShift, before injecting (kube-inject only with a
        // cluster, so that it gives the webhook's pod).
        if PodSettings::openshift_applies(request.cluster, &self.options) {
            crate::cluster::openshift::forget_proxy_user_copied_from_app(original.to_mut());
        }
        let settings = PodSettings::of(&original, request.namespace(), request.cluster, &self.options);
        let (mesh, proxy_config) = self.pod_configs(request, &original)?;
        // The typical form has the mesh's `defaultConfig` bound as
        // `.ProxyConfig` (and the mesh as `.MeshConfig`, which only the
        // annotation changes).
        let own_proxy_config =
            has_own_proxy_config(&original) || !self.mesh_proxy_config.is_mesh_default(&proxy_config);
        let mut proxy_envs = request.proxy_envs.clone();
        let (cluster, network) = self.cluster_and_network(&original, &proxy_envs);
        if !cluster.is_empty() {
            proxy_envs.insert("ISTIO_META_CLUSTER_ID".to_owned(), cluster);
        }
        if !network.is_empty() {
            proxy_envs.insert("ISTIO_META_NETWORK".to_owned(), network);
        }
        let previous = Previous::of(&original);
        let stripped = reinsert_overrides(strip(&original, &mesh, previous.as_ref()))?;
        request.deadline.check()?;
        let data = self.render_data(request, &stripped, &mesh, &proxy_config, settings);
        request.deadline.check()?;
        Ok(CurrentInput { original, mesh, proxy_config, own_proxy_config, settings, proxy_envs, previous, data })
    }

    /// The mesh config and ProxyConfig the templates see for this pod.
    /// The webhook layers the ProxyConfig as Istio's `EffectiveProxyConfig`
    /// (the cluster's ProxyConfig resources and the pod's annotation) and
    /// leaves the mesh config alone; kube-inject applies the annotation to
    /// the mesh config's default (`mesh.ApplyProxyConfig`), and with a
    /// cluster takes the webhook's ProxyConfig.
    fn pod_configs<'s>(
        &'s self,
        request: &Request<'_>,
        pod: &Value,
    ) -> Result<(Cow<'s, Value>, Cow<'s, Value>), Error> {
        let layered = || {
            let no_cluster = ClusterState::default();
            let configs = request.cluster.unwrap_or(&no_cluster).proxy_configs();
            let pod_meta = PodMeta::of(pod, request.namespace());
            configs.effective(&self.mesh_proxy_config, &pod_meta)
        };
        match (request.caller, request.cluster) {
            (Caller::Webhook, _) => Ok((Cow::Borrowed(&self.mesh), layered())),
            (Caller::KubeInject, cluster) => {
                let pod_mesh = self.pod_mesh(pod)?;
                let proxy_config = match cluster {
                    Some(_) => layered(),
                    None => Cow::Owned(pod_mesh.get("defaultConfig").cloned().unwrap_or(Value::Null)),
                };
                Ok((Cow::Owned(pod_mesh), proxy_config))
            }
        }
    }

    /// The round trip after a change to a typed pod: of what changed,
    /// unless the reference pipeline is asked for.
    fn after_change(&self) -> RoundTrip {
        match self.options.pipeline {
            Pipeline::Fast => RoundTrip::Patched,
            Pipeline::Reference => RoundTrip::Whole,
        }
    }

    /// The round trip of the template pod, of which injection reads the
    /// containers', volumes' and pull secrets' names only: its decoding
    /// errors, unless the reference pipeline is asked for.
    fn of_template_pod(&self) -> RoundTrip {
        match self.options.pipeline {
            Pipeline::Fast => RoundTrip::Checked,
            Pipeline::Reference => RoundTrip::Whole,
        }
    }

    /// What template `name` rendered, read as an overlay: from its last
    /// render when only one-line scalars differ (`yaml::LastRead`), which
    /// the reference pipeline does not do.
    fn read_overlay(
        &self,
        name: &str,
        own_proxy_config: bool,
        rendered: &str,
    ) -> Result<(Value, Option<Reread>, Ready), OverlayError> {
        let last = self.last_reads.get(name).map(|forms| &forms[usize::from(own_proxy_config)]);
        let Some(last) = last.filter(|_| self.options.pipeline == Pipeline::Fast) else {
            return Ok((parse_overlay(rendered)?, None, Vec::new()));
        };
        let previous = last.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(previous) = previous
            && let Some(changed) = previous.read.changed_scalars(rendered)
        {
            // Ready elements are for the patched round trip; an overlay
            // with unknown fields is read whole, for its warnings.
            let ready = match self.after_change() {
                RoundTrip::Patched if previous.has_known_fields() => previous.elements(&changed),
                _ => Vec::new(),
            };
            let left_out: Vec<&str> = ready.iter().map(|(list, _)| *list).collect();
            let overlay = previous.read.tree_with(&changed, &left_out);
            return Ok((overlay, Some((previous, changed)), ready));
        }
        match LastRead::read(rendered) {
            Some((overlay, read)) => {
                *last.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(KeptRender::new(read)));
                Ok((overlay, None, Vec::new()))
            }
            None => Ok((parse_overlay(rendered)?, None, Vec::new())),
        }
    }

    /// Renders the templates in turn, each applied to the template pod.
    fn render_templates(
        &self,
        names: &[String],
        data: &Data,
        own_proxy_config: bool,
        deadline: Deadline,
        warnings: &mut Vec<String>,
    ) -> Result<Rendered, Error> {
        let mut template_pod = Typed::empty_pod();
        let mut overlays = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            deadline.check()?;
            let rendered = self.render(name, data, own_proxy_config)?;
            let (overlay, reread, ready) = self.read_overlay(name, own_proxy_config, &rendered).map_err(|e| {
                // The rendered line means nothing to the template's author:
                // the config's line that wrote it does.
                let place = e.at.map(|(line, column)| line_offset(&rendered, line) + column.saturating_sub(1));
                match place.and_then(|offset| self.written_at(name, data, own_proxy_config, offset)) {
                    Some((line, column)) => {
                        let file = &self.config.file;
                        e.error.context(format_args!("template {name:?} (rendered from {file}:{line}:{column})"))
                    }
                    None => e.error.context(format_args!("template {name:?}")),
                }
            })?;
            let mut rendered_overlay =
                RenderedOverlay { name: name.clone(), overlay, proxy_in_init: false, reread, ready };
            let problems = match &rendered_overlay.reread {
                Some((kept, _)) if kept.has_known_fields() => rendered_problems_of_known_fields(&rendered),
                _ => rendered_problems(&rendered, rendered_overlay.whole()),
            };
            for problem in problems {
                warnings.push(self.rendered_warning(name, data, own_proxy_config, &problem));
            }
            // A lone template merges into an empty pod: the same pod each
            // time but for the scalars that changed, which injection does
            // not read. (A second template would merge into those.)
            let alone = i == 0 && names.len() == 1;
            let kept = rendered_overlay
                .reread
                .as_ref()
                .filter(|_| alone)
                .and_then(|(kept, changed)| kept.template_pod(changed));
            template_pod = match kept {
                Some(made) => made,
                None => apply_overlay(
                    Arc::unwrap_or_clone(template_pod),
                    rendered_overlay.whole(),
                    self.of_template_pod(),
                    deadline,
                )
                .map(Arc::new)
                .map_err(|e| {
                    e.into_error(|e| {
                        Error::new(
                            ErrorKind::RenderedYaml,
                            format!("template {name:?}: failed applying injection overlay: {e}"),
                        )
                    })
                })?,
            };
            rendered_overlay.proxy_in_init = pod::find(&template_pod, Containers::Init, PROXY).is_some();
            overlays.push(rendered_overlay);
        }
        Ok(Rendered { overlays, template_pod })
    }

    /// Istio 1.9+: each template renders a pod overlay, strategically
    /// merged into the pod.
    fn inject_current(&self, request: &Request<'_>, warnings: &mut Vec<String>) -> Result<Value, Error> {
        let CurrentInput { original, mesh, proxy_config, own_proxy_config, settings, proxy_envs, previous, data } =
            self.current_input(request)?;
        let mesh = &*mesh;
        let original = &*original;
        let deadline = request.deadline;
        let names = self.selected_templates(original, request.caller);
        if names.len() > MAX_TEMPLATES {
            // Istio renders and merges a name as often as it is listed; each
            // render held until the merge is memory a pod's author could
            // multiply at will.
            return Err(Error::new(
                ErrorKind::InvalidAnnotation,
                format!(
                    "annotation {TEMPLATES_ANNOTATION}: names {} templates (aliases expanded), more than the {MAX_TEMPLATES} injit renders for one pod",
                    names.len()
                ),
            ));
        }
        let mut rendered = self.render_templates(&names, &data, own_proxy_config, deadline, warnings)?;
        // A previous injection's record naming containers this injection
        // would not add is not wholly believed (`Previous::believed`): the
        // templates render again, seeing those containers.
        if let Some(believed) =
            previous.as_ref().and_then(|p| p.believed(spec_of(original), spec_of(&rendered.template_pod)))
        {
            let stripped = reinsert_overrides(strip(original, mesh, Some(&believed)))?;
            let data = self.render_data(request, &stripped, mesh, &proxy_config, settings);
            warnings.clear();
            rendered = self.render_templates(&names, &data, own_proxy_config, deadline, warnings)?;
            self.free_render_data(data, mesh, &proxy_config);
        }
        // What the templates saw is no longer needed: freed before the
        // pod is processed further (a large pod's peak memory).
        self.free_render_data(data, mesh, &proxy_config);
        let Rendered { overlays, template_pod } = rendered;
        let mut merged = original.clone();
        let native = match pod::annotation(original, NATIVE_SIDECAR_ANNOTATION) {
            Some("true") => true,
            Some("false") => false,
            _ => settings.native_sidecars,
        };
        // Whether the previous injection put the proxy among the init
        // containers (a native sidecar).
        let native_before = previous.as_ref().is_some_and(|p| p.init_containers.iter().any(|n| n == PROXY));
        for mut rendered in overlays {
            deadline.check()?;
            let proxy_in_init = rendered.proxy_in_init;
            // Istio's move to native: the proxy in the containers (the
            // user's, or the classic one injected before, whose fields the
            // template does not set stay: Istio's goldens keep them).
            let mut round_trip = self.after_change();
            if native && proxy_in_init && pod::find(&merged, Containers::Regular, PROXY).is_some() {
                pod::transfer(&mut merged, Containers::Regular, Containers::Init, PROXY);
                round_trip = RoundTrip::Whole;
            }
            // The move back, which Istio does not make (its merge keeps
            // the old proxy among the init containers beside the new one,
            // two containers of one name the API server refuses): the
            // native proxy injected last time moves to the containers, as
            // Istio moves it the other way, keeping what re-injection
            // keeps (the app's probers), without the `restartPolicy` only
            // init containers may have.
            if !proxy_in_init && native_before && rendered.has_container(PROXY) {
                pod::transfer(&mut merged, Containers::Init, Containers::Regular, PROXY);
                if let Some(proxy) =
                    pod::find_mut(&mut merged, Containers::Regular, PROXY).and_then(Value::as_object_mut)
                {
                    proxy.remove("restartPolicy");
                }
                round_trip = RoundTrip::Whole;
            }
            let name = std::mem::take(&mut rendered.name);
            let applied = if round_trip == RoundTrip::Patched && !rendered.ready.is_empty() {
                apply_overlay_adding(std::mem::take(&mut merged), rendered, deadline)
            } else {
                apply_overlay(std::mem::take(&mut merged), rendered.whole(), round_trip, deadline)
            };
            merged = applied.map_err(|e| {
                e.into_error(|e| Error::new(
                    ErrorKind::RenderedYaml,
                    format!("template {name:?}: failed parsing generated injected YAML (check Istio sidecar injector configuration): {e}"),
                ))
            })?;
        }

        let mut merged =
            reapply_overwritten_containers(merged, original, &template_pod, self.after_change(), deadline)?;
        adjust_init_container_user(&mut merged, user_proxy(original)?.as_ref(), &proxy_config);
        deadline.check()?;
        self.post_process(&mut merged, &template_pod, original, mesh, &proxy_envs, request)?;
        deadline.check()?;
        match self.after_change() {
            RoundTrip::Patched => {
                let touched = post_processed(&merged, &proxy_envs);
                Typed::pod().normalize_patched(&mut merged, &touched)
            }
            _ => Typed::pod().normalize_owned(std::mem::take(&mut merged)).map(|pod| merged = pod),
        }
        .map_err(|e| Error::new(ErrorKind::RenderedYaml, e))?;
        Ok(merged)
    }

    fn cluster_and_network(&self, pod: &Value, proxy_envs: &BTreeMap<String, String>) -> (String, String) {
        let from_values = |p: &str| self.values.at(p).and_then(Value::as_str).unwrap_or_default().to_owned();
        let mut cluster = from_values("/global/multiCluster/clusterName");
        let mut network = from_values("/global/network");
        if let Some(c) = proxy_envs.get("ISTIO_META_CLUSTER_ID").filter(|c| !c.is_empty()) {
            cluster = c.clone();
        }
        if let Some(n) = proxy_envs.get("ISTIO_META_NETWORK").filter(|n| !n.is_empty()) {
            network = n.clone();
        }
        if let Some(n) = pod::label(pod, NETWORK_LABEL) {
            network = n.to_owned();
        }
        (cluster, network)
    }

    /// `postProcessPod`: cluster env, metrics merging, probes, metadata,
    /// container order.
    fn post_process(
        &self,
        pod: &mut Value,
        template_pod: &Value,
        original: &Value,
        mesh: &Value,
        proxy_envs: &BTreeMap<String, String>,
        request: &Request<'_>,
    ) -> Result<(), Error> {
        pod::annotations_mut(pod);
        pod::labels_mut(pod);
        if !proxy_envs.is_empty()
            && let Some(sidecar) = pod::find_any_mut(pod, PROXY)
        {
            overwrite_envs(sidecar, proxy_envs);
        }
        prometheus::apply_merge(pod, mesh).map_err(|e| Error::new(ErrorKind::InvalidAnnotation, e))?;
        prometheus::apply_secure_port(pod);
        let previously_injected = pod::annotation(pod, STATUS_ANNOTATION).is_some();
        probes::apply(pod, &self.values, prometheus::status_port(mesh), previously_injected, request.deadline)
            .map_err(|e| e.into_error(|e| Error::new(ErrorKind::RenderedYaml, e)))?;
        if let Some(network) = proxy_envs.get("ISTIO_META_NETWORK") {
            pod::labels_mut(pod).insert(NETWORK_LABEL.to_owned(), Value::String(network.clone()));
        }
        let status = status::current(template_pod, &self.options.revision);
        pod::annotations_mut(pod).insert(STATUS_ANNOTATION.to_owned(), Value::String(status));
        // Only the webhook is given the config's injectedAnnotations.
        if request.caller == Caller::Webhook {
            for (k, v) in &self.config.injected_annotations {
                pod::annotations_mut(pod).insert(k.clone(), Value::String(v.clone()));
            }
        }
        self.reorder(pod, original, mesh)
    }

    /// `reorderPod`: the proxy last among containers (first when the app
    /// waits for it); init containers so that traffic capture is set up
    /// at the right moment.
    fn reorder(&self, pod: &mut Value, original: &Value, mesh: &Value) -> Result<(), Error> {
        let pod_mesh = match pod::annotation(original, PROXY_CONFIG_ANNOTATION) {
            Some(a) => Cow::Owned(
                crate::proxy_config::apply(mesh, a).map_err(|e| Error::new(ErrorKind::InvalidAnnotation, e))?,
            ),
            None => Cow::Borrowed(mesh),
        };
        let hold =
            pod_mesh.at("/defaultConfig/holdApplicationUntilProxyStarts").and_then(Value::as_bool).unwrap_or(false)
                || self
                    .values
                    .at("/global/proxy/holdApplicationUntilProxyStarts")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
        pod::move_container(pod, Containers::Regular, PROXY, if hold { Place::First } else { Place::Last });
        if pod::find(pod, Containers::Init, PROXY).is_some() {
            for name in [pod::ENABLE_CORE_DUMP, PROXY, pod::VALIDATION, pod::INIT] {
                pod::move_container(pod, Containers::Init, name, Place::First);
            }
        } else {
            pod::move_container(pod, Containers::Init, pod::VALIDATION, Place::First);
            pod::move_container(pod, Containers::Init, pod::INIT, Place::Last);
            pod::move_container(pod, Containers::Init, pod::ENABLE_CORE_DUMP, Place::Last);
        }
        Ok(())
    }

    /// The pod (what `previous` records a previous injection added taken
    /// out) and template data of an Istio 1.0/1.1 injection.
    fn legacy_input(&self, request: &Request<'_>, previous: Option<&Previous>) -> Result<(Value, Data), Error> {
        let mut pod = request.pod.clone();
        // Take out what a previous injection added, so that injecting
        // again gives the same pod.
        if let Some(previous) = previous {
            for (key, names) in [
                ("containers", &previous.containers),
                ("initContainers", &previous.init_containers),
                ("volumes", &previous.volumes),
                ("imagePullSecrets", &previous.image_pull_secrets),
            ] {
                let names: HashSet<&str> = names.iter().map(String::as_str).collect();
                if let Some(list) = pod.at_mut(&format!("/spec/{key}")).and_then(Value::as_array_mut) {
                    list.retain(|item| !names.contains(pod::name_of(item)));
                }
            }
            pod::annotations_mut(&mut pod).remove(STATUS_ANNOTATION);
        }
        // Istio 1.0/1.1 read no ProxyConfig resources: the annotation on the
        // mesh's default, for both callers.
        let mesh = self.pod_mesh(&pod)?;
        let proxy_config = mesh.get("defaultConfig").cloned().unwrap_or(Value::Null);
        let settings = PodSettings::of(&pod, request.namespace(), request.cluster, &self.options);
        let data = self.render_data(request, &pod, &mesh, &proxy_config, settings);
        Ok((pod, data))
    }

    /// The `SidecarInjectionSpec` the 1.0/1.1 template renders.
    fn legacy_spec(&self, pod: &Value, data: &Data) -> Result<Value, Error> {
        let name = self.config.templates.first().map(|t| t.name.clone()).unwrap_or_else(|| "template".to_owned());
        let rendered = self.render(&name, data, has_own_proxy_config(pod))?;
        let mut spec = parse_overlay(&rendered).map_err(|e| e.error)?;
        // 1.0/1.1 decoded it into the Kubernetes types of their day: what
        // those did not have (`restartPolicy` on `istio-init`) vanished.
        crate::legacy_types::drop_unknown_fields(&mut spec);
        // They read the YAML straight into the typed spec, so `- 15001`
        // in `args` is the string "15001".
        let spec_type = Typed::named("inject.SidecarInjectionSpec");
        spec_type.coerce_yaml_scalars(&mut spec);
        spec_type.normalize(&spec).map_err(|e| Error::new(ErrorKind::RenderedYaml, e))
    }

    /// Istio 1.0/1.1: the template renders a `SidecarInjectionSpec` whose
    /// containers, volumes and pull secrets are appended to the pod.
    fn inject_legacy(&self, request: &Request<'_>) -> Result<Value, Error> {
        let previous = legacy_previous(request.pod);
        let (mut pod, data) = self.legacy_input(request, previous.as_ref())?;
        request.deadline.check()?;
        let mut spec = self.legacy_spec(&pod, &data)?;
        // What a previous injection's record names and this one would not
        // add is the user's (`Previous::believed`): kept in the pod, and
        // rendered for.
        if let Some(believed) = previous.and_then(|p| p.believed(spec_of(request.pod), &spec)) {
            let (believed_pod, data) = self.legacy_input(request, Some(&believed))?;
            request.deadline.check()?;
            spec = self.legacy_spec(&believed_pod, &data)?;
            pod = believed_pod;
        }
        request.deadline.check()?;
        for key in ["initContainers", "containers", "volumes", "imagePullSecrets"] {
            let Some(Value::Array(items)) = spec.get(key) else { continue };
            let spec_obj = crate::object::ensure_object(&mut pod, &["spec"]);
            let list = spec_obj.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            list.as_array_mut().expect("an array").extend(items.iter().cloned());
        }
        if let Some(dns) = spec.get("dnsConfig").filter(|d| d.is_object()) {
            crate::object::ensure_object(&mut pod, &["spec"]).insert("dnsConfig".to_owned(), dns.clone());
        }
        let status = status::legacy(&self.legacy_version, &spec);
        pod::annotations_mut(&mut pod).insert(STATUS_ANNOTATION.to_owned(), Value::String(status));
        Ok(pod)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn spec_of(pod: &Value) -> &Value {
    pod.get("spec").unwrap_or(&Value::Null)
}

/// The legacy status: which items to take out on re-injection.
fn legacy_previous(pod: &Value) -> Option<Previous> {
    pod::annotation(pod, STATUS_ANNOTATION)?;
    Previous::of(pod)
}

/// The byte offset where 1-based line `line` of `text` starts.
fn line_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum()
}

/// Rendered YAML that is not an overlay: Istio's error, and the rendered
/// line and column (1-based) it is about, if any.
struct OverlayError {
    error: Error,
    at: Option<(usize, usize)>,
}

/// The rendered YAML as an overlay object (YAML 1.1, as
/// `sigs.k8s.io/yaml` reads it).
fn parse_overlay(rendered: &str) -> Result<Value, OverlayError> {
    let docs = crate::object::yaml_documents(rendered).map_err(|e| OverlayError {
        error: Error::new(
            ErrorKind::RenderedYaml,
            format!(
                "failed parsing generated injected YAML (check Istio sidecar injector configuration): line {}: {}",
                e.line, e.message
            ),
        ),
        at: Some((e.line, e.column)),
    })?;
    match docs.into_iter().next() {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(v @ Value::Object(_)) => Ok(v),
        Some(other) => Err(OverlayError {
            error: Error::new(
                ErrorKind::RenderedYaml,
                format!(
                    "failed parsing generated injected YAML (check Istio sidecar injector configuration): json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_kind(&other)
                ),
            ),
            at: None,
        }),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        _ => "object",
    }
}

/// What post-processing and the init container's user may have changed in
/// a typed pod, as a patch that names it (for `normalize_patched`, which
/// takes a field set to `true` as replaced, to be round-tripped whole):
/// the pod's annotations and labels; the proxy's variables post-processing
/// sets and its security context; the init container's security context
/// and arguments; every other container's probes and hooks.
fn post_processed(pod: &Value, proxy_envs: &BTreeMap<String, String>) -> Value {
    const PROXY_FIELDS: &[&str] = &["securityContext"];
    const INIT_FIELDS: &[&str] = &["securityContext", "args", "readinessProbe", "livenessProbe", "startupProbe"];
    const APP_FIELDS: &[&str] = &["readinessProbe", "livenessProbe", "startupProbe", "lifecycle"];
    // The proxy's variables post-processing sets; the rest were
    // round-tripped as the overlay brought them.
    let set_env = |name: &str| {
        proxy_envs.contains_key(name) || name == prometheus::ANNOTATIONS_ENV || name == probes::PROBERS_ENV
    };
    let named = |which: Containers| -> Vec<Value> {
        pod::containers(pod, which)
            .iter()
            .filter_map(|c| {
                let name = pod::name_of(c);
                let fields = match name {
                    PROXY => PROXY_FIELDS,
                    pod::INIT | pod::VALIDATION => INIT_FIELDS,
                    _ => APP_FIELDS,
                };
                let mut touched: Map<String, Value> = fields
                    .iter()
                    .filter(|f| c.get(f).is_some())
                    .map(|f| ((*f).to_owned(), Value::Bool(true)))
                    .collect();
                if name == PROXY
                    && let Some(env) = c.get("env").and_then(Value::as_array)
                {
                    let set: Vec<Value> = env
                        .iter()
                        .filter(|var| set_env(pod::name_of(var)))
                        .filter_map(Value::as_object)
                        .map(|var| {
                            let fields = var.iter().map(|(k, v)| {
                                // An element's patch names it by its merge key.
                                (k.clone(), if k == "name" { v.clone() } else { Value::Bool(true) })
                            });
                            Value::Object(fields.collect())
                        })
                        .collect();
                    if !set.is_empty() {
                        touched.insert("env".to_owned(), Value::Array(set));
                    }
                }
                if touched.is_empty() {
                    return None;
                }
                touched.insert("name".to_owned(), Value::String(name.to_owned()));
                Some(Value::Object(touched))
            })
            .collect()
    };
    // Built from parts (`json!` would copy the lists through its
    // serialiser).
    let object =
        |entries: [(&str, Value); 2]| Value::Object(entries.map(|(k, v)| (k.to_owned(), v)).into_iter().collect());
    object([
        ("metadata", object([("annotations", Value::Bool(true)), ("labels", Value::Bool(true))])),
        (
            "spec",
            object([
                ("containers", Value::Array(named(Containers::Regular))),
                ("initContainers", Value::Array(named(Containers::Init))),
            ]),
        ),
    ])
}

/// How much of a pod the round trip through `corev1.Pod` after a merge
/// covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RoundTrip {
    /// What the overlay reached: the pod was as `corev1.Pod` encodes it
    /// before the merge. The same result as `Whole`, at the overlay's
    /// cost rather than the pod's.
    Patched,
    /// All of it (Istio's round trip).
    Whole,
    /// None: the merged pod is only decoded, for the error Istio's round
    /// trip gives, and left as merged (for a pod of which only names are
    /// read).
    Checked,
}

/// `applyOverlayYAML`: strategic merge, then a round trip through
/// `corev1.Pod`.
fn apply_overlay(
    mut pod: Value,
    overlay: &Value,
    round_trip: RoundTrip,
    deadline: Deadline,
) -> Result<Value, Stop<String>> {
    merge::merge_until(&mut pod, overlay, deadline)?;
    deadline.check()?;
    match round_trip {
        RoundTrip::Patched => Typed::pod().normalize_patched(&mut pod, overlay).map_err(Stop::Failed)?,
        RoundTrip::Whole => pod = Typed::pod().normalize_owned(pod).map_err(Stop::Failed)?,
        RoundTrip::Checked => Typed::pod().check(&pod).map_err(Stop::Failed)?,
    }
    Ok(pod)
}

/// `apply_overlay` with the round trip of what the overlay reached, of a
/// rendered overlay with elements of some pod lists ready round-tripped
/// (`RenderedOverlay::ready`): a list none of whose elements has its key
/// in the pod's is left out of the merge and those elements put first in
/// it, as the merge would put them, round-tripped whole; any other list
/// is put back in the overlay and merged.
fn apply_overlay_adding(
    mut pod: Value,
    mut rendered: RenderedOverlay,
    deadline: Deadline,
) -> Result<Value, Stop<String>> {
    let mut added = Vec::with_capacity(rendered.ready.len());
    for (list, ready) in std::mem::take(&mut rendered.ready) {
        // The elements' keys: the ready ones' (merge keys are never
        // changed scalars of ready elements).
        let key = merge::merge_key(list);
        let in_pod = pod.get("spec").and_then(|spec| spec.get(list)).and_then(Value::as_array);
        let there: Vec<&Value> = in_pod.into_iter().flatten().filter_map(|e| e.get(key?)).collect();
        let new = |element: &Value| key.and_then(|key| element.get(key)).is_some_and(|k| !there.contains(&k));
        if ready.iter().all(new) {
            added.push((list, ready));
        } else {
            rendered.put_back(list);
        }
    }
    let overlay = rendered.overlay;
    merge::merge_until(&mut pod, &overlay, deadline)?;
    deadline.check()?;
    Typed::pod().normalize_patched(&mut pod, &overlay).map_err(Stop::Failed)?;
    for (list, mut ready) in added {
        let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { continue };
        if let Some(Value::Array(there)) = spec.remove(list) {
            ready.extend(there);
        }
        spec.insert(list.to_owned(), Value::Array(ready));
    }
    Ok(pod)
}

/// `stripPod`: a previously injected pod as the template should see it —
/// without the containers the last injection added, its Prometheus
/// annotations, or its status.
fn strip<'p>(pod: &'p Value, mesh: &Value, previous: Option<&Previous>) -> Cow<'p, Value> {
    let Some(previous) = previous else { return Cow::Borrowed(pod) };
    let mut pod = pod.clone();
    for which in [Containers::Regular, Containers::Init] {
        let names: HashSet<&str> = previous.names(which).iter().map(String::as_str).collect();
        pod::remove_containers(&mut pod, which, &names);
    }
    prometheus::strip_own_annotations(&mut pod, mesh);
    pod::annotations_mut(&mut pod).remove(STATUS_ANNOTATION);
    Cow::Owned(pod)
}

/// Containers recorded in `proxy.istio.io/overrides`, decoded as Istio's
/// `reinsertOverrides` decodes them (`json.Unmarshal` into a struct of two
/// `[]corev1.Container`, keys matched without regard to case): what does
/// not decode refuses the pod, as there.
fn overrides_of(pod: &Value) -> Result<(Vec<Value>, Vec<Value>), Error> {
    let Some(text) = pod::annotation(pod, OVERRIDES_ANNOTATION) else { return Ok((Vec::new(), Vec::new())) };
    let invalid = |e: &dyn std::fmt::Display| {
        Error::new(ErrorKind::InvalidAnnotation, format!("annotation {OVERRIDES_ANNOTATION}: {e}"))
    };
    let parsed: Value = serde_json::from_str(text).map_err(|e| invalid(&e))?;
    let fields = match parsed {
        Value::Object(fields) => fields,
        Value::Null => return Ok((Vec::new(), Vec::new())),
        other => {
            let kind = injit_runtime::encoding::json::check::json_kind(&other);
            return Err(invalid(&format!("json: cannot unmarshal {kind} into Go value of type inject.podOverrides")));
        }
    };
    let mut lists = (Vec::new(), Vec::new());
    for (key, value) in fields {
        let (list, field) = if key.eq_ignore_ascii_case("containers") {
            (&mut lists.0, "containers")
        } else if key.eq_ignore_ascii_case("initContainers") {
            (&mut lists.1, "initContainers")
        } else {
            continue;
        };
        *list = match value {
            Value::Null => Vec::new(),
            Value::Array(items) => items,
            other => {
                let kind = injit_runtime::encoding::json::check::json_kind(&other);
                return Err(invalid(&format!(
                    "json: cannot unmarshal {kind} into Go struct field podOverrides.{field} of type []v1.Container"
                )));
            }
        };
        for container in list.iter() {
            Typed::container().check(container).map_err(|e| invalid(&e))?;
        }
    }
    Ok(lists)
}

/// `reinsertOverrides`: user containers that a previous injection merged
/// with injected ones come back, so the template sees them.
fn reinsert_overrides(mut pod: Cow<'_, Value>) -> Result<Cow<'_, Value>, Error> {
    let (containers, init_containers) = overrides_of(&pod)?;
    for (which, list) in [(Containers::Regular, containers), (Containers::Init, init_containers)] {
        if list.is_empty() {
            continue;
        }
        let mut present: HashSet<String> =
            pod::containers(&pod, which).iter().map(|c| pod::name_of(c).to_owned()).collect();
        for c in list {
            if present.insert(pod::name_of(&c).to_owned()) {
                pod::containers_mut(pod.to_mut(), which).push(c);
            }
        }
    }
    Ok(pod)
}

/// `reapplyOverwrittenContainers`: a user container with the name of an
/// injected one (say `istio-proxy` with custom resources) is laid over
/// the injected one, so user fields win; the first time, the user's
/// containers are recorded in `proxy.istio.io/overrides`.
///
/// Unlike Istio, recorded overrides are re-applied on every injection,
/// and a container the previous injection added (in either list) is never
/// taken for a user's: so injecting an injected pod changes nothing, and a
/// pod moving from classic to native sidecars gets a fresh proxy rather
/// than its stale one.
fn reapply_overwritten_containers(
    mut merged: Value,
    original: &Value,
    template_pod: &Value,
    round_trip: RoundTrip,
    deadline: Deadline,
) -> Result<Value, Error> {
    let (existing_containers, existing_init) = overrides_of(original)?;
    let previous = Previous::of(original);
    let already_injected = pod::annotation(original, STATUS_ANNOTATION).is_some();
    let injected_before = |name: &str| {
        previous.as_ref().is_some_and(|p| p.containers.iter().chain(&p.init_containers).any(|n| n == name))
    };
    let mut recorded: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
    for (slot, which) in [(0, Containers::Regular), (1, Containers::Init)] {
        let existing = if which == Containers::Regular { &existing_containers } else { &existing_init };
        for c in pod::containers(template_pod, which) {
            let name = pod::name_of(c);
            let user = match existing.iter().find(|e| pod::name_of(e) == name) {
                Some(recorded_override) => Some(recorded_override),
                None if injected_before(name) => None,
                None => match which {
                    Containers::Regular => pod::find(original, Containers::Regular, name),
                    Containers::Init => pod::find_any(original, name),
                },
            };
            let Some(user) = user else { continue };
            let mut overlay = Typed::container().normalize(user).map_err(|e| Error::new(ErrorKind::Input, e))?;
            if overlay.get("image").and_then(Value::as_str) == Some("auto")
                && let Some(o) = overlay.as_object_mut()
            {
                o.remove("image");
            }
            recorded[slot].push(overlay.clone());
            let mut spec = Map::new();
            if which == Containers::Init {
                spec.insert("containers".to_owned(), Value::Array(Vec::new()));
            }
            spec.insert(which.key().to_owned(), Value::Array(vec![overlay]));
            let mut patch = Map::new();
            patch.insert("spec".to_owned(), Value::Object(spec));
            merged = apply_overlay(std::mem::take(&mut merged), &Value::Object(patch), round_trip, deadline).map_err(
                |e| e.into_error(|e| Error::new(ErrorKind::RenderedYaml, format!("failed to re apply container: {e}"))),
            )?;
        }
    }
    if !already_injected && (!recorded[0].is_empty() || !recorded[1].is_empty()) {
        let mut json = String::from("{");
        let container = Typed::container();
        for (i, (key, list)) in [("containers", &recorded[0]), ("initContainers", &recorded[1])].into_iter().enumerate()
        {
            if list.is_empty() {
                continue;
            }
            if i > 0 && json.len() > 1 {
                json.push(',');
            }
            let items: Result<Vec<String>, String> = list.iter().map(|c| container.to_json(c)).collect();
            json.push_str(&format!("\"{key}\":[{}]", items.map_err(|e| Error::new(ErrorKind::Input, e))?.join(",")));
        }
        json.push('}');
        pod::annotations_mut(&mut merged).insert(OVERRIDES_ANNOTATION.to_owned(), Value::String(json));
    }
    Ok(merged)
}

/// The user's own `istio-proxy`: recorded in the overrides annotation, or
/// in the pod when no previous injection added it.
fn user_proxy(original: &Value) -> Result<Option<Value>, Error> {
    let (containers, init_containers) = overrides_of(original)?;
    if let Some(c) = containers.into_iter().chain(init_containers).find(|c| pod::name_of(c) == PROXY) {
        return Ok(Some(c));
    }
    let injected =
        Previous::of(original).is_some_and(|p| p.containers.iter().chain(&p.init_containers).any(|n| n == PROXY));
    Ok(if injected { None } else { pod::find_any(original, PROXY).cloned() })
}

/// `adjustInitContainerUser`: a user `istio-proxy` that sets its user or
/// group carries over to traffic capture.
fn adjust_init_container_user(pod: &mut Value, user: Option<&Value>, proxy_config: &Value) {
    let Some(user) = user else { return };
    let run_as_user = user.at("/securityContext/runAsUser").and_then(Value::as_i64);
    let run_as_group = user.at("/securityContext/runAsGroup").and_then(Value::as_i64);
    if run_as_user.is_none() && run_as_group.is_none() {
        return;
    }
    let init_name = [pod::INIT, pod::VALIDATION].into_iter().find(|n| pod::find(pod, Containers::Init, n).is_some());
    let Some(init_name) = init_name else { return };
    let tproxy = proxy_config.at("/interceptionMode").and_then(Value::as_str) == Some("TPROXY")
        || pod::annotation(pod, "sidecar.istio.io/interceptionMode") == Some("TPROXY");
    if tproxy
        && run_as_user.is_some()
        && let Some(sidecar) = pod::find_any_mut(pod, PROXY)
    {
        crate::object::ensure_object(sidecar, &["securityContext"]).insert("runAsUser".to_owned(), Value::from(0));
    }
    let Some(init) = pod::find_mut(pod, Containers::Init, init_name) else { return };
    if !tproxy && init_name == pod::VALIDATION {
        let sc = crate::object::ensure_object(init, &["securityContext"]);
        if let Some(u) = run_as_user {
            sc.insert("runAsUser".to_owned(), Value::from(u));
        }
        if let Some(g) = run_as_group {
            sc.insert("runAsGroup".to_owned(), Value::from(g));
        }
    }
    let Some(uid) = run_as_user.filter(|u| *u != 0) else { return };
    if let Some(args) = init.get_mut("args").and_then(Value::as_array_mut)
        && let Some(i) = args.iter().position(|a| a.as_str() == Some("-u"))
        && i + 1 < args.len()
    {
        args[i + 1] = Value::String(uid.to_string());
    }
}

/// `updateClusterEnvs`: the given variables replace same-named ones, in
/// sorted order at the end.
fn overwrite_envs(container: &mut Value, envs: &BTreeMap<String, String>) {
    if let Some(list) = container.get_mut("env").and_then(Value::as_array_mut) {
        list.retain(|e| !envs.contains_key(e.get("name").and_then(Value::as_str).unwrap_or_default()));
    }
    for (k, v) in envs {
        pod::push_env(container, k, v);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `proxy.istio.io/overrides` decodes as Istio decodes it, or refuses
    /// the pod naming the annotation.
    #[test]
    fn recorded_overrides_decode_as_istio_decodes_them() {
        let with = |text: &str| json!({"metadata": {"annotations": {OVERRIDES_ANNOTATION: text}}});
        let (containers, init) = overrides_of(&with(r#"{"Containers": [{"name": "a"}], "other": 1}"#)).unwrap();
        assert_eq!((containers, init), (vec![json!({"name": "a"})], vec![]), "keys match without case");
        assert_eq!(overrides_of(&with("null")).unwrap(), (vec![], vec![]));
        for (text, expected) in [
            (
                r#"{"containers": 5}"#,
                "json: cannot unmarshal number into Go struct field podOverrides.containers of type []v1.Container",
            ),
            ("[]", "json: cannot unmarshal array into Go value of type inject.podOverrides"),
            (
                r#"{"initContainers": [{"name": "a", "ports": [{"containerPort": "80"}]}]}"#,
                "containerPort of type int32",
            ),
        ] {
            let e = overrides_of(&with(text)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidAnnotation, "{text}");
            assert!(e.message().starts_with("annotation proxy.istio.io/overrides: json: cannot unmarshal"), "{e}");
            assert!(e.message().contains(expected), "{text}: {e}");
        }
    }

    /// The `.ProxyConfig` lent to pods nothing layers is what layering
    /// gives, and pods something layers get their own: for a mesh whose
    /// `defaultConfig` is its base, one whose base adds defaults, an
    /// annotation and a ProxyConfig resource, asked twice (the second time
    /// from a spare given back).
    #[test]
    fn the_lent_proxy_config_is_the_layered_one() {
        let resource = json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "ProxyConfig",
            "metadata": {"name": "pc", "namespace": "default", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"concurrency": 3}});
        let mut layered = ClusterState::default();
        layered.add_proxy_config(&resource).expect("a ProxyConfig");
        let meshes = [None, Some("defaultConfig:\n  concurrency: 2\n  discoveryAddress: istiod:15012\n")];
        for mesh in meshes {
            let sources = crate::Sources {
                mesh: mesh.map(|text| crate::ConfigSource::new("mesh.yaml", text)),
                ..crate::Sources::default()
            };
            let injector = sources.build(Options::default()).expect("the config builds");
            let pods = [
                json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": [{"name": "a"}]}}),
                json!({"metadata": {"name": "p", "namespace": "default",
                                    "annotations": {"proxy.istio.io/config": "concurrency: 5"}},
                       "spec": {"containers": [{"name": "a"}]}}),
            ];
            for (pod, cluster) in pods.iter().flat_map(|pod| [(pod, ClusterState::default()), (pod, layered.clone())]) {
                let pod = Typed::pod().normalize(pod).expect("a pod");
                let workload = Workload::of_pod(&pod);
                let request = Request::new(&workload, &pod, Caller::Webhook).typed(true).cluster(&cluster);
                let meta = PodMeta::of(&pod, "default");
                let expected = cluster.proxy_configs().effective(&injector.mesh_proxy_config, &meta).into_owned();
                for _ in 0..2 {
                    let input = injector.current_input(&request).expect("the input");
                    let Data::Object(data) = &input.data else { panic!("an object") };
                    let proxy_config = data.get(b"ProxyConfig").expect("ProxyConfig");
                    assert_eq!(crate::object::from_data(proxy_config), expected, "{mesh:?} {pod}");
                    assert_eq!(*input.proxy_config, expected);
                    injector.free_render_data(input.data, &input.mesh, &input.proxy_config);
                }
            }
        }
    }

    #[test]
    fn adding_ready_elements_applies_the_overlay() {
        let pod = json!({
            "metadata": {"name": "p", "annotations": {"x": "y"}},
            "spec": {"containers": [{"name": "app", "image": "a"}], "volumes": [{"name": "istio-envoy", "emptyDir": {}}]},
        });
        let pod = Typed::pod().normalize(&pod).expect("decodes");
        // One of the volumes is in the pod already: merged, not added.
        let text = "metadata:\n  annotations:\n    a: b\nspec:\n  containers:\n  - name: istio-proxy\n    image: p\n    env:\n    - name: X\n      value: \"1\"\n    lifecycle:\n  initContainers:\n  - name: istio-init\n    image: p\n    args: [x]\n  volumes:\n  - name: istio-envoy\n    emptyDir:\n      medium: Memory\n  - name: other\n    emptyDir:\n  dnsPolicy: None\n";
        let (first, read) = LastRead::read(text).expect("a mapping");
        let kept = Arc::new(KeptRender::new(read));
        for next in
            [text.to_owned(), text.replace("image: p", "image: q"), text.replace("value: \"1\"", "value: \"2\"")]
        {
            let changed = kept.read.changed_scalars(&next).expect("read in place");
            let ready = kept.elements(&changed);
            assert_eq!(ready.len(), 3, "{next}");
            let left_out: Vec<&str> = ready.iter().map(|(list, _)| *list).collect();
            let overlay = kept.read.tree_with(&changed, &left_out);
            assert!(overlay["spec"].get("containers").is_none() && overlay["spec"]["dnsPolicy"] == "None");
            let whole = kept.read.tree_with(&changed, &[]);
            if next == text {
                assert_eq!(whole, first);
            }
            let applied = apply_overlay(pod.clone(), &whole, RoundTrip::Patched, Deadline::NONE).ok();
            assert!(applied.is_some());
            let reread = Some((Arc::clone(&kept), changed));
            let rendered = RenderedOverlay { name: "sidecar".into(), overlay, proxy_in_init: false, reread, ready };
            assert!(rendered.has_container(PROXY) && !rendered.has_container("istio-init"));
            assert_eq!(apply_overlay_adding(pod.clone(), rendered, Deadline::NONE).ok(), applied, "{next}");
        }
    }
}
