//! The YAML writer against go-yaml v2 (what `sigs.k8s.io/yaml.Marshal`
//! writes): 1,500 random JSON documents full of strings that need quoting,
//! folding or literal blocks, with go-yaml's output for each
//! (`tests/yaml/expected.jsonl`, from a Go program over gopkg.in/yaml.v2).

mod common;

use injit_runtime::encoding::yaml::{marshal, node_from_json};

#[test]
fn marshals_like_go_yaml_v2() {
    let dir = common::data_dir().join("yaml");
    let cases = std::fs::read_to_string(dir.join("cases.jsonl")).expect("cases");
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).expect("expected");
    let mut failures = Vec::new();
    let mut total = 0;
    for (case, want) in cases.split('\n').zip(expected.split('\n')).filter(|(c, _)| !c.is_empty()) {
        total += 1;
        let want: String = serde_json::from_str(want).expect("expected line");
        let got = String::from_utf8_lossy(&marshal(&node_from_json(case.as_bytes()).expect("case"))).into_owned();
        if got != want {
            failures.push(format!("{case}\n  want: {want:?}\n  got:  {got:?}"));
        }
    }
    assert_eq!(total, 1500);
    assert!(
        failures.is_empty(),
        "{} of {total} differ:\n{}",
        failures.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}
