//! A config is tried on a few reference pods before it is used. A config
//! that parses can still be broken: one cut off before the sidecar
//! template's `volumes:` (a file caught half written) parsed, compiled,
//! and gave every pod the proxy's volume mounts and none of its volumes,
//! pods the API server then refused. Each reference pod is injected and
//! the result must be a valid pod (`pod_validity.rs`); a reference pod the
//! templates refuse to inject (a template may `fail` on purpose) says
//! nothing about the config.

use std::fmt;

use serde_json::{Value, json};

use crate::injector::{Caller, Injector, Outcome, Request};
use crate::pod_validity::{self, InvalidPod};
use crate::workload::Workload;

/// A config whose injection of a reference pod is not a valid pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedConfig {
    /// The reference pod at fault (`references`).
    pub reference: &'static str,
    pub problem: InvalidPod,
}

impl fmt::Display for RejectedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "injecting the reference pod {:?} makes an invalid pod: {}", self.reference, self.problem)
    }
}

impl std::error::Error for RejectedConfig {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.problem)
    }
}

/// The reference pods, by name: a plain pod; one with an init container,
/// a named port, HTTP, TCP and gRPC probes, a lifecycle hook and its own
/// volume; and the plain pod asking for the sidecar placement
/// (`sidecar.istio.io/nativeSidecar`) the injector does not use by
/// default, so that both placements are tried.
fn references(native_sidecars: bool) -> [(&'static str, Value); 3] {
    let metadata = |annotations: Value| json!({"name": "reference", "namespace": "default", "labels": {"app": "reference"}, "annotations": annotations});
    let app = json!({"name": "app", "image": "busybox", "command": ["sleep", "infinity"]});
    let probed = json!({
        "name": "app", "image": "nginx",
        "ports": [{"name": "http", "containerPort": 8080}],
        "readinessProbe": {"httpGet": {"port": "http", "path": "/ready"}},
        "livenessProbe": {"tcpSocket": {"port": 8080}},
        "startupProbe": {"grpc": {"port": 9090}},
        "lifecycle": {"preStop": {"httpGet": {"port": "http", "path": "/stop"}}},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    });
    let other_placement = if native_sidecars { "false" } else { "true" };
    [
        ("plain", json!({"metadata": metadata(json!({})), "spec": {"containers": [app]}})),
        (
            "named port and probes",
            json!({"metadata": metadata(json!({})), "spec": {
                "initContainers": [{"name": "setup", "image": "busybox"}],
                "containers": [probed, {"name": "worker", "image": "busybox"}],
                "volumes": [{"name": "data", "emptyDir": {}}],
            }}),
        ),
        (
            "other sidecar placement",
            json!({
                "metadata": metadata(json!({"sidecar.istio.io/nativeSidecar": other_placement})),
                "spec": {"containers": [app]},
            }),
        ),
    ]
}

/// Injects each reference pod as `caller` would; the first that comes out
/// invalid rejects the config.
pub fn check(injector: &Injector, caller: Caller) -> Result<(), RejectedConfig> {
    for (reference, pod) in references(injector.options().native_sidecars.resolve(None, "")) {
        let workload = Workload::of_pod(&pod);
        // Injected whatever the config's policy and selectors say
        // (`Rules::KUBE_INJECT`, the default).
        let request = Request::new(&workload, &pod, caller);
        let Ok(Outcome::Injected(injected)) = injector.inject(&request) else { continue };
        pod_validity::check(&injected).map_err(|problem| RejectedConfig { reference, problem })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::config::defaults;
    use crate::{ConfigSource, Sources};

    /// Istio's config, cut off where the sidecar template's volumes begin.
    fn cut_before_volumes() -> Sources {
        let at = defaults::CONFIG.find("\n      volumes:\n").expect("the sidecar template has volumes");
        let config = ConfigSource::new("config", &defaults::CONFIG[..at + 1]);
        Sources { config: Some(config), ..Sources::default() }
    }

    #[test]
    fn istios_config_passes() {
        for native_sidecars in [crate::NativeSidecars::On, crate::NativeSidecars::Off] {
            let options = crate::Options { native_sidecars, ..Default::default() };
            let injector = Sources::default().build(options).expect("the default config");
            for caller in [Caller::Webhook, Caller::KubeInject] {
                assert_eq!(check(&injector, caller), Ok(()), "native sidecars {native_sidecars}, {caller:?}");
            }
        }
    }

    #[test]
    fn a_config_cut_short_is_rejected_naming_the_pod_and_the_mount() {
        let sources = cut_before_volumes();
        let injector = sources.build(Default::default()).expect("the cut config still parses and compiles");
        let rejected = check(&injector, Caller::Webhook).expect_err("its pods mount volumes they do not have");
        assert_eq!(rejected.reference, "plain");
        let InvalidPod::MountWithoutVolume { container, volume, .. } = &rejected.problem else { panic!("{rejected}") };
        assert_eq!((container.as_str(), volume.as_str()), ("istio-proxy", "workload-socket"));
        let e = sources.build_checked(Default::default(), Caller::KubeInject).err().expect("rejected");
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().starts_with("config config: injecting the reference pod \"plain\""), "{e}");
        let rejected = std::error::Error::source(&e).and_then(|s| std::error::Error::source(s));
        assert!(rejected.is_some_and(|r| r.is::<RejectedConfig>()), "{e:?}");
    }
}
