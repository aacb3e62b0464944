//! `injit analyze` as people call it: positional files, `-n`, folders
//! holding other files, the Istio era, `-o json`.

#[path = "../cluster/tests/support/mod.rs"]
mod support;

use std::process::Command;

use serde_json::json;

fn analyze(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_injit")).arg("analyze").args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (output.status.code().unwrap_or(-1), text(&output.stdout), text(&output.stderr))
}

#[test]
fn positional_files_and_the_default_namespace() {
    let (code, without_n, _) = analyze(&["examples/app.yaml"]);
    assert_eq!(code, 0);
    let (_, with_n, _) = analyze(&["examples/app.yaml", "-n", "shop"]);
    // The Service `web` names no namespace: with -n shop it is the
    // Deployment shop/web's, as `kubectl apply -n shop` would make it.
    assert!(without_n.contains("Deployment shop/web") && without_n.contains("no Service in namespace \"shop\""));
    let web = |text: &str| text.split("\n\n").filter(|b| b.contains("Deployment shop/web")).collect::<String>();
    assert!(web(&without_n).contains("no-service"), "{without_n}");
    assert!(!web(&with_n).contains("no-service"), "{with_n}");
}

/// Each item of a `List` is named at its own line, not the List's.
#[test]
fn list_items_have_their_own_lines() {
    let (_, out, _) = analyze(&["examples/app.yaml", "-n", "shop"]);
    assert!(out.contains("examples/app.yaml:125: Pod shop/debug"), "{out}");
    assert!(out.contains("examples/app.yaml:137: ReplicaSet shop/worker"), "{out}");
}

#[test]
fn a_folder_is_read_past_files_that_are_not_manifests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "{{ template }}\n- not: [yaml\n").unwrap();
    std::fs::copy("examples/sleep.yaml", dir.path().join("b.yaml")).unwrap();
    let (code, stdout, stderr) = analyze(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning: skipped, not a manifest: ") && stderr.contains("a.yaml"), "{stderr}");
    assert!(stdout.contains("b.yaml"), "{stdout}");
    // A file named on the command line must read.
    let (code, _, stderr) = analyze(&[dir.path().join("a.yaml").to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
}

#[test]
fn the_seed_era_wants_one_service_per_pod() {
    let file = "snapshots/tests/inputs/analyze/two-services.yaml";
    let (_, current, _) = analyze(&[file, "-o", "json"]);
    let (_, legacy, _) = analyze(&[file, "-o", "json", "--istio-version", "1.1"]);
    assert!(!current.contains("multiple-services"));
    assert!(legacy.contains("multiple-services"));
}

/// `-k`: the cluster's Pods and Services, in `-n`'s namespace or all but
/// the cluster's own (`-A`), beside any files.
#[test]
fn use_kube_reads_the_clusters_pods_and_services() {
    let api = support::FakeApi::start();
    let pod = |ns: &str, name: &str, app: &str| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
               "spec": {"containers": [{"name": "app", "image": "x", "ports": [{"containerPort": 15001}]}]}})
    };
    api.put(pod("shop", "web-1", "web"));
    api.put(pod("kube-system", "dns-1", "dns"));
    api.put(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"selector": {"app": "web"}, "ports": [{"name": "web", "port": 80}]}}));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path(), "kind-test");
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_injit"))
            .args(["analyze", "-k", "--kubeconfig", kubeconfig.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (code, shop) = run(&["-n", "shop"]);
    assert_eq!(code, Some(1), "{shop}");
    assert!(shop.contains("cluster \"kind-test\": Pod shop/web-1"), "{shop}");
    assert!(shop.contains("reserved-port") && shop.contains("port-name"), "{shop}");
    assert!(!shop.contains("no-service"), "the Service selects the pod: {shop}");
    let (_, all) = run(&["-A"]);
    assert!(all.contains("Pod shop/web-1") && !all.contains("kube-system"), "{all}");
    assert!(api.requests().iter().any(|r| r.starts_with("GET /api/v1/pods?")), "{:?}", api.requests());
}

/// A read that takes over a second shows a progress line, while it runs:
/// the second file is a pipe the test writes to only after 1.5 s.
#[test]
fn a_slow_read_shows_progress_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("slow.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let child = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["analyze", "--progress", "always", "examples/sleep.yaml", fifo.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("injit runs");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    std::fs::write(&fifo, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: slow\n").unwrap();
    let out = child.wait_with_output().expect("injit ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.starts_with("analyze: 1/2 files\n"), "{stderr}");
    // Quick runs print none, even when asked.
    let (_, _, stderr) = analyze(&["--progress", "always", "examples/sleep.yaml"]);
    assert!(!stderr.contains("files"), "{stderr}");
}
