//! The free texts of the problem flow and their limits: every text a user types is checked
//! here before anything is stored, counted in characters (not bytes), with a bilingual error
//! naming the field. The limits are stated in docs/PROBLEMS.md; a spreadsheet cell holds
//! 32,767 characters, and every limit is well under it, so a problem's texts always fit the
//! ledger (the `excel` crate still cuts and keeps whole any longer text stored before).
//!
//! Characters refused: control characters (NUL, escape, bell, …) anywhere, except a line
//! feed and a tab in texts of several lines (a CR LF from a browser's text area is read as a
//! line feed); and in file names the bidirectional controls (U+202A–U+202E, U+2066–U+2069,
//! U+200E, U+200F, U+061C), which can make `exe.pdf` show as something else.

use crate::{Error, Result};

/// A problem's title (标题): one line.
pub const TITLE_MAX: usize = 100;
/// A problem's description (问题描述).
pub const DESCRIPTION_MAX: usize = 5_000;
/// The note of an action: the answer's text, a reason, a report, a comment.
pub const NOTE_MAX: usize = 2_000;
/// A consultation's minutes (会商纪要).
pub const MINUTES_MAX: usize = 5_000;
/// One decision of a consultation.
pub const DECISION_MAX: usize = 500;
/// How many decisions a consultation records.
pub const DECISIONS_MAX: usize = 50;
/// Short names: the person in charge (责任人), the body a problem is referred to.
pub const NAME_MAX: usize = 100;
/// A visit's findings (走访情况).
pub const FINDINGS_MAX: usize = 2_000;
/// How many problems one visit raises.
pub const VISIT_PROBLEMS_MAX: usize = 20;

/// Whether a text is one line (a title, a name) or may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// The text trimmed, CR LF read as LF, checked against `limit` characters and for control
/// characters; the error names `field`.
pub fn clean(field: &str, text: &str, limit: usize, lines: Lines) -> Result<String> {
    let t = text.trim().replace("\r\n", "\n");
    check_controls(field, &t, lines)?;
    Error::check_length(field, &t, limit)?;
    Ok(t)
}

/// [`clean`] for an optional text: empty is `None`.
pub fn clean_opt(field: &str, text: Option<&str>, limit: usize, lines: Lines) -> Result<Option<String>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(Some(clean(field, t, limit, lines)?)),
        None => Ok(None),
    }
}

fn check_controls(field: &str, text: &str, lines: Lines) -> Result<()> {
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\t');
    match text.chars().position(|c| c.is_control() && !allowed(c)) {
        Some(i) => Err(Error::ControlCharacter { field: field.to_string(), position: i + 1 }),
        None => Ok(()),
    }
}

/// The bidirectional controls that can disguise a file name.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Refuses a file name with a bidirectional control (the store's sanitising of names then
/// drops control characters and path parts).
pub fn check_file_name(name: &str) -> Result<()> {
    if name.chars().any(is_bidi_control) {
        let shown: String = name.chars().filter(|c| !is_bidi_control(*c) && !c.is_control()).collect();
        return Err(Error::BidiControl { field: "file".into(), name: shown });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn texts_are_trimmed_counted_in_characters_and_free_of_controls() {
        assert_eq!(clean("title", "  房租减免  ", TITLE_MAX, Lines::One).unwrap(), "房租减免");
        assert!(clean("title", &"企".repeat(100), TITLE_MAX, Lines::One).is_ok());
        let e = clean("title", &"企".repeat(101), TITLE_MAX, Lines::One).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest);
        let e = clean("title", "a\u{0}b", TITLE_MAX, Lines::One).unwrap_err();
        assert!(matches!(&e, Error::ControlCharacter { field, position: 2 } if field == "title"), "{e:?}");
        assert_eq!(e.kind(), ErrorKind::BadRequest);
        assert!(clean("title", "a\nb", TITLE_MAX, Lines::One).is_err(), "a title is one line");
        assert_eq!(clean("description", "a\r\nb\tc", DESCRIPTION_MAX, Lines::Many).unwrap(), "a\nb\tc");
        assert!(clean("description", "a\u{1b}[31m", DESCRIPTION_MAX, Lines::Many).is_err());
        assert_eq!(clean_opt("note", Some("   "), NOTE_MAX, Lines::Many).unwrap(), None);
    }

    #[test]
    fn file_names_with_direction_controls_are_refused() {
        let e = check_file_name("invoice\u{202E}fdp.exe").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest);
        assert!(i18n::Localized::bilingual(&e).contains("invoicefdp.exe"));
        assert!(check_file_name("发票 2022.pdf").is_ok());
    }
}
