//! `injit kube-inject` as a user runs it: embedded defaults, stdin,
//! ConfigMaps as config files, skip warnings, and errors that name the
//! file, line, document or object — with nothing written to `-o`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn injit(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(args)
        // No cluster: the developer's kubeconfig must not change the result.
        .env("KUBECONFIG", "/nonexistent/injit-tests/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("ENABLE_NATIVE_SIDECARS")
        .env_remove("COMPLIANCE_POLICY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("injit runs");
    // A command that fails before reading its input closes it: that is
    // its answer, not the test's failure.
    match child.stdin.take().expect("stdin").write_all(stdin.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    }
    child.wait_with_output().expect("injit finishes")
}

fn temp_dir() -> PathBuf {
    // Cargo's scratch space for integration tests (`cargo clean` empties
    // it), not the system's temporary folder.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kube-inject-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn temp_file(name: &str, text: &str) -> String {
    let path = temp_dir().join(name);
    std::fs::write(&path, text).expect("write temp file");
    path.to_string_lossy().into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).to_string_lossy().into_owned()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
";

#[test]
fn the_readme_example_injects_with_the_embedded_defaults() {
    let out = injit(&["kube-inject", "-f", &example("sleep.yaml")], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("kind: Service\n"), "the Service passes through");
    assert!(stdout.contains("        name: istio-proxy\n"), "the sidecar is injected:\n{stdout}");
    assert!(stdout.contains("image: docker.io/istio/proxyv2:1.31.0"), "the default hub and tag");
    assert_eq!(stdout.matches("---\n").count(), 2, "a separator after every document");
}

#[test]
fn stdin_and_output_file() {
    let output = temp_dir().join("web.injected.yaml");
    let out = injit(&["kube-inject", "-f", "-", "-o", &output.to_string_lossy()], DEPLOYMENT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&output).expect("the output file");
    assert!(written.contains("name: istio-proxy"));
    // Injecting the output again gives the output.
    let again = injit(&["kube-inject", "-f", &output.to_string_lossy()], "");
    assert_eq!(text(&again.stdout), written);
}

#[test]
fn skipped_objects_are_warned_about_and_left_alone() {
    let host = DEPLOYMENT.replace("      containers:", "      hostNetwork: true\n      containers:");
    let opted_out = DEPLOYMENT
        .replace("labels: {app: web}\n    spec", "labels: {app: web, sidecar.istio.io/inject: \"false\"}\n    spec");
    let out = injit(&["kube-inject", "-f", "-"], &format!("{host}---\n{opted_out}"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("istio-proxy"));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(r#"Skipping injection because Deployment "shop/web" has host networking enabled"#),
        "{stderr}"
    );
    assert!(
        stderr.contains(r#"Skipping injection because Deployment "shop/web" has sidecar injection disabled"#),
        "{stderr}"
    );
}

#[test]
fn configs_may_be_whole_config_maps() {
    let mesh = temp_file(
        "mesh-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\ndata:\n  mesh: |-\n    defaultConfig:\n      discoveryAddress: istiod.mesh.svc:15012\n",
    );
    let values = temp_file(
        "values-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\ndata:\n  values: '{\"global\": {\"hub\": \"example.com/istio\", \"tag\": \"1.30.0\"}}'\n",
    );
    let config = temp_file(
        "config-cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\ndata:\n  config: |-\n    policy: enabled\n    templates:\n      sidecar: |\n        spec:\n          containers:\n          - name: istio-proxy\n            image: {{ .ProxyImage }}\n            args: [\"--discovery\", \"{{ .ProxyConfig.DiscoveryAddress }}\"]\n",
    );
    let out = injit(
        &["kube-inject", "-f", "-", "--injectConfigFile", &config, "--meshConfigFile", &mesh, "--valuesFile", &values],
        DEPLOYMENT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("image: example.com/istio/proxyv2:1.30.0"), "{stdout}");
    assert!(stdout.contains("- istiod.mesh.svc:15012"), "{stdout}");
}

/// Runs a failing injection with `-o`, checks it exits with `code` (3: the
/// input's fault, 1: a pod that could not be injected) and leaves the file
/// untouched.
fn fails(code: i32, args: &[&str], stdin: &str) -> String {
    // One file per call: tests run in parallel.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let output = temp_dir().join(format!("untouched-{call}.yaml"));
    std::fs::write(&output, "before\n").expect("write");
    let mut all: Vec<&str> = vec!["kube-inject"];
    all.extend_from_slice(args);
    let path = output.to_string_lossy().into_owned();
    all.extend_from_slice(&["-o", &path]);
    let out = injit(&all, stdin);
    assert_eq!(out.status.code(), Some(code), "should fail with {code}: {}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&output).expect("read"), "before\n", "-o is not written on error");
    text(&out.stderr)
}

#[test]
fn a_broken_config_names_the_file_and_line() {
    let config = temp_file(
        "broken-config.yaml",
        "policy: enabled\ntemplates:\n  sidecar: |\n    spec:\n      containers: [{{ .Oops }\n",
    );
    let stderr = fails(3, &["-f", "-", "--injectConfigFile", &config], DEPLOYMENT);
    assert!(stderr.contains("broken-config.yaml:5:"), "{stderr}");
    assert!(stderr.contains("template \"sidecar\""), "{stderr}");
    let mesh = temp_file("broken-mesh.yaml", "defaultConfig:\n  statusPort: [1\n");
    let stderr = fails(3, &["-f", "-", "--meshConfigFile", &mesh], DEPLOYMENT);
    assert!(stderr.contains("broken-mesh.yaml:"), "{stderr}");
    // Well-formed YAML that is not a MeshConfig: read leniently it would
    // give a 0s drain duration.
    let mesh = temp_file("mistyped-mesh.yaml", "defaultConfig:\n  drainDuration: forever\n");
    let stderr = fails(3, &["-f", "-", "--meshConfigFile", &mesh], DEPLOYMENT);
    assert!(
        stderr.contains(r#"mistyped-mesh.yaml: invalid mesh config: bad Duration: time: invalid duration "forever""#),
        "{stderr}"
    );
}

#[test]
fn a_template_error_names_the_template_line_and_column() {
    let config =
        temp_file("exec-error.yaml", "templates:\n  sidecar: |\n    spec:\n      x: {{ .Spec.Containers.Nope }}\n");
    let stderr = fails(1, &["-f", "-", "--injectConfigFile", &config], DEPLOYMENT);
    // The config file's line and 1-based column, then Go's text with the
    // template's line and 0-based column.
    assert!(
        stderr.contains("exec-error.yaml:4:18: template \"sidecar\": template: inject:2:13: executing"),
        "{stderr}"
    );
    assert!(stderr.contains("Deployment \"shop/web\""), "the object: {stderr}");
}

#[test]
fn invalid_input_names_the_document_and_line() {
    let input = format!("{DEPLOYMENT}---\napiVersion: v1\nkind: Pod\nmetadata: [oops\n");
    let stderr = fails(3, &["-f", "-"], &input);
    assert!(stderr.contains("document 2"), "{stderr}");
    assert!(stderr.contains("<stdin>:20: document 2: invalid YAML"), "{stderr}");
}

#[test]
fn an_object_without_a_pod_template_is_named() {
    let stderr = fails(
        3,
        &["-f", "-"],
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: empty\nspec:\n  replicas: 1\n",
    );
    assert!(stderr.contains("Deployment \"empty\" has no pod template (spec.template is required)"), "{stderr}");
}

#[test]
fn a_bad_annotation_is_named() {
    let input = DEPLOYMENT.replace(
        "labels: {app: web}\n    spec",
        "labels: {app: web}\n      annotations: {sidecar.istio.io/proxyCPU: lots}\n    spec",
    );
    let stderr = fails(1, &["-f", "-"], &input);
    assert!(stderr.contains("invalid value 'lots' for annotation 'sidecar.istio.io/proxyCPU'"), "{stderr}");
}

#[test]
fn rendered_yaml_that_is_not_a_pod_is_an_error() {
    let config = temp_file(
        "not-a-pod.yaml",
        "templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        ports: [{containerPort: eighty}]\n",
    );
    let stderr = fails(1, &["-f", "-", "--injectConfigFile", &config], DEPLOYMENT);
    assert!(stderr.contains("template \"sidecar\": failed applying injection overlay"), "{stderr}");
    assert!(stderr.contains("cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"), "{stderr}");
}

#[test]
fn the_seed_example_with_its_1_0_config() {
    let out = injit(
        &[
            "kube-inject",
            "-f",
            &example("legacy/1.0/sleep.yaml"),
            "--injectConfigFile",
            &example("legacy/1.0/config.yaml"),
            "--meshConfigFile",
            &example("legacy/1.0/mesh.yaml"),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("- --serviceCluster\n        - sleep\n"), "{stdout}");
    assert!(stdout.contains("name: istio-init"), "{stdout}");
}

#[test]
fn short_annotation_values_with_yaml_punctuation_inject() {
    // Not Istio's annotations, and a short ProxyConfig string the template
    // turns into an env entry: they must reach their own fields.
    let input = DEPLOYMENT.replace(
        "labels: {app: web}\n    spec",
        "labels: {app: web}\n      annotations:\n        example.com/language: \"C#\"\n        \
         proxy.istio.io/config: 'proxyMetadata: {SEP: \"|\"}'\n    spec",
    );
    let out = injit(&["kube-inject", "-f", "-"], &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("example.com/language: C#"), "{stdout}");
    assert!(stdout.contains("- name: SEP\n          value: '|'"), "{stdout}");
}

#[test]
fn a_file_that_is_not_an_injector_config_is_refused() {
    // The mesh config or the values in the config's place, an empty file,
    // and `templates` of the wrong type: read as a bare template, each
    // would give a pod marked injected with no sidecar.
    let files = [
        (
            "mesh-as-config.yaml",
            "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n",
            "nor a sidecar template",
        ),
        ("values-as-config.json", "{\"global\": {\"hub\": \"docker.io/istio\"}}\n", "nor a sidecar template"),
        ("empty-config.yaml", "", "nor a sidecar template"),
        ("templates-int.yaml", "templates: 5\n", "`templates` must be a map"),
        ("template-map.yaml", "template: {a: b}\n", "`template` must be a string"),
    ];
    for (name, text, message) in files {
        let config = temp_file(name, text);
        let stderr = fails(3, &["-f", "-", "--injectConfigFile", &config], DEPLOYMENT);
        assert!(stderr.contains(name) && stderr.contains(message), "{name}: {stderr}");
    }
    // A bare template is still a config of its own.
    let template =
        temp_file("bare.tmpl", "spec:\n  containers:\n  - name: istio-proxy\n    image: {{ \"proxyv2\" }}\n");
    let out = injit(&["kube-inject", "-f", "-", "--injectConfigFile", &template], DEPLOYMENT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("image: proxyv2"), "{}", text(&out.stdout));
}

#[test]
fn documents_decode_as_istioctl_decodes_them() {
    // Wrong shapes are errors, as `FromRawToObject` makes them.
    for (document, message) in [
        (
            "apiVersion: v1\nkind: Pod\nmetadata: hello\n",
            "cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta",
        ),
        (
            "apiVersion: v1\nkind: Pod\nspec: []\n",
            "cannot unmarshal array into Go struct field Pod.spec of type v1.PodSpec",
        ),
        ("apiVersion: v1\nkind: List\nitems: 5\n", "Go struct field List.items of type []runtime.RawExtension"),
        (
            "apiVersion: [v1]\nkind: Pod\n",
            "cannot unmarshal array into Go struct field TypeMeta.apiVersion of type string",
        ),
        ("hello\n", "cannot unmarshal string into Go value of type v1.TypeMeta"),
    ] {
        let stderr = fails(3, &["-f", "-"], document);
        assert!(stderr.contains("<stdin>: document 1 (line 1): could not decode object: json: "), "{stderr}");
        assert!(stderr.contains(message), "{document:?}: {stderr}");
    }
    // Scalars where the type has strings become strings (sigs.k8s.io/yaml);
    // a kind that is not registered is copied as it is.
    let input = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 123\n  labels: {version: 1.10, canary: yes}\n\
                 spec:\n  containers:\n  - name: web\n    image: nginx\n---\napiVersion: v1\nkind: 5\n";
    let out = injit(&["kube-inject", "-f", "-"], input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in
        ["  name: \"123\"\n", "    version: \"1.1\"\n", "    canary: \"true\"\n", "apiVersion: v1\nkind: 5\n---\n"]
    {
        assert!(stdout.contains(expected), "{expected:?} in {stdout}");
    }
}

#[test]
fn input_that_is_not_utf8_names_its_line() {
    let path = temp_dir().join("latin1.yaml");
    let mut bytes = DEPLOYMENT.as_bytes().to_vec();
    let at = DEPLOYMENT.find("nginx").expect("an image");
    bytes[at] = 0xe9;
    std::fs::write(&path, bytes).expect("write");
    let path = path.to_string_lossy().into_owned();
    let stderr = fails(3, &["-f", &path], "");
    assert!(stderr.contains("latin1.yaml:15: not UTF-8 text"), "{stderr}");
}

#[test]
fn kube_inject_uses_the_sidecar_template_and_no_injected_annotations() {
    // `istioctl kube-inject` renders `sidecar` unless the pod names other
    // templates, and knows neither aliases nor injectedAnnotations: those
    // are the webhook's.
    let config = temp_file(
        "webhook-only-keys.yaml",
        "defaultTemplates: [both]\naliases:\n  both: [sidecar, extra]\ninjectedAnnotations:\n  example.com/injected: \"yes\"\n\
         templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        image: proxyv2\n\
         \x20 extra: |\n    metadata:\n      labels:\n        extra: \"1\"\n",
    );
    let run = |input: &str| {
        let out = injit(&["kube-inject", "-f", "-", "--injectConfigFile", &config], input);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let plain = run(DEPLOYMENT);
    assert!(plain.contains("image: proxyv2"), "{plain}");
    assert!(!plain.contains("extra: \"1\"") && !plain.contains("example.com/injected"), "{plain}");
    let asked = run(&DEPLOYMENT.replace(
        "labels: {app: web}\n    spec",
        "labels: {app: web}\n      annotations: {inject.istio.io/templates: \"sidecar,extra\"}\n    spec",
    ));
    assert!(asked.contains("extra: \"1\"") && asked.contains("image: proxyv2"), "{asked}");
}

/// The hardening issue's first route, as `kube-inject` met it: a key of
/// the `sidecar.istio.io/userVolume` JSON, printed by Istio's template as
/// `- name: "{{ $index }}"`, added `hostPID: true` and changed the
/// service account.
#[test]
fn a_user_volume_key_cannot_rewrite_the_pod() {
    let pod = |key: &str| {
        let volumes = serde_json::json!({ key: {"emptyDir": {}} }).to_string();
        serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "annotations": {"sidecar.istio.io/userVolume": volumes}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]},
        })
        .to_string()
    };
    let key = "x\"\n    emptyDir: {}\n  hostPID: true\n  serviceAccountName: istiod\n  readinessGates:\n  - name: \"y";
    let message = fails(1, &["-f", "-"], &pod(key));
    assert!(message.contains("sidecar.istio.io/userVolume"), "{message}");
    assert!(message.contains("changes the injected pod beyond its own field"), "{message}");
    // The same volume under a plain name is injected.
    let output = injit(&["kube-inject", "-f", "-"], &pod("data"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("name: data"), "{}", text(&output.stdout));
}

#[test]
fn a_config_cut_short_is_refused_naming_what_it_would_break() {
    let defaults = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("inject/defaults/config.yaml"))
        .expect("the default config");
    let at = defaults.find("\n      volumes:\n").expect("the sidecar template's volumes");
    let config = temp_file("cut-config.yaml", &defaults[..at + 1]);
    let output = injit(&["kube-inject", "--injectConfigFile", &config, "-f", "-"], DEPLOYMENT);
    assert!(!output.status.success(), "{}", text(&output.stdout));
    assert!(output.stdout.is_empty(), "nothing is written");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cut-config.yaml"), "{stderr}");
    assert!(
        stderr.contains(
            r#"injecting the reference pod "plain" makes an invalid pod: container "istio-proxy" mounts volume"#
        ),
        "{stderr}"
    );
}

/// A misspelt field in a pod template is injected as istioctl injects it
/// (dropped: the decoding does not keep it) but said on stderr, with the
/// name meant.
#[test]
fn a_misspelt_pod_template_field_is_warned_about() {
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      contaners:\n      - name: web\n        image: nginx\n";
    let out = injit(&["kube-inject", "--offline", "-f", "-"], manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: <stdin>: document 1: spec.template.spec.contaners: unknown field \"contaners\" (did you mean `containers`?), dropped"
        ),
        "{stderr}"
    );
}

/// Each config file given to another's flag is named as what it is.
#[test]
fn a_config_file_given_to_the_wrong_flag_is_named() {
    let defaults = Path::new(env!("CARGO_MANIFEST_DIR")).join("inject/defaults");
    let file = |name: &str| defaults.join(name).to_string_lossy().into_owned();
    let sleep = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sleep.yaml").to_string_lossy().into_owned();
    let cases = [
        ("--valuesFile", "mesh.yaml", "this is a mesh config, not the injector values (it has `defaultConfig`)"),
        ("--meshConfigFile", "config.yaml", "this is an injector config, not a mesh config (it has `"),
        ("--meshConfigFile", "values.json", "this is the injector values, not a mesh config (it has `"),
    ];
    for (flag, name, message) in cases {
        let out = injit(&["kube-inject", "--offline", "-f", &sleep, flag, &file(name)], "");
        assert_eq!(out.status.code(), Some(3), "{flag} {name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("{name}: {message}")), "{flag} {name}: {stderr}");
    }
}

/// What a template rendered that Istio silently drops or prints (a
/// mis-indented `limits:`, a missing key's `<no value>`) is a warning
/// naming the config line that wrote it; the pod is still injected, as
/// Istio injects it.
#[test]
fn rendered_problems_are_warned_at_their_template_line() {
    let config = temp_file(
        "warned.yaml",
        "templates:\n  sidecar: |\n    metadata:\n      labels:\n        team: {{ .ObjectMeta.Labels.team }}\n    \
         spec:\n      containers:\n      - name: istio-proxy\n        image: proxy\n        resources:\n        \
         limits:\n          cpu: 100m\n",
    );
    let out = injit(&["kube-inject", "--offline", "-f", "-", "--injectConfigFile", &config], DEPLOYMENT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("warning: Deployment \"shop/web\": "), "{stderr}");
    assert!(
        lines[0].ends_with("warned.yaml:5:18: template \"sidecar\": metadata.labels.team: \"<no value>\" rendered (a key the data lacks, printed)"),
        "{stderr}"
    );
    assert!(
        lines[1].ends_with(
            "warned.yaml:11:9: template \"sidecar\": spec.containers[0].limits: unknown field \"limits\", dropped as Istio drops it"
        ),
        "{stderr}"
    );
}

/// A YAML error in what a template rendered (here `-}}` joins `env:` and
/// the first item) names the config's line that wrote the place, not
/// only the rendered line the author never sees.
#[test]
fn a_yaml_error_in_rendered_output_names_the_template_line() {
    let config = temp_file(
        "joined.yaml",
        "templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        image: proxy\n        \
         env:\n        {{- range $i, $c := .Spec.Containers -}}\n        - name: APP_{{ $i }}\n          \
         value: {{ $c.Name }}\n        {{- end }}\n",
    );
    let stderr = fails(1, &["-f", "-", "--injectConfigFile", &config], DEPLOYMENT);
    assert!(
        stderr.contains("template \"sidecar\" (rendered from ")
            && stderr.contains("joined.yaml:10:16): failed parsing generated injected YAML"),
        "{stderr}"
    );
}
