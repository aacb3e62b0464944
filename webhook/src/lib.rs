//! injit's mutating admission webhook: AdmissionReview in and out, JSON
//! Patch, and (in `server`) the HTTPS server with hot reload and metrics.
#![forbid(unsafe_code)]

pub mod admission;
pub mod patch;
pub mod path_envs;
pub mod review;

pub use admission::{Decision, OnError, admit};
pub use review::{BadReview, Request, Response};
