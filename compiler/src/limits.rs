//! Bounds on one render (template call depth, output size), shared by
//! both backends.

/// Go's depth limit on nested template calls (`maxExecDepth`).
pub const MAX_TEMPLATE_DEPTH: usize = 100_000;

/// Default cap on a render's output: a sidecar is a few kilobytes, so a
/// template that writes more than this is looping.
pub const MAX_OUTPUT: usize = 64 << 20;

/// Bounds on one render.
#[derive(Clone, Debug)]
pub struct ExecLimits {
    pub max_depth: usize,
    pub max_output: usize,
}

impl Default for ExecLimits {
    fn default() -> Self {
        ExecLimits { max_depth: MAX_TEMPLATE_DEPTH, max_output: MAX_OUTPUT }
    }
}

impl ExecLimits {
    pub(crate) fn output_error(&self) -> String {
        format!("output exceeds the limit of {} bytes", self.max_output)
    }
}
