//! "Did you mean …?": the one place that picks the known names nearest to an unknown one,
//! and that shortens a name a user typed before it is echoed in a message.
//!
//! Distances are `strsim::osa_distance` (optimal string alignment: insertions, deletions,
//! substitutions and adjacent transpositions each count 1), over characters, so a Chinese
//! column name with one wrong character (`营业收人`) is as near as an English one with a
//! typo (`revneue`).
//!
//! Limits, so that a hostile name costs nothing: a name longer than [`MAX_COMPARED`]
//! characters gets no suggestion at all (no distance is computed), candidates longer than
//! that are never suggested, and [`shown`] cuts a name to [`MAX_SHOWN`] characters plus
//! "…" for messages. A suggestion must be close: at most `max(2, chars / 2)` edits away
//! (`chars` being the length of the unknown name), so an unrelated word gets no hint rather
//! than a silly one.

use std::borrow::Cow;

/// Names longer than this (in characters) are not compared with anything.
pub const MAX_COMPARED: usize = 64;

/// Names are shown in messages up to this many characters, then "…".
pub const MAX_SHOWN: usize = 64;

/// The characters of `s`, counting no further than `limit + 1`.
fn chars_up_to(s: &str, limit: usize) -> usize {
    s.chars().take(limit + 1).count()
}

/// The edits allowed between an unknown name of `chars` characters and a suggestion.
pub fn max_distance(chars: usize) -> usize {
    (chars / 2).max(2)
}

/// Up to `n` candidates nearest to `wanted`, best first (ties in alphabetical order, no
/// duplicates), each within [`max_distance`] edits. Empty when `wanted` is longer than
/// [`MAX_COMPARED`] characters or nothing is close. Cost: at most
/// `MAX_COMPARED × MAX_COMPARED` steps per candidate.
pub fn nearest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>, n: usize) -> Vec<&'a str> {
    let len = chars_up_to(wanted, MAX_COMPARED);
    if len > MAX_COMPARED || n == 0 {
        return Vec::new();
    }
    let limit = max_distance(len);
    let mut scored: Vec<(usize, &'a str)> = candidates
        .into_iter()
        .filter(|c| chars_up_to(c, MAX_COMPARED) <= MAX_COMPARED)
        .filter(|c| chars_up_to(c, MAX_COMPARED).abs_diff(len) <= limit)
        .map(|c| (strsim::osa_distance(wanted, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// The one candidate nearest to `wanted`, if any is close (see [`nearest`]).
pub fn nearest_one<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    nearest(wanted, candidates, 1).into_iter().next()
}

/// `name` as a message shows it: whole up to [`MAX_SHOWN`] characters, else its first
/// [`MAX_SHOWN`] characters and "…".
pub fn shown(name: &str) -> Cow<'_, str> {
    cut(name, MAX_SHOWN)
}

/// `text` whole up to `max` characters, else its first `max` characters and "…" (for
/// longer texts a message quotes, such as a library's own error).
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((at, _)) => Cow::Owned(format!("{}…", &text[..at])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["revenue", "employees", "total_assets", "营业收入", "从业人数", "name"];

    #[test]
    fn suggests_the_nearest_close_names_best_first() {
        assert_eq!(nearest("revenu", NAMES.iter().copied(), 3), vec!["revenue"]);
        assert_eq!(
            nearest("revneue", NAMES.iter().copied(), 1),
            vec!["revenue"],
            "a transposition is one edit"
        );
        assert_eq!(nearest("营业收人", NAMES.iter().copied(), 1), vec!["营业收入"]);
        assert_eq!(nearest_one("nmae", NAMES.iter().copied()), Some("name"));
        // Nothing close: no hint rather than a silly one.
        assert_eq!(nearest("备注", NAMES.iter().copied(), 3), Vec::<&str>::new());
        assert_eq!(nearest("zzzzzzzz", NAMES.iter().copied(), 3), Vec::<&str>::new());
    }

    #[test]
    fn ties_are_alphabetical_and_duplicates_dropped() {
        let c = ["cb", "ca", "ca"];
        assert_eq!(nearest("cc", c.iter().copied(), 5), vec!["ca", "cb"]);
    }

    /// A hostile name is neither compared nor echoed whole: a megabyte of text costs one
    /// bounded count and is shown as 64 characters and "…".
    #[test]
    fn long_names_get_no_suggestion_and_are_shown_cut() {
        let huge = "revenue".repeat(150_000);
        assert!(nearest(&huge, NAMES.iter().copied(), 3).is_empty());
        let at_limit = "a".repeat(MAX_COMPARED);
        let near = format!("{}b", "a".repeat(MAX_COMPARED - 1));
        assert_eq!(nearest(&at_limit, [near.as_str()], 1), vec![near.as_str()]);
        // A candidate over the limit is never suggested.
        let long_cand = "a".repeat(MAX_COMPARED + 1);
        assert!(nearest(&at_limit, [long_cand.as_str()], 1).is_empty());

        let s = shown(&huge);
        assert_eq!(s.chars().count(), MAX_SHOWN + 1);
        assert!(s.ends_with('…'));
        assert_eq!(shown("营业收入"), "营业收入");
        let exactly = "字".repeat(MAX_SHOWN);
        assert_eq!(shown(&exactly), exactly);
    }
}
