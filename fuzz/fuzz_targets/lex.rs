//! Arbitrary template text through the hand-written scanner and the pest
//! grammar: whenever the scanner takes a template, the tokens must be the
//! grammar's. The first byte picks the delimiters.
#![no_main]

use injit_grammar::{Delims, scanner_agrees_with_grammar};
use libfuzzer_sys::fuzz_target;

mod signal;

fuzz_target!(|input: &[u8]| {
    let Some((&selector, text)) = input.split_first() else { return };
    let Ok(source) = std::str::from_utf8(text) else { return };
    let delims = if selector % 2 == 0 { Delims::default() } else { Delims::brackets() };
    let actions = source.matches(if selector % 2 == 0 { "{{" } else { "[[" }).count();
    signal::mark((selector % 2, signal::magnitude(source.len()), actions.min(16)));
    assert!(scanner_agrees_with_grammar(source, &delims), "scanner and grammar differ on {source:?} with {delims}");
});
