//! injit's snapshot and conformance suites live in `tests/`, as data files
//! run through insta; this crate has no code of its own.
