//! Arbitrary template text and data, compiled and rendered on both
//! backends: neither may crash, hang or exhaust memory, and both must give
//! the same output and error. Input: template, a NUL byte, JSON data.
#![no_main]

use injit_compiler::{Backend, CompileOptions, ExecLimits, FunctionSet, TemplateSet};
use injit_runtime::{Data, Library, NumberMode};
use libfuzzer_sys::fuzz_target;

mod signal;

/// Functions whose results differ from call to call.
const NONDETERMINISTIC: &[&str] =
    &["rand", "uuid", "now", "ago", "date", "shuffle", "gen", "bcrypt", "htpasswd", "encrypt", "unixEpoch", "duration"];

fuzz_target!(|input: &[u8]| {
    let split = input.iter().position(|&b| b == 0).unwrap_or(input.len());
    let Ok(template) = std::str::from_utf8(&input[..split]) else { return };
    if NONDETERMINISTIC.iter().any(|name| template.contains(name)) {
        return;
    }
    let data =
        input.get(split + 1..).and_then(|json| Data::from_json(json, NumberMode::Float).ok()).unwrap_or(Data::Null);
    let render = |backend| {
        let options = CompileOptions {
            functions: FunctionSet::new(Library::Sprig),
            backend,
            // Small limits keep each run fast; recursion still goes deep.
            limits: ExecLimits { max_depth: 10_000, max_output: 1 << 20 },
            ..CompileOptions::default()
        };
        let set = match TemplateSet::compile(template, &options) {
            Ok(set) => set,
            Err(e) => return (Vec::new(), Err(e.to_string())),
        };
        let mut out = Vec::new();
        let result = set.render(&data, &mut out).map_err(|e| e.to_string());
        (out, result)
    };
    let eval = render(Backend::Eval);
    // The error's kind (its text without positions and numbers) and the
    // output's size.
    let kind = eval.1.as_ref().err().map(|e| e.chars().filter(|c| !c.is_ascii_digit()).take(60).collect::<String>());
    signal::mark((kind, signal::magnitude(eval.0.len())));
    let jit = render(Backend::Jit);
    assert_eq!(eval, jit, "the backends differ");
});
