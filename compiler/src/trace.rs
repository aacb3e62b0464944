//! Which part of a template wrote each part of its output: the map a
//! template author needs when something is wrong in what a template
//! rendered (a YAML key out of place, `<no value>`) and wants the template
//! line, not the output line.
//!
//! Only the reference evaluator records it, in a render of its own
//! ([`crate::TemplateSet::render_traced`]): renders on the injection path
//! pay nothing, and a problem is rare enough to render again for.

/// Output offsets and the template offsets that wrote them, in output
/// order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputTrace {
    /// (output offset, template offset, whether the output from there is
    /// the template's text byte for byte).
    writes: Vec<(u32, u32, bool)>,
}

impl OutputTrace {
    /// `at` onwards in the output was written by the template from
    /// `template_pos`: its text verbatim, or an action there.
    pub(crate) fn record(&mut self, at: usize, template_pos: u32, verbatim: bool) {
        self.writes.push((at as u32, template_pos, verbatim));
    }

    /// The template offset that wrote output offset `offset`: within a
    /// text, the very byte; within an action's output, the action.
    pub fn template_offset(&self, offset: usize) -> Option<u32> {
        let offset = offset as u32;
        let i = self.writes.partition_point(|&(at, ..)| at <= offset).checked_sub(1)?;
        let (at, pos, verbatim) = self.writes[i];
        Some(if verbatim { pos + (offset - at) } else { pos })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_maps_byte_for_byte_and_actions_to_their_start() {
        let mut trace = OutputTrace::default();
        trace.record(0, 10, true);
        trace.record(5, 40, false);
        trace.record(9, 20, true);
        assert_eq!(trace.template_offset(3), Some(13));
        assert_eq!(trace.template_offset(7), Some(40));
        assert_eq!(trace.template_offset(11), Some(22));
        assert_eq!(OutputTrace::default().template_offset(0), None);
    }
}
