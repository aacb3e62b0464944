//! Test support shared by injit-cluster's tests and the CLI's: a fake
//! Kubernetes API server and the objects it serves.
#![allow(dead_code, unused_imports, unreachable_pub)]

pub mod fake;
pub mod objects;
pub mod tls;
pub mod wire;

pub use fake::{FakeApi, write_kubeconfig};
