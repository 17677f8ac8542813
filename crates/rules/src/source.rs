//! Policy source files and positions in them: [`SourceFile`] (a file's name and text) and
//! [`LineIndex`], which turns byte offsets into line and column without scanning the text
//! from its start for every location.

/// A policy file's name and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// Where the lines of a text start, to turn byte offsets into line and column in
/// O(log n) (a binary search over line starts, then counting at most [`LineIndex::STEP`]
/// bytes of characters) instead of scanning the text from its start for every location.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
    /// (byte offset, characters before it) every [`LineIndex::STEP`] bytes or so, at
    /// character boundaries; the first is (0, 0).
    marks: Vec<(usize, usize)>,
}

impl LineIndex {
    /// Distance between character-count marks, in bytes.
    const STEP: usize = 4096;

    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        let mut marks = vec![(0, 0)];
        let (mut at, mut chars) = (0, 0);
        while at + Self::STEP < text.len() {
            let mut next = at + Self::STEP;
            while !text.is_char_boundary(next) {
                next += 1;
            }
            chars += text[at..next].chars().count();
            marks.push((next, chars));
            at = next;
        }
        LineIndex { starts, marks }
    }

    /// Characters before byte offset `pos` (a character boundary of `text`).
    fn chars_before(&self, text: &str, pos: usize) -> usize {
        let k = self.marks.partition_point(|(b, _)| *b <= pos) - 1;
        let (b, c) = self.marks[k];
        c + text[b..pos].chars().count()
    }

    /// Line and column (1-based; the column in characters) of byte offset `pos` in `text`,
    /// the text this index was built from. An offset past the end or inside a character
    /// counts as the end or the start of that character.
    pub fn line_col(&self, text: &str, pos: usize) -> (usize, usize) {
        let mut p = pos.min(text.len());
        while !text.is_char_boundary(p) {
            p -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= p);
        let start = self.starts[line - 1];
        (line, self.chars_before(text, p) - self.chars_before(text, start) + 1)
    }
}

/// Line and column (1-based; the column in characters) of a byte offset. Builds a
/// [`LineIndex`] each call: for many locations in one text, keep the index.
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(text, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan from the start of the text that [`LineIndex`] replaces.
    fn naive(text: &str, pos: usize) -> (usize, usize) {
        let mut p = pos.min(text.len());
        while !text.is_char_boundary(p) {
            p -= 1;
        }
        let before = &text[..p];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
        (line, col)
    }

    proptest::proptest! {
        /// Every offset, inside characters and past the end included, gets the line and
        /// column of the scan, across the index's marks (short lines, long lines, CJK).
        #[test]
        fn the_line_index_agrees_with_a_scan(
            parts in proptest::collection::vec("[a-z]{0,30}|[惠企政策]{0,1500}|\n|\r\n|x{5000}", 0..16),
            probes in proptest::collection::vec(0usize..40_000, 1..20),
        ) {
            let text: String = parts.concat();
            let index = LineIndex::new(&text);
            for pos in probes.into_iter().chain([0, text.len(), text.len() + 3]) {
                proptest::prop_assert_eq!(index.line_col(&text, pos), naive(&text, pos), "at {}", pos);
            }
        }
    }
}
