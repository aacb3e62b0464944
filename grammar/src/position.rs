//! Byte offsets to lines and columns.

/// Line starts of a text, for turning offsets into `line:col`.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        LineIndex { starts }
    }

    /// 1-based line and 1-based byte column of `offset`.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        (line as u32 + 1, offset - self.starts[line] + 1)
    }

    /// Go's execution-error position: 1-based line, 0-based byte column
    /// (`template: t:1:7: ...`).
    pub fn go_line_col(&self, offset: u32) -> (u32, u32) {
        let (line, col) = self.line_col(offset);
        (line, col - 1)
    }

    /// Byte range of the 1-based line `line`, without its newline.
    pub fn line_range(&self, line: u32, text_len: usize) -> std::ops::Range<usize> {
        let i = (line as usize).saturating_sub(1).min(self.starts.len() - 1);
        let start = self.starts[i] as usize;
        let end = self.starts.get(i + 1).map_or(text_len, |&s| s as usize - 1);
        start..end
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}
