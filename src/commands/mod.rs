//! One module per subcommand.

pub mod analyze;
pub mod certs;
pub mod check;
pub mod check_inject;
pub mod check_inject_live;
pub mod data_type;
pub mod kube_inject;
pub mod render;
pub mod render_pod;
pub mod serve;
