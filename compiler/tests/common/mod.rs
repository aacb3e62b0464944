//! What the compiler's suites share.

use injit_compiler::{Backend, TemplateSet};

/// Panics unless `set` runs on the backend asked for: a set asked for
/// native code falls back to the evaluator when code generation fails,
/// and a test comparing the backends would then compare the evaluator
/// with itself.
#[track_caller]
pub(crate) fn assert_backend(set: &TemplateSet, asked: Backend, what: &str) {
    assert_eq!(
        set.backend(),
        asked,
        "{what}: asked for the {} backend, runs on the {} ({})",
        asked.name(),
        set.backend().name(),
        set.jit_error().map_or_else(|| "no native code error recorded".to_owned(), ToString::to_string)
    );
}
