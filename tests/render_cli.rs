//! `injit render` as a user runs it: exit codes, YAML and JSON data, and
//! errors that name the file and line.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn injit(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(args)
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

fn temp_file(name: &str, text: &str) -> String {
    // Cargo's scratch space for integration tests (`cargo clean` empties
    // it), not the system's temporary folder.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("render-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path.to_string_lossy().into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn renders_yaml_data_with_yaml_1_1_scalars() {
    let tmpl = temp_file("ports.tmpl", "{{.name}} {{.ports}} {{.enabled}} {{.mode}}");
    let data = temp_file("data.yaml", "name: web\nports: [80, 0x1bb]\nenabled: yes\nmode: '0777'\n");
    let out = injit(&["render", "--funcs", "go", &tmpl, &data], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "web [80 443] true 0777");
}

#[test]
fn reads_data_from_stdin_as_json_or_yaml() {
    let tmpl = temp_file("stdin.tmpl", "{{.a}}");
    let out = injit(&["render", &tmpl, "-"], r#"{"a": 1e6}"#);
    assert_eq!(text(&out.stdout), "1e+06");
    let out = injit(&["render", &tmpl, "-"], "a: hello\n");
    assert_eq!(text(&out.stdout), "hello");
}

#[test]
fn exit_codes_follow_go_error_kinds() {
    let data = temp_file("codes.json", r#"{"a": "s"}"#);
    let parse_error = temp_file("parse.tmpl", "{{.a");
    let out = injit(&["render", &parse_error, &data], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "template: t:1: unclosed action\nnote: the action at 1:1 is never closed\n");

    let exec_error = temp_file("exec.tmpl", "abc{{.a.b}}def");
    let out = injit(&["render", &exec_error, &data], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "abc", "output before the error is kept");
    assert_eq!(
        text(&out.stderr).trim(),
        r#"template: t:1:7: executing "t" at <.a.b>: can't evaluate field b in type interface {}"#
    );
}

#[test]
fn bad_data_names_file_and_line() {
    let tmpl = temp_file("bad.tmpl", "{{.}}");
    let json = temp_file("bad.json", "{\"a\": 1,\n \"b\": x}");
    let out = injit(&["render", &tmpl, &json], "");
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("bad.json:2: JSON invalid character 'x'"), "{err}");

    let yaml = temp_file("bad.yaml", "a: 1\nb: [1, 2\n");
    let out = injit(&["render", &tmpl, &yaml], "");
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("bad.yaml: YAML line "), "{err}");
}

#[test]
fn the_environment_is_read_only_when_allowed() {
    let template = temp_file("env.tmpl", r#"{{ env "INJIT_RENDER_TEST" }}|{{ expandenv "${INJIT_RENDER_TEST}!" }}"#);
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_injit"))
            .args(["render", "--funcs", "sprig"])
            .args(extra)
            .arg(&template)
            .env("INJIT_RENDER_TEST", "value")
            .output()
            .expect("injit runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(run(&[]), "|!", "as in the injector, templates see an empty environment");
    assert_eq!(run(&["--allow-env"]), "value|value!");
}

/// `--batch` runs the conformance kit's format, test functions included,
/// in builds with the `kit` feature; other builds say how to get it.
#[test]
fn batch_needs_the_kit_feature() {
    let cases = concat!(
        r#"{"name":"plain","template":"{{.x}}","data":{"x":1}}"#,
        "\n",
        r#"{"name":"kit","template":"{{pair 1 \"b\"}}","testfuncs":true}"#,
        "\n"
    );
    // Each case renders once: under the default `auto` that is the
    // evaluator, and the results say so; `--backend jit` compiles first.
    if cfg!(feature = "kit") {
        for backend in ["eval", "jit"] {
            let out = match backend {
                "eval" => injit(&["render", "--batch", "-", "-"], cases),
                _ => injit(&["render", "--backend", "jit", "--batch", "-", "-"], cases),
            };
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            let want = format!(
                "{{\"name\":\"plain\",\"output\":\"1\",\"error\":null,\"error_kind\":null,\"backend\":\"{backend}\"}}\n\
                 {{\"name\":\"kit\",\"output\":\"map[a:1 b:b]\",\"error\":null,\"error_kind\":null,\"backend\":\"{backend}\"}}\n"
            );
            assert_eq!(text(&out.stdout), want);
        }
    } else {
        let out = injit(&["render", "--batch", "-", "-"], cases);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("--features kit"), "{}", text(&out.stderr));
    }
}

/// A template an author iterates on: over a pod's typed data (ports are
/// int32, fields by their Go names), which plain JSON data is not.
const AUTHOR_TEMPLATE: &str = "image: {{ .ProxyImage }}\nport: {{ with (index .Spec.Containers 0).Ports }}{{ (index . 0).ContainerPort }}{{ end }}\n";

const WEB: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  \
                   - name: web\n    image: nginx\n    ports:\n    - containerPort: 8080\n";

/// `render --pod` prints the data injection gives the pod; rendering over
/// it with `--data-type sidecar` is rendering with `--pod` itself, and
/// the JSON survives an edit.
#[test]
fn a_pods_data_round_trips_through_render() {
    let manifest = temp_file("web.yaml", WEB);
    let template = temp_file("author.tmpl", AUTHOR_TEMPLATE);
    let dumped = injit(&["render", "--pod", &manifest], "");
    assert_eq!(dumped.status.code(), Some(0), "{}", text(&dumped.stderr));
    let json: serde_json::Value = serde_json::from_slice(&dumped.stdout).expect("JSON");
    assert_eq!(json["ProxyImage"], "docker.io/istio/proxyv2:1.31.0");
    assert_eq!(json["Spec"]["containers"][0]["ports"][0]["containerPort"], 8080);
    let direct = injit(&["render", &template, "--pod", &manifest], "");
    assert_eq!(text(&direct.stdout), "image: docker.io/istio/proxyv2:1.31.0\nport: 8080\n", "{}", text(&direct.stderr));
    let data = temp_file("web-data.json", &text(&dumped.stdout).replace("8080", "9090"));
    let typed = injit(&["render", &template, &data, "--data-type", "sidecar"], "");
    assert_eq!(text(&typed.stdout), "image: docker.io/istio/proxyv2:1.31.0\nport: 9090\n", "{}", text(&typed.stderr));
    // As plain JSON, the Go names are not there: Go's error.
    let untyped = injit(&["render", &template, &data], "");
    assert_eq!(untyped.status.code(), Some(1));
    assert!(text(&untyped.stderr).contains("index of untyped nil"), "{}", text(&untyped.stderr));
}

/// Typed data is decoded strictly, as Go decodes JSON into the type.
#[test]
fn typed_data_with_a_field_the_type_lacks_is_refused() {
    let template = temp_file("strict.tmpl", "{{ .ProxyImage }}");
    let data = temp_file("strict.json", r#"{"ProxyImage": "x", "ProxyImg": "y"}"#);
    let out = injit(&["render", &template, &data, "--data-type", "sidecar"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("ProxyImg"), "{}", text(&out.stderr));
    let out = injit(&["render", &template, &data, "--data-type", "nope.Nothing"], "");
    assert_eq!(out.status.code(), Some(2));
}

/// `--show-rendered`: the raw text of each template the pod asks for.
#[test]
fn show_rendered_prints_each_templates_text() {
    let manifest = temp_file("shown.yaml", WEB);
    let out = injit(&["render", "--pod", &manifest, "--show-rendered"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.starts_with("# template \"sidecar\" for Pod shop/web\n"), "{shown}");
    assert!(shown.contains("- name: istio-proxy"), "{shown}");
    // Config files apply to --pod only.
    let out = injit(&["render", "--injectConfigFile", &manifest, &manifest], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("only with --pod"), "{}", text(&out.stderr));
}

/// `kube-inject --dump-data` gives each object's data, the same as
/// `render --pod --object`.
#[test]
fn kube_inject_dumps_each_pods_data() {
    let manifest = temp_file(
        "two.yaml",
        &format!("{WEB}---\n{}", WEB.replace("name: web\n  namespace", "name: api\n  namespace")),
    );
    let out = injit(&["kube-inject", "--offline", "-f", &manifest, "--dump-data"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let keys: Vec<&String> = all.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["Pod shop/api", "Pod shop/web"]);
    let one = injit(&["render", "--pod", &manifest, "--object", "pod/api"], "");
    let one: serde_json::Value = serde_json::from_slice(&one.stdout).expect("JSON");
    assert_eq!(all["Pod shop/api"], one);
    assert_eq!(one["ObjectMeta"]["name"], "api");
}

/// An `unexpected EOF` or an `unclosed action` names, after Go's text,
/// what was left open.
#[test]
fn what_was_left_open_is_named_after_gos_text() {
    let cases = [
        (
            "eof.tmpl",
            "a\n{{ if .X }}\nb\n{{ range .Y }}c{{ end }}\n",
            "template: t:5: unexpected EOF\nnote: the `if` at 2:1 is never closed by an `end`\n",
        ),
        (
            "unclosed.tmpl",
            "a: 1\nb: {{ .X",
            "template: t:2: unclosed action\nnote: the action at 2:4 is never closed\n",
        ),
    ];
    for (name, source, stderr) in cases {
        let out = injit(&["render", &temp_file(name, source)], "");
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(text(&out.stderr), stderr);
    }
}
