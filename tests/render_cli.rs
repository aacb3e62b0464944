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
    let dir = std::env::temp_dir().join(format!("injit-render-cli-{}", std::process::id()));
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
    assert_eq!(text(&out.stderr).trim(), "template: t:1: unclosed action");

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
    let out = injit(&["render", "--batch", "-", "-"], cases);
    if cfg!(feature = "kit") {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            concat!(
                r#"{"name":"plain","output":"1","error":null,"error_kind":null,"backend":"jit"}"#,
                "\n",
                r#"{"name":"kit","output":"map[a:1 b:b]","error":null,"error_kind":null,"backend":"jit"}"#,
                "\n"
            )
        );
    } else {
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("--features kit"), "{}", text(&out.stderr));
    }
}
