//! injit's mutating admission webhook: AdmissionReview in and out, JSON
//! Patch, and the HTTPS server with hot reload and metrics.
#![forbid(unsafe_code)]

pub mod admission;
pub mod answers;
pub mod budget;
pub mod certs;
pub mod config_files;
mod connections;
mod in_time;
pub mod metrics;
pub mod patch;
pub mod path_envs;
mod reload;
pub mod review;
mod routes;
pub mod scan;
pub mod server;
mod state;
pub mod tls;

pub use admission::{Decision, OnError, admit, admit_in_cluster, admit_object};
pub use config_files::{ConfigFiles, ReadError};
pub use review::{BadReview, Response, ReviewRequest};
pub use routes::{MAX_BODY, MAX_JSON_VALUES, MAX_REUSED_BODY};
pub use server::{ReloadTrigger, Server, Settings, StartError};
pub use state::State;
pub use tls::{CertError, CertFiles};
