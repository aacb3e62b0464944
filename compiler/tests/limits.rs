//! Execution limits: Go's template depth limit and injit's output limit,
//! each stopping a render with a clear error instead of exhausting memory
//! or the native stack; and the nesting limit, which keeps parsing and
//! compiling off the caller's stack and within their own.

use injit_compiler::{Backend, CompileOptions, ExecLimits, FunctionSet, TemplateSet};
use injit_runtime::{Data, Library};
use injit_testkit::batch::assert_backend;

fn render(source: &str, limits: ExecLimits) -> (String, Result<(), String>) {
    let options = CompileOptions { functions: FunctionSet::new(Library::Sprig), limits, ..CompileOptions::default() };
    let set = TemplateSet::compile(source, &options).expect("test template parses");
    assert_backend(&set, Backend::Jit, source);
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

/// Templates nested `levels` deep in each way the parser recurses.
fn nested(levels: usize) -> Vec<(&'static str, String)> {
    let n = levels;
    vec![
        ("if", format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n))),
        ("else if", format!("{{{{if 0}}}}{}{{{{else}}}}x{{{{end}}}}", "{{else if 0}}".repeat(n - 1))),
        ("range", format!("{}x{}", "{{range $i := until 1}}".repeat(n), "{{end}}".repeat(n))),
        ("with", format!("{}x{}", "{{with 1}}".repeat(n), "{{end}}".repeat(n))),
        ("parentheses", format!("{{{{{}\"x\"{}}}}}", "(".repeat(n), ")".repeat(n))),
        ("not", format!("{{{{if {}false{}}}}}x{{{{end}}}}", "not (".repeat(n - 1), ")".repeat(n - 1))),
        ("block", format!("{{{{block \"b\" .}}}}{}x{}{{{{end}}}}", "{{if 1}}".repeat(n - 1), "{{end}}".repeat(n - 1))),
    ]
}

#[test]
fn templates_nested_to_the_limit_compile_on_a_small_stack() {
    // An async runtime's worker has 2 MiB of stack: compiling must not
    // use it (a webhook reloading its config compiles there).
    let small = std::thread::Builder::new().stack_size(2 << 20);
    let worker = small
        .spawn(|| {
            for backend in [Backend::Eval, Backend::Jit] {
                for (shape, source) in nested(injit_grammar::MAX_NESTING as usize) {
                    let options = CompileOptions {
                        functions: FunctionSet::new(Library::Sprig),
                        backend,
                        ..CompileOptions::default()
                    };
                    let set =
                        TemplateSet::compile(&source, &options).unwrap_or_else(|e| panic!("{shape}, {backend:?}: {e}"));
                    assert_backend(&set, backend, shape);
                    let mut out = Vec::new();
                    set.render(&Data::Null, &mut out).unwrap_or_else(|e| panic!("{shape}, {backend:?}: {e}"));
                    assert_eq!(out, b"x", "{shape}, {backend:?}");
                }
            }
        })
        .expect("a thread");
    worker.join().expect("no stack overflow, no panic");
}

#[test]
fn nesting_past_the_limit_is_a_parse_error() {
    for (shape, source) in nested(injit_grammar::MAX_NESTING as usize + 1) {
        let options = CompileOptions { functions: FunctionSet::new(Library::Sprig), ..CompileOptions::default() };
        let Err(e) = TemplateSet::compile(&source, &options) else { panic!("{shape} compiles") };
        assert_eq!(e.to_string(), "template: t:1: nesting deeper than 1000 levels", "{shape}");
    }
}
