//! The edges of what inference reports: function sets that replace
//! builtins, and what it must leave alone.

use injit_grammar::{ParseOptions, parse};
use injit_runtime::Library;
use injit_runtime::types::GoType;

use super::check_types;
use crate::check::FunctionSet;

const NONE: [&str; 0] = [];

/// The codes reported for `text` over `SidecarTemplateData`.
fn codes(text: &str, library: Library) -> Vec<&'static str> {
    let functions = FunctionSet::new(library);
    let lookup = |n: &str| functions.contains(n);
    let templates = parse(text, &ParseOptions::new("t", &lookup)).expect("the template parses");
    let root = GoType::named("inject.SidecarTemplateData").expect("Istio's template data");
    check_types(&templates, "t", root, &functions).into_iter().map(|d| d.code).collect()
}

#[test]
fn go_builtin_slice_follows_go_rules() {
    assert_eq!(codes("{{ slice .ProxyUID 1 }}", Library::Go), ["cannot-slice"]);
    assert_eq!(codes("{{ slice .ObjectMeta.Name 0 1 2 }}", Library::Go), ["cannot-slice"]);
    assert_eq!(codes(r#"{{ slice .Spec.Containers "1" }}"#, Library::Go), ["cannot-index"]);
    assert_eq!(codes("{{ slice .ObjectMeta.Name 1 }}{{ slice .Spec.Containers 0 1 }}", Library::Go), NONE);
}

#[test]
fn a_function_set_replacing_a_builtin_is_checked_by_its_signature() {
    // Sprig's `slice` takes `interface {}`: no builtin rule applies.
    assert_eq!(codes("{{ slice .ProxyUID 1 }}", Library::Istio), NONE);
}

#[test]
fn what_depends_on_the_data_or_the_go_version_is_left_alone() {
    // Ranging over an integer is Go 1.22's.
    assert_eq!(codes("{{ range .ProxyUID }}{{ end }}", Library::Istio), NONE);
    // `eq` stops at the first equal comparand.
    assert_eq!(codes(r#"{{ eq .ObjectMeta.Name "a" 1 }}"#, Library::Istio), NONE);
    // Assigned on one path only.
    let reassigned = r#"{{ $p := 1 }}{{ if .NativeSidecars }}{{ $p = "x" }}{{ end }}{{ eq $p "x" }}"#;
    assert_eq!(codes(reassigned, Library::Istio), NONE);
    // An absent label is Go's invalid value, which compares with anything.
    assert_eq!(codes("{{ eq .ObjectMeta.Labels.app 1 }}", Library::Istio), NONE);
    // Durations, quantities and times keep their Go semantics to themselves.
    assert_eq!(codes(r#"{{ eq .ProxyConfig.DrainDuration "1s" }}"#, Library::Istio), NONE);
}

#[test]
fn a_variable_assigned_its_own_type_keeps_it() {
    let same = r#"{{ $mode := "a" }}{{ if .NativeSidecars }}{{ $mode = "b" }}{{ end }}{{ eq $mode 1 }}"#;
    assert_eq!(codes(same, Library::Istio), ["incompatible-comparison"]);
    // Assigned from a variable whose own type is unknown.
    let chained = r#"{{ $a := 1 }}{{ $b := 2 }}{{ $a = "x" }}{{ $b = $a }}{{ eq $b "x" }}"#;
    assert_eq!(codes(chained, Library::Istio), NONE);
    let in_range = r#"{{ $i := 0 }}{{ range $i = .Spec.Containers }}{{ end }}{{ eq $i "0" }}"#;
    assert_eq!(codes(in_range, Library::Istio), NONE);
}

#[test]
fn a_variable_keeps_its_type_where_it_is_never_assigned() {
    assert_eq!(codes(r#"{{ $uid := .ProxyUID }}{{ eq $uid "0" }}"#, Library::Istio), ["incompatible-comparison"]);
    assert_eq!(
        codes(r#"{{ range $i, $c := .Spec.Containers }}{{ index $c.Args $i }}{{ upper $i }}{{ end }}"#, Library::Istio),
        ["wrong-argument-type"]
    );
}

#[test]
fn fields_past_a_map_key_are_left_alone() {
    // A pod without the label gives Go's invalid value, whose `.x` is no
    // error; only a pod with it fails (a string has no fields).
    assert_eq!(codes("{{ .ObjectMeta.Labels.app.x }}", Library::Istio), NONE);
    assert_eq!(codes("{{ .ObjectMeta.Labelz.app }}", Library::Istio), ["unknown-field"]);
}
