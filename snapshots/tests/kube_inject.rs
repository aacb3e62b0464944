//! `kube-inject` against Istio's own golden tests (`istio/cases.tsv`, a
//! copy of `pkg/kube/inject/testdata/inject` and the rendered config of
//! every case): each case's output must equal Istio's golden byte for
//! byte, on both backends; re-injecting an output must give it back; the
//! cases Istio expects to fail must fail with its message.

mod common;

use common::istio_configs::{config_dir, config_sources, env_setting, native_sidecars};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use injit_compiler::Backend;
use injit_inject::{Caller, ConfigSource, Injector, NativeSidecars, Options, Sources, kube_inject};

/// Cases where injit deliberately differs from Istio's golden, and why.
const DEVIATIONS: &[(&str, &str)] = &[(
    "merge-probers.yaml.injected",
    // The input was injected by an older Istio with a classic sidecar.
    // Istio takes that stale `istio-proxy` for a user's customisation
    // and keeps its old arguments and probe settings (so injecting its
    // own output again changes the pod); injit knows the status
    // annotation lists it as injected and gives the fresh sidecar.
    "a previously injected sidecar is replaced, not kept as a user override",
)];

struct Case {
    input: String,
    golden: String,
    config: String,
    expected_error: String,
}

fn istio_dir() -> PathBuf {
    common::data_dir().join("istio")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases() -> Vec<Case> {
    let text = read(&istio_dir().join("cases.tsv"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (input, golden, config, kube_inject, error) =
        (column("input"), column("golden"), column("config"), column("kube_inject"), column("expected_error"));
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[kube_inject] == "byte-compare" || !f[error].is_empty())
        .map(|f| Case {
            input: f[input].into(),
            golden: f[golden].into(),
            config: f[config].into(),
            expected_error: f[error].into(),
        })
        .collect()
}

fn injector(config: &str, backend: Backend) -> Injector {
    let dir = config_dir(config);
    // Istio's kube-inject test has a client, so its nodes decide; the
    // configuration records the outcome.
    let options = Options {
        revision: String::new(),
        native_sidecars: native_sidecars(&dir),
        compliance_policy: env_setting(&dir, "compliancePolicy"),
        backend,
        ..Options::default()
    };
    let injector = config_sources(&dir)
        .build_checked(options, Caller::KubeInject)
        .unwrap_or_else(|e| panic!("config {config}: {e}"));
    common::assert_backends(&injector, backend, config);
    injector
}

/// Istio's comparison: trimmed.
fn comparable(s: &str) -> &str {
    s.trim()
}

#[test]
fn goldens_byte_for_byte_on_both_backends() {
    let mut injectors: HashMap<(String, bool), Injector> = HashMap::new();
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in cases() {
        let input = read(&istio_dir().join("testdata").join(&case.input));
        for backend in [Backend::Jit, Backend::Eval] {
            let key = (case.config.clone(), backend == Backend::Jit);
            let injector = injectors.entry(key).or_insert_with(|| injector(&case.config, backend));
            let result = kube_inject(injector, &case.input, &input);
            if !case.expected_error.is_empty() {
                match result {
                    Err(e) if e.to_string().to_lowercase().contains(&case.expected_error.to_lowercase()) => {}
                    other => failures.push(format!(
                        "{}: expected an error with {:?}, got {other:?}",
                        case.input, case.expected_error
                    )),
                }
                continue;
            }
            let output = match result {
                Ok(o) => o.output,
                Err(e) => {
                    failures.push(format!("{} [{}]: {e}", case.golden, case.config));
                    continue;
                }
            };
            let golden = read(&istio_dir().join("testdata").join(&case.golden));
            let deviation = DEVIATIONS.iter().any(|(g, _)| *g == case.golden);
            if deviation {
                assert_ne!(comparable(&output), comparable(&golden), "{}: the deviation is gone; drop it", case.golden);
                insta::assert_snapshot!(format!("deviation_{}", case.golden), output);
            } else if comparable(&output) != comparable(&golden) {
                failures.push(format!("{} [{}, {backend:?}]: differs from Istio's golden", case.golden, case.config));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(checked >= 2 * 128, "only {checked} outputs checked");
}

#[test]
fn injecting_the_output_again_changes_nothing() {
    let mut injectors: HashMap<String, Injector> = HashMap::new();
    for case in cases().into_iter().filter(|c| c.expected_error.is_empty()) {
        let injector = injectors.entry(case.config.clone()).or_insert_with(|| injector(&case.config, Backend::Jit));
        let input = read(&istio_dir().join("testdata").join(&case.input));
        let once = kube_inject(injector, &case.input, &input).expect("injects").output;
        let twice = kube_inject(injector, &case.golden, &once).expect("re-injects").output;
        assert_eq!(once, twice, "{} [{}]: injecting the output again changed it", case.golden, case.config);
    }
}

/// Every golden's output injected again in the other sidecar mode
/// (native ⇄ classic) has its proxy once, where the new mode puts it: the
/// previous proxy moves rather than staying beside the new one (two
/// containers of one name, which the API server refuses, is what
/// Istio's merge leaves going back from native). As in Istio's move to
/// native, fields only the old mode set stay on the moved proxy; the
/// result is then a fixed point of its mode.
#[test]
fn reinjecting_in_the_other_sidecar_mode_moves_the_proxy() {
    let mut injectors: HashMap<(String, bool), Injector> = HashMap::new();
    let mut checked = 0;
    for case in cases().into_iter().filter(|c| c.expected_error.is_empty()) {
        for native in [true, false] {
            injectors.entry((case.config.clone(), native)).or_insert_with(|| {
                let mut options = injector(&case.config, Backend::Jit).options().clone();
                options.native_sidecars = if native { NativeSidecars::On } else { NativeSidecars::Off };
                config_sources(&config_dir(&case.config)).build_checked(options, Caller::KubeInject).expect("builds")
            });
        }
        let input = read(&istio_dir().join("testdata").join(&case.input));
        for native in [true, false] {
            let (first, other) =
                (&injectors[&(case.config.clone(), native)], &injectors[&(case.config.clone(), !native)]);
            let Ok(once) = kube_inject(first, &case.input, &input) else { continue };
            let switched = kube_inject(other, &case.golden, &once.output).expect("re-injects").output;
            let direct = kube_inject(other, &case.input, &input).expect("injects").output;
            let what = format!("{} [{}]: native {native}, then {}", case.golden, case.config, !native);
            let docs = |text: &str| injit_inject::object::yaml_documents(text).expect("YAML");
            for (doc, want) in docs(&switched).iter().zip(docs(&direct).iter()) {
                let (Some(spec), Some(want)) = (pod_spec(doc), pod_spec(want)) else { continue };
                // A config whose templates do not support the mode (SPIRE's
                // adds to a classic proxy) is as broken injected directly.
                if has_a_name_twice(want) {
                    continue;
                }
                assert!(!has_a_name_twice(spec), "{what}: a name twice");
                let (regular, init) = (names(spec, "containers"), names(spec, "initContainers"));
                let sorted = |mut v: Vec<String>| {
                    v.sort();
                    v
                };
                let lists = (sorted(regular), sorted(init));
                let wanted = (sorted(names(want, "containers")), sorted(names(want, "initContainers")));
                assert_eq!(lists, wanted, "{what}: where the containers are");
                let containers = spec["containers"].as_array().into_iter().flatten();
                assert!(containers.clone().all(|c| c.get("restartPolicy").is_none()), "{what}: restartPolicy");
            }
            let again = kube_inject(other, &case.golden, &switched).expect("re-injects").output;
            assert_eq!(again, switched, "{what}: not a fixed point");
            checked += 1;
        }
    }
    assert!(checked >= 2 * 120, "only {checked} cases switched");
}

/// Whether two containers of a pod spec (either list) share a name.
fn has_a_name_twice(spec: &serde_json::Value) -> bool {
    let mut all = names(spec, "containers");
    all.extend(names(spec, "initContainers"));
    let count = all.len();
    all.sort();
    all.dedup();
    all.len() != count
}

/// The names of a pod spec's `key` list.
fn names(spec: &serde_json::Value, key: &str) -> Vec<String> {
    let items = spec[key].as_array().into_iter().flatten();
    items.map(|c| c["name"].as_str().unwrap_or_default().to_owned()).collect()
}

/// The pod spec of a workload document, if it has one.
fn pod_spec(doc: &serde_json::Value) -> Option<&serde_json::Value> {
    let spec = &doc["spec"];
    [&spec["template"]["spec"], &spec["jobTemplate"]["spec"]["template"]["spec"], spec]
        .into_iter()
        .find(|s| s.get("containers").is_some())
}

#[test]
fn every_default_case_has_the_sidecar_where_istio_puts_one() {
    let injector = injector("default", Backend::Jit);
    for case in cases().into_iter().filter(|c| c.config == "default" && c.expected_error.is_empty()) {
        let input = read(&istio_dir().join("testdata").join(&case.input));
        let golden = read(&istio_dir().join("testdata").join(&case.golden));
        let output = kube_inject(&injector, &case.input, &input).expect("injects").output;
        let proxies = |s: &str| s.matches("name: istio-proxy\n").count();
        assert_eq!(proxies(&output), proxies(&golden), "{}: istio-proxy containers", case.golden);
    }
}

/// The seed's example: Istio 1.0/1.1's `sleep` sample with that release's
/// config (`[[ ]]` templates rendering a `SidecarInjectionSpec`).
#[test]
fn seed_era_sleep_with_and_without_the_app_label() {
    let expectations = [
        ("1.0", true, "sleep"),
        ("1.0", false, "istio-proxy"),
        ("1.1", true, "sleep.$(POD_NAMESPACE)"),
        ("1.1", false, "sleep.default"),
    ];
    for (version, labelled, cluster) in expectations {
        let dir = istio_dir().join("legacy").join(version);
        let sources = Sources {
            config: Some(ConfigSource::new("config.yaml", read(&dir.join("config.yaml")))),
            mesh: Some(ConfigSource::new("mesh.yaml", read(&dir.join("mesh.yaml")))),
            values: None,
        };
        let injector = sources.build(Options::default()).expect("the seed config compiles");
        let mut sleep = read(&dir.join("sleep.yaml"));
        if !labelled {
            sleep = sleep.replace("    metadata:\n      labels:\n        app: sleep\n", "    metadata:\n");
            assert!(!sleep.contains("      labels:\n        app: sleep"), "the label is gone");
        }
        let injected = kube_inject(&injector, "sleep.yaml", &sleep).expect("injects");
        let deployment =
            injected.output.split("---\n").find(|d| d.contains("kind: Deployment")).expect("the Deployment");
        // The template gives `istio-init` `restartPolicy: Always`; the
        // Kubernetes types 1.0/1.1 decoded it into had no such field, so
        // Istio's output has none (and on Kubernetes 1.28 and later it
        // would make `istio-init` a sidecar that never completes).
        assert!(
            read(&dir.join("config.yaml")).contains("    restartPolicy: Always\n"),
            "{version}: the template has it"
        );
        let parsed = injit_inject::object::yaml_documents(deployment).expect("the Deployment parses");
        let pod_spec = &parsed[0]["spec"]["template"]["spec"];
        for list in ["initContainers", "containers"] {
            for container in pod_spec[list].as_array().expect("containers") {
                assert_eq!(container.get("restartPolicy"), None, "{version}: {list} {}", container["name"]);
            }
        }
        assert_eq!(pod_spec["initContainers"][0]["name"], "istio-init", "{version}");
        let before_volumes = deployment.split("      volumes:").next().unwrap_or_default();
        let containers: Vec<&str> = before_volumes.lines().filter_map(|l| l.strip_prefix("        name: ")).collect();
        assert_eq!(containers, ["sleep", "istio-proxy", "istio-init"], "{version}: containers, then init containers");
        let after = deployment.split("- --serviceCluster\n").nth(1).expect("--serviceCluster");
        assert_eq!(
            after.lines().next().map(str::trim),
            Some(format!("- {cluster}").as_str()),
            "{version}, labelled {labelled}"
        );
        let again = kube_inject(&injector, "sleep.yaml", &injected.output).expect("re-injects");
        assert_eq!(again.output, injected.output, "{version}: injecting again changes nothing");
        // A status annotation the author wrote, naming the app's container
        // and volume as injected ones: they stay, and the rest is as if the
        // annotation were not there.
        let fake = sleep.replace(
            "    metadata:\n",
            "    metadata:\n      annotations:\n        sidecar.istio.io/status: '{\"containers\":[\"sleep\"],\"volumes\":[\"data\"]}'\n",
        );
        let fake = fake.replace(
            "        imagePullPolicy: IfNotPresent\n",
            "        imagePullPolicy: IfNotPresent\n      volumes:\n      - name: data\n        emptyDir: {}\n",
        );
        let with_volume = sleep.replace(
            "        imagePullPolicy: IfNotPresent\n",
            "        imagePullPolicy: IfNotPresent\n      volumes:\n      - name: data\n        emptyDir: {}\n",
        );
        let faked = kube_inject(&injector, "sleep.yaml", &fake).expect("injects");
        let plain = kube_inject(&injector, "sleep.yaml", &with_volume).expect("injects");
        assert_eq!(faked.output, plain.output, "{version}: the author's status annotation hides nothing");
        let again = kube_inject(&injector, "sleep.yaml", &faked.output).expect("re-injects");
        assert_eq!(again.output, faked.output, "{version}: injecting again changes nothing");
        let name = format!("seed_{version}_{}", if labelled { "labelled" } else { "unlabelled" });
        insta::assert_snapshot!(name, deployment);
    }
}

/// Every config the repository has (the embedded defaults, each of
/// Istio's test configurations, the 1.0/1.1 configs and the examples)
/// passes the reference pods (`reference_pods.rs`), injected as the
/// webhook and as kube-inject inject them.
#[test]
fn every_config_in_the_repository_passes_the_reference_pods() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = |path: &Path| Some(ConfigSource::new(path.display().to_string(), read(path)));
    let mut configs: Vec<(String, Sources, Options)> = Vec::new();
    for native_sidecars in [NativeSidecars::On, NativeSidecars::Off] {
        let options = Options { native_sidecars, ..Options::default() };
        configs.push((format!("embedded, native sidecars {native_sidecars}"), Sources::default(), options));
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(istio_dir().join("configs"))
        .expect("the configs")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let sources = config_sources(&dir);
        let options = Options {
            native_sidecars: native_sidecars(&dir),
            compliance_policy: env_setting(&dir, "compliancePolicy"),
            ..Options::default()
        };
        configs.push((dir.display().to_string(), sources, options));
    }
    for dir in [
        "snapshots/tests/istio/legacy/1.0",
        "snapshots/tests/istio/legacy/1.1",
        "examples/legacy/1.0",
        "examples/legacy/1.1",
    ] {
        let dir = repo.join(dir);
        let sources =
            Sources { config: source(&dir.join("config.yaml")), mesh: source(&dir.join("mesh.yaml")), values: None };
        configs.push((dir.display().to_string(), sources, Options::default()));
    }
    for file in ["examples/templates/istio-1.1-injector-config.yaml", "examples/templates/injection-template.yaml"] {
        let sources = Sources { config: source(&repo.join(file)), ..Sources::default() };
        configs.push((file.to_owned(), sources, Options::default()));
    }
    assert!(configs.len() >= 38, "{} configs", configs.len());
    for (name, sources, options) in configs {
        for caller in [Caller::Webhook, Caller::KubeInject] {
            if let Err(e) = sources.build_checked(options.clone(), caller) {
                panic!("{name}, {caller:?}: {e}");
            }
        }
    }
}
