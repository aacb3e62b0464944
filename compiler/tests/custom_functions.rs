//! Functions a program registers from Rust (Go's `Template.Funcs`): checked
//! like built-in ones, called by both backends, replacing same-named ones.

use injit_compiler::{Backend, CompileOptions, FunctionSet, TemplateSet, check};
use injit_grammar::{ParseOptions, parse};
use injit_runtime::funcs::{CallCx, CustomFunction};
use injit_runtime::{Data, Library, Signature, Value};
use injit_testkit::batch::assert_backend;

fn shout<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    let mut text = args[0].as_bytes().unwrap_or_default().to_ascii_uppercase();
    text.push(b'!');
    Ok(Value::string(text))
}

fn double<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    match args[0].repr {
        injit_runtime::Repr::Int(n, _) => Ok(Value::int(n * 2)),
        _ => Err("not an int".to_owned()),
    }
}

fn refuse<'a>(_: &CallCx, _: &[Value<'a>]) -> Result<Value<'a>, String> {
    Err("refused".to_owned())
}

fn functions() -> FunctionSet {
    FunctionSet::new(Library::Sprig).with_custom(&[
        CustomFunction { signature: Signature::new("shout", &["string"], false, &["string"]), body: shout },
        CustomFunction { signature: Signature::new("double", &["int"], false, &["int"]), body: double },
        // Replaces sprig's `upper`.
        CustomFunction { signature: Signature::new("upper", &["string"], false, &["string", "error"]), body: refuse },
    ])
}

fn render(source: &str, backend: Backend) -> Result<String, String> {
    let options = CompileOptions { functions: functions(), backend, ..CompileOptions::default() };
    let set = TemplateSet::compile(source, &options).map_err(|e| e.to_string())?;
    assert_backend(&set, backend, source);
    let mut out = Vec::new();
    set.render(&Data::Null, &mut out).map_err(|e| e.to_string())?;
    Ok(String::from_utf8(out).expect("utf-8"))
}

#[test]
fn registered_functions_run_on_both_backends() {
    for backend in [Backend::Eval, Backend::Jit] {
        assert_eq!(
            render(r#"{{ "hi" | shout }} {{ double 21 }} {{ "x" | quote }}"#, backend),
            Ok(r#"HI! 42 "x""#.to_owned())
        );
        assert_eq!(
            render(r#"{{ upper "a" }}"#, backend).unwrap_err(),
            r#"template: t:1:3: executing "t" at <upper "a">: error calling upper: refused"#
        );
    }
}

#[test]
fn registered_functions_are_checked() {
    let functions = functions();
    let lookup = move |name: &str| functions.contains(name);
    let source = r#"{{ shout "a" "b" }}{{ shuot "a" }}"#;
    let templates = parse(source, &ParseOptions::new("t", &lookup).lenient()).expect("parses");
    let messages: Vec<String> = check(&templates, &functions).into_iter().map(|d| d.message).collect();
    assert_eq!(messages, ["wrong number of args for shout: want 1 got 2", "function \"shuot\" not defined"]);
}
