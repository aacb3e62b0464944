//! One module per subcommand.

pub mod check;
pub mod kube_inject;
pub mod render;
