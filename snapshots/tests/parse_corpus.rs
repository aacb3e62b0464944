//! Every case of the Go conformance corpus parses exactly when Go's parser
//! accepts it, and a rejected case gets Go's error text.

mod common;

use common::load_corpus;
use injit_grammar::{Delims, ParseOptions, parse};
use injit_runtime::Library;
use injit_testkit::batch::Case;

fn parse_case(case: &Case) -> Result<(), String> {
    let set = if case.sprig { Library::Sprig } else { Library::Go };
    let testfuncs = case.testfuncs;
    let lookup = move |name: &str| {
        set.signature(name).is_some() || (testfuncs && injit_testkit::funcs::signature(name).is_some())
    };
    let mut options = ParseOptions::new(case.template_name.clone().unwrap_or_else(|| "t".into()), &lookup);
    if let Some([l, r]) = case.delims.as_deref() {
        options = options.delims(Delims::new(l, r));
    }
    parse(&case.template, &options).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn corpus_parses_exactly_when_go_does() {
    let mut wrong_outcome = Vec::new();
    let mut wrong_text = Vec::new();
    let mut parse_errors = 0;
    let corpus = load_corpus();
    for (case, expected) in &corpus {
        let go_rejects = expected.error_kind.as_deref() == Some("parse");
        parse_errors += go_rejects as usize;
        match (parse_case(case), go_rejects) {
            (Ok(()), false) => {}
            (Err(got), true) => {
                if Some(&got) != expected.error.as_ref() {
                    wrong_text.push(format!(
                        "{}\n  template: {:?}\n  go:  {:?}\n  got: {got:?}",
                        case.name, case.template, expected.error
                    ));
                }
            }
            (got, _) => wrong_outcome.push(format!(
                "{}\n  template: {:?}\n  go:  {:?}\n  got: {got:?}",
                case.name, case.template, expected.error
            )),
        }
    }
    assert!(
        wrong_outcome.is_empty(),
        "{} cases disagree with Go on whether they parse:\n{}",
        wrong_outcome.len(),
        wrong_outcome.join("\n")
    );
    assert!(
        wrong_text.is_empty(),
        "{} of {parse_errors} parse errors differ from Go's text:\n{}",
        wrong_text.len(),
        wrong_text.join("\n")
    );
}
