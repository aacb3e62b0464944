//! Execution limits: Go's template depth limit and injit's output limit,
//! each stopping a render with a clear error instead of exhausting memory
//! or the native stack.

use injit_compiler::{CompileOptions, ExecLimits, Functions, TemplateSet};
use injit_runtime::{Data, FunctionSet};

fn render(source: &str, limits: ExecLimits) -> (String, Result<(), String>) {
    let options = CompileOptions { functions: Functions::new(FunctionSet::Sprig), limits, ..CompileOptions::default() };
    let set = TemplateSet::compile(source, &options).expect("test template parses");
    let mut out = Vec::new();
    let result = set.render(&Data::Null, &mut out).map_err(|e| e.to_string());
    (String::from_utf8_lossy(&out).into_owned(), result)
}

#[test]
fn unbounded_recursion_stops_at_go_depth_limit() {
    let (_, result) = render(r#"{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}"#, ExecLimits::default());
    let error = result.expect_err("recursion must fail");
    assert!(error.ends_with("exceeded maximum template depth (100000)"), "{error}");
}

#[test]
fn output_beyond_the_limit_is_an_error_with_partial_output() {
    let limits = ExecLimits { max_output: 1000, ..ExecLimits::default() };
    let (out, result) = render(r#"{{range $i, $_ := until 100}}0123456789abcdef{{end}}"#, limits);
    let error = result.expect_err("output over the limit must fail");
    assert!(error.contains("output exceeds the limit of 1000 bytes"), "{error}");
    assert!(out.len() > 1000 && out.len() <= 1016, "stops at the first write past the limit: {} bytes", out.len());
}

#[test]
fn printed_values_count_toward_the_limit() {
    let limits = ExecLimits { max_output: 100, ..ExecLimits::default() };
    let (_, result) = render(r#"{{repeat 500 "x"}}"#, limits);
    assert!(result.expect_err("a large value must fail").contains("output exceeds the limit of 100 bytes"));
}

#[test]
fn output_under_the_limit_renders() {
    let limits = ExecLimits { max_output: 1000, ..ExecLimits::default() };
    let (out, result) = render(r#"{{repeat 1000 "x"}}"#, limits);
    result.expect("exactly the limit is allowed");
    assert_eq!(out.len(), 1000);
}
