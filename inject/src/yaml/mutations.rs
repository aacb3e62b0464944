//! Texts with a few characters deleted or inserted, the same on every run:
//! what the fast readers' tests feed them beside the full parser.

/// A xorshift generator of edits.
pub(super) struct Mutations {
    seed: u64,
}

impl Mutations {
    pub(super) fn new(seed: u64) -> Mutations {
        Mutations { seed }
    }

    pub(super) fn next(&mut self) -> usize {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed as usize
    }

    /// `text` with `edits` characters deleted or taken from `inserts` and
    /// put in, at random places.
    pub(super) fn mutate(&mut self, text: &str, inserts: &[char], edits: usize) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for _ in 0..edits {
            let at = self.next() % (chars.len() + 1);
            if self.next().is_multiple_of(3) && at < chars.len() {
                chars.remove(at);
            } else {
                chars.insert(at, inserts[self.next() % inserts.len()]);
            }
        }
        chars.into_iter().collect()
    }
}
