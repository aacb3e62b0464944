//! `injit render --pod MANIFEST`: what a template author needs to see
//! between a pod and its sidecar: the `SidecarTemplateData` injection
//! gives the pod's templates (as JSON that `render --data-type sidecar`
//! reads back), or the text each of the config's templates renders for
//! it before it is read as YAML.

use injit_inject::manifest::{ManifestObject, objects, pod_of};
use injit_inject::{Caller, Injector, Request, Workload};
use injit_runtime::Data;
use injit_runtime::encoding::json::value::{JsonStyle, marshal, owned_from_data};

use crate::args::ConfigArgs;
use crate::exit::{Code, Failure};
use crate::io::read_input;

/// The pod of one object of a manifest, and the injector to inject it
/// with.
pub struct PodInjection {
    /// How the object is named in messages: `Deployment shop/web`.
    pub object: String,
    pub pod: serde_json::Value,
    pub workload: Workload,
    pub injector: Injector,
}

impl PodInjection {
    /// Reads `manifest` and picks the object `wanted` names (`NAME` or
    /// `KIND/NAME`, any case of the kind), else the first with a pod
    /// template; the injector is built from `config`'s files, the embedded
    /// defaults for the rest (as `kube-inject --offline`).
    pub fn read(manifest: &str, wanted: Option<&str>, config: &ConfigArgs) -> Result<PodInjection, Failure> {
        let input = |message: String| Failure::new(Code::INPUT, format!("error: {message}"));
        let text = read_input(manifest).map_err(|e| input(format!("cannot read {e}")))?;
        let objects = objects(&text).map_err(|e| input(format!("{manifest}:{}: {}", e.line, e.message)))?;
        let with_pods: Vec<(&ManifestObject, serde_json::Value)> =
            objects.iter().filter_map(|o| Some((o, pod_of(o)?))).collect();
        let picked = match wanted {
            None => with_pods.into_iter().next(),
            Some(name) => with_pods.into_iter().find(|(o, _)| names(o, name)),
        };
        let Some((object, pod)) = picked else {
            return Err(match wanted {
                Some(name) => Failure::new(
                    Code::USAGE,
                    format!("error: {manifest}: no object with a pod template is named {name:?}"),
                ),
                None => input(format!("{manifest}: no object with a pod template")),
            });
        };
        let workload = workload(object);
        let sources = config.sources().map_err(|e| input(format!("cannot read {e}")))?;
        let injector = sources.build_checked(config.options(), Caller::KubeInject).map_err(|e| input(e.to_string()))?;
        let object = format!("{} {}/{}", object.kind(), object.namespace(), object.name());
        Ok(PodInjection { object, pod, workload, injector })
    }

    fn request(&self) -> Request<'_> {
        Request::new(&self.workload, &self.pod, Caller::KubeInject)
    }

    /// The data the pod's templates get.
    pub fn data(&self) -> Result<Data, Failure> {
        self.injector.template_data(&self.request()).map_err(|e| self.failed(e))
    }

    /// The data as indented JSON, Kubernetes parts under their JSON names
    /// (what `render --data-type sidecar` reads).
    pub fn data_json(&self) -> Result<String, Failure> {
        let json = indented_json(&self.data()?).map_err(|e| self.failed(e))?;
        Ok(json + "\n")
    }

    /// Each template the pod asks for and the text it renders, as a YAML
    /// stream with a comment naming each.
    pub fn rendered(&self) -> Result<String, Failure> {
        let texts = self.injector.rendered_texts(&self.request()).map_err(|e| self.failed(e))?;
        let mut out = String::new();
        for (name, text) in texts {
            out.push_str(&format!("# template {name:?} for {}\n{text}", self.object));
            if !text.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("---\n");
        }
        Ok(out)
    }

    fn failed(&self, e: impl std::fmt::Display) -> Failure {
        Failure::new(Code::FAILED, format!("error: {}: {e}", self.object))
    }
}

/// The workload an object's pod belongs to, as injection names it.
pub fn workload(object: &ManifestObject) -> Workload {
    if object.kind() == "Pod" { Workload::of_pod(&object.value) } else { Workload::of_object(&object.value) }
}

/// Template data as indented JSON, HTML characters left as they are.
pub fn indented_json(data: &Data) -> Result<String, String> {
    let style = JsonStyle { escape_html: false, indent: true };
    Ok(String::from_utf8_lossy(&marshal(&owned_from_data(data), style)?).into_owned())
}

/// Whether `wanted` (`NAME` or `KIND/NAME`) names `object`.
fn names(object: &ManifestObject, wanted: &str) -> bool {
    match wanted.split_once('/') {
        Some((kind, name)) => object.kind().eq_ignore_ascii_case(kind) && object.name() == name,
        None => object.name() == wanted,
    }
}
