//! One module per subcommand.

pub mod certs;
pub mod check;
pub mod kube_inject;
pub mod render;
pub mod serve;
