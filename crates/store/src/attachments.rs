//! Attachments (附件) of problems: the files an enterprise raises a problem with, or that the
//! enterprise, the problem's departments or a supervisor add later.
//!
//! - **Storage.** The bytes live in the database (`attachments`, a BLOB / BYTEA column), so a
//!   file shares the database's durability, transactions and backups: a problem raised with
//!   files is written whole or not at all.
//! - **Audit.** Every file is named by an event of its problem: files raised with the problem
//!   by the submit event (`Problem::attachments` holds [`reference`]s, `sha256:<hex> <name>`),
//!   files added later by an `attach` event ([`handling::Action::Attach`]: name, type, size,
//!   SHA-256). The audit chain hashes those events, and [`AttachmentStore::verify_attachments`]
//!   re-hashes every stored file against them, so an edited or swapped file is detected
//!   (`huiqi audit verify`).
//! - **Rules** ([`check_file`]): at most [`MAX_FILE_BYTES`] (10 MiB) a file and
//!   [`MAX_FILES_PER_PROBLEM`] (10) files a problem; the type is decided from the content's
//!   magic bytes, never from the name ([`sniff`]); the name is sanitised
//!   ([`sanitize_file_name`]). A file that breaks a rule is refused with a bilingual error
//!   naming the file and the rule, and nothing is stored.
//!
//! What it leaves out: who may add or read (the web's `authz`, and the domain's checks of the
//! `attach` action), the driver work (each backend's `attachments.rs`) and the clock.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use enterprise::Routing;
use handling::{Actor as HActor, Problem, TimeLimits};
use i18n::{Catalog, Lang, Localized, Message};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::problems::{PResult, ProblemRecord};

/// The largest file accepted: 10 MiB.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// The most files one problem keeps.
pub const MAX_FILES_PER_PROBLEM: usize = 10;
/// The longest file name kept, in characters (longer names are cut, keeping the extension).
pub const MAX_NAME_CHARS: usize = 120;

// ---------------------------------------------------------------------------------------
// Errors

/// Why a file is refused or not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum AttachmentError {
    #[error("{file} is {size} bytes, more than {max}")]
    TooLarge { file: String, size: usize, max: usize },
    #[error("{file} is empty")]
    Empty { file: String },
    #[error("{file} is not an allowed type")]
    Type { file: String },
    #[error("{file}: the problem already has {max} files")]
    TooMany { file: String, max: usize },
    #[error("problem {problem} has no attachment {id}")]
    NotFound { problem: i64, id: i64 },
}

const MESSAGES: &str = r#"
["store.attachment_too_large"]
zh = "附件“{file}”大小为 {size} 字节，超过单个文件上限 {max} 字节（10 MiB）；请压缩或拆分后再上传"
en = "the file '{file}' is {size} bytes, more than the limit of {max} bytes (10 MiB) per file; compress or split it and upload again"

["store.attachment_empty"]
zh = "附件“{file}”是空文件；请选择有内容的文件"
en = "the file '{file}' is empty; choose a file with content"

["store.attachment_type"]
zh = "附件“{file}”的类型不允许（按文件内容判断，而非文件名）；允许 PDF、PNG、JPEG、GIF、WebP、Word/Excel/PowerPoint（DOCX、XLSX、PPTX、DOC、XLS）和 UTF-8 编码的纯文本/CSV"
en = "the file '{file}' is not an allowed type (judged by its content, not its name); allowed are PDF, PNG, JPEG, GIF, WebP, Word/Excel/PowerPoint (DOCX, XLSX, PPTX, DOC, XLS) and UTF-8 plain text/CSV"

["store.attachment_too_many"]
zh = "无法添加附件“{file}”：每个问题最多 {max} 个附件；请合并文件后再上传"
en = "cannot add the file '{file}': a problem keeps at most {max} files; combine files and upload again"

["store.attachment_not_found"]
zh = "问题 {problem} 没有编号为 {id} 的附件；请在问题详情中查看附件列表"
en = "problem {problem} has no attachment {id}; see the list of attachments on the problem"
"#;

/// The catalog of this module's messages.
pub fn attachment_catalog() -> &'static Catalog {
    static C: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    C.get_or_init(|| Catalog::embedded(MESSAGES))
}

impl Localized for AttachmentError {
    fn message(&self) -> Message {
        match self {
            AttachmentError::TooLarge { file, size, max } => {
                Message::new("store.attachment_too_large").arg("file", file).arg("size", size).arg("max", max)
            }
            AttachmentError::Empty { file } => Message::new("store.attachment_empty").arg("file", file),
            AttachmentError::Type { file } => Message::new("store.attachment_type").arg("file", file),
            AttachmentError::TooMany { file, max } => {
                Message::new("store.attachment_too_many").arg("file", file).arg("max", max)
            }
            AttachmentError::NotFound { problem, id } => {
                Message::new("store.attachment_not_found").arg("problem", problem).arg("id", id)
            }
        }
    }
    fn catalog(&self) -> &'static Catalog {
        attachment_catalog()
    }
    fn render(&self, lang: Lang) -> String {
        attachment_catalog().render(&self.message(), lang)
    }
}

// ---------------------------------------------------------------------------------------
// Records

/// A file that passed [`check_file`]: ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// Sanitised.
    pub file_name: String,
    /// Decided from the content.
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

impl CheckedFile {
    pub fn size(&self) -> u64 {
        self.content.len() as u64
    }

    /// The `attach` action recording this file.
    pub fn action(&self) -> handling::Action {
        handling::Action::Attach {
            file_name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            size: self.size(),
            sha256: self.sha256.clone(),
        }
    }

    /// The record of this file once stored with `id`.
    pub fn stored(
        &self,
        id: i64,
        problem_id: i64,
        event_seq: i64,
        by: &str,
        at: DateTime<FixedOffset>,
    ) -> Attachment {
        Attachment {
            id,
            problem_id,
            event_seq,
            file_name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            size: self.size(),
            sha256: self.sha256.clone(),
            uploaded_by: by.to_string(),
            uploaded_at: at,
        }
    }

    /// How the submit event names this file (in `Problem::attachments`).
    pub fn reference(&self) -> String {
        reference(&self.sha256, &self.file_name)
    }
}

/// A stored attachment, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub problem_id: i64,
    /// The problem's event that records it (1: raised with the problem).
    pub event_seq: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<FixedOffset>,
}

/// A stored file that no longer matches its record or its event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentMismatch {
    pub problem_id: i64,
    pub attachment_id: i64,
    pub file_name: String,
    /// What is wrong, in English (`content`: the bytes do not hash to the recorded SHA-256;
    /// `event`: no event of the problem names this file with this SHA-256).
    pub reason: String,
}

/// How a submit event names a file: `sha256:<hex> <name>`.
pub fn reference(sha256: &str, file_name: &str) -> String {
    format!("sha256:{sha256} {file_name}")
}

/// Whether an event names this file (its SHA-256 and name).
pub fn event_names(event: &handling::Event, sha256: &str, file_name: &str) -> bool {
    match &event.action {
        handling::Action::Attach { sha256: s, file_name: n, .. } => s == sha256 && n == file_name,
        handling::Action::Submit { problem, .. } => {
            problem.attachments.contains(&reference(sha256, file_name))
        }
        _ => false,
    }
}

/// Lower-case hex SHA-256 of the bytes.
pub fn sha256_hex(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

// ---------------------------------------------------------------------------------------
// Rules

/// Checks an uploaded file against the rules (size, type from the magic bytes) and
/// sanitises its name.
pub fn check_file(name: &str, content: Vec<u8>) -> Result<CheckedFile, AttachmentError> {
    let file_name = sanitize_file_name(name);
    if content.is_empty() {
        return Err(AttachmentError::Empty { file: file_name });
    }
    if content.len() > MAX_FILE_BYTES {
        return Err(AttachmentError::TooLarge { file: file_name, size: content.len(), max: MAX_FILE_BYTES });
    }
    let Some(content_type) = sniff(&content, &file_name) else {
        return Err(AttachmentError::Type { file: file_name });
    };
    Ok(CheckedFile {
        sha256: sha256_hex(&content),
        content_type: content_type.to_string(),
        file_name,
        content,
    })
}

/// Checks that a problem holding `existing` files may take `new` more (the first file over
/// the limit is named).
pub fn check_count(existing: usize, new: &[CheckedFile]) -> Result<(), AttachmentError> {
    match new.get(MAX_FILES_PER_PROBLEM.saturating_sub(existing)) {
        Some(f) => Err(AttachmentError::TooMany { file: f.file_name.clone(), max: MAX_FILES_PER_PROBLEM }),
        None => Ok(()),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The content type of an allowed file, decided from its first bytes (and, for the Office
/// containers, the part names inside them); `None` for anything else. Plain text is UTF-8
/// without NUL or other control characters than tab, line feed, carriage return and form feed;
/// the name only tells CSV (`.csv`) from plain text.
pub fn sniff(content: &[u8], file_name: &str) -> Option<&'static str> {
    let starts = |m: &[u8]| content.starts_with(m);
    if starts(b"%PDF-") {
        return Some("application/pdf");
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if starts(b"\xff\xd8\xff") {
        return Some("image/jpeg");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some("image/gif");
    }
    if starts(b"RIFF") && content.get(8..12) == Some(b"WEBP") {
        return Some("image/webp");
    }
    if starts(b"PK\x03\x04") {
        // An Office Open XML package: the part names say which.
        return if contains(content, b"word/") {
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        } else if contains(content, b"xl/") {
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        } else if contains(content, b"ppt/") {
            Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
        } else {
            None
        };
    }
    if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        // An OLE compound file: the stream names (UTF-16LE) say which.
        return if contains(content, &utf16le("WordDocument")) {
            Some("application/msword")
        } else if contains(content, &utf16le("Workbook")) || contains(content, &utf16le("Book")) {
            Some("application/vnd.ms-excel")
        } else {
            None
        };
    }
    let text = std::str::from_utf8(content).ok()?;
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}')) {
        return None;
    }
    if file_name.to_lowercase().ends_with(".csv") {
        Some("text/csv; charset=utf-8")
    } else {
        Some("text/plain; charset=utf-8")
    }
}

/// A file name safe to store and to send back: the last path component only, without
/// control characters or `< > : " / \ | ? *`, without leading or trailing dots and spaces,
/// at most [`MAX_NAME_CHARS`] characters (the extension kept); `附件` when nothing is left.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*'))
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "附件".to_string();
    }
    let n = trimmed.chars().count();
    if n <= MAX_NAME_CHARS {
        return trimmed.to_string();
    }
    let ext: String = match trimmed.rfind('.') {
        Some(i) if trimmed[i..].chars().count() <= 10 => trimmed[i..].to_string(),
        _ => String::new(),
    };
    let keep = MAX_NAME_CHARS - ext.chars().count();
    let stem: String = trimmed.chars().take(keep).collect();
    format!("{stem}{ext}")
}

// ---------------------------------------------------------------------------------------
// SQL both dialects accept

pub mod sql {
    //! Shared texts of the `attachments` table.
    pub const COUNT_OF: &str = "SELECT COUNT(*) FROM attachments WHERE problem_id = $1";
    pub const INSERT: &str = "INSERT INTO attachments (problem_id, event_seq, file_name, content_type, \
         size, sha256, content, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING id";
    pub const LIST_OF: &str = "SELECT id, problem_id, event_seq, file_name, content_type, size, sha256, \
         uploaded_by, uploaded_at FROM attachments WHERE problem_id = $1 ORDER BY id";
    pub const CONTENT_OF: &str = "SELECT id, problem_id, event_seq, file_name, content_type, size, sha256, \
         uploaded_by, uploaded_at, content FROM attachments WHERE problem_id = $1 AND id = $2";
    pub const ALL_WITH_CONTENT: &str = "SELECT id, problem_id, event_seq, file_name, content_type, size, \
         sha256, uploaded_by, uploaded_at, content FROM attachments ORDER BY id";
    pub const ALL: &[&str] = &[COUNT_OF, INSERT, LIST_OF, CONTENT_OF, ALL_WITH_CONTENT];
}

/// Checks one stored file against its record and its problem's events.
pub fn check_stored(
    a: &Attachment,
    content: &[u8],
    events: &[handling::Event],
) -> Option<AttachmentMismatch> {
    let bad = |reason: &str| AttachmentMismatch {
        problem_id: a.problem_id,
        attachment_id: a.id,
        file_name: a.file_name.clone(),
        reason: reason.to_string(),
    };
    if sha256_hex(content) != a.sha256 || content.len() as u64 != a.size {
        return Some(bad("content"));
    }
    let named = events
        .iter()
        .find(|e| i64::from(e.seq) == a.event_seq)
        .is_some_and(|e| event_names(e, &a.sha256, &a.file_name));
    if !named {
        return Some(bad("event"));
    }
    None
}

// ---------------------------------------------------------------------------------------
// The trait

/// Attachments in the store. Each write is one transaction with its event.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Records a new problem with its files in one write: the submit event names every file
    /// ([`reference`]s in `Problem::attachments`), each file is stored against event 1.
    /// Nothing is written if any part fails (more than [`MAX_FILES_PER_PROBLEM`] files
    /// included). With no files it is `create_problem`.
    async fn create_problem_with_attachments(
        &self,
        problem: Problem,
        actor: &HActor,
        now: DateTime<FixedOffset>,
        routing: &Routing,
        limits: &TimeLimits,
        files: Vec<CheckedFile>,
    ) -> PResult<ProblemRecord>;

    /// As [`AttachmentStore::create_problem_with_attachments`] (no files: `create_problem`),
    /// and tells each of `told` personally in the same transaction
    /// ([`crate::notifications::of_submit_told`]): a committed problem has told them, a
    /// refused one never has.
    #[allow(clippy::too_many_arguments)]
    async fn create_problem_telling(
        &self,
        problem: Problem,
        actor: &HActor,
        now: DateTime<FixedOffset>,
        routing: &Routing,
        limits: &TimeLimits,
        files: Vec<CheckedFile>,
        told: &[crate::notifications::Told],
    ) -> PResult<ProblemRecord>;

    /// Adds a file to a problem: the `attach` event (the domain decides whether `actor` may,
    /// now) and the file, in one write; refused past [`MAX_FILES_PER_PROBLEM`].
    async fn add_attachment(
        &self,
        problem_id: i64,
        file: CheckedFile,
        actor: &HActor,
        now: DateTime<FixedOffset>,
    ) -> PResult<(ProblemRecord, Attachment)>;

    /// Adds several files to a problem in ONE transaction: an `attach` event per file, each
    /// file stored against its event, the count checked for them all. Nothing is written
    /// when any part fails (a refused event, the limit, a failing insert): a failure partway
    /// keeps none of the files.
    async fn add_attachments(
        &self,
        problem_id: i64,
        files: Vec<CheckedFile>,
        actor: &HActor,
        now: DateTime<FixedOffset>,
    ) -> PResult<(ProblemRecord, Vec<Attachment>)>;

    /// A problem's attachments, oldest first ([`crate::problems::ProblemError::NotFound`] if
    /// there is no such problem).
    async fn attachments(&self, problem_id: i64) -> PResult<Vec<Attachment>>;

    /// One attachment with its bytes.
    async fn attachment_content(&self, problem_id: i64, attachment_id: i64)
    -> PResult<(Attachment, Vec<u8>)>;

    /// Re-hashes every stored file and checks that an event of its problem names it.
    async fn verify_attachments(&self) -> PResult<Vec<AttachmentMismatch>>;
}

/// Prepares a problem for [`AttachmentStore::create_problem_with_attachments`]: checks the
/// count and lists the files' references in the problem.
pub fn with_references(mut problem: Problem, files: &[CheckedFile]) -> PResult<Problem> {
    check_count(0, files)?;
    problem.attachments.extend(files.iter().map(CheckedFile::reference));
    Ok(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample of each variant about `file`: a new variant fails to compile here until it
    /// has one.
    fn sample(d: AttachmentErrorDiscriminants, file: &str) -> AttachmentError {
        use AttachmentErrorDiscriminants as D;
        let file = file.to_string();
        match d {
            D::TooLarge => AttachmentError::TooLarge { file, size: 11, max: 10 },
            D::Empty => AttachmentError::Empty { file },
            D::Type => AttachmentError::Type { file },
            D::TooMany => AttachmentError::TooMany { file, max: 10 },
            D::NotFound => AttachmentError::NotFound { problem: 1, id: 2 },
        }
    }

    #[test]
    fn every_message_renders_in_both_languages() {
        use strum::IntoEnumIterator;
        assert!(Catalog::parse(MESSAGES).is_ok());
        let all: Vec<AttachmentError> =
            AttachmentErrorDiscriminants::iter().map(|d| sample(d, "contract.pdf")).collect();
        i18n::assert_all_bilingual(&all);
        // A Chinese file name is quoted as it is in both languages.
        for d in AttachmentErrorDiscriminants::iter().filter(|d| *d != AttachmentErrorDiscriminants::NotFound)
        {
            let e = sample(d, "合同.pdf");
            assert!(e.render(Lang::Zh).contains("合同.pdf") && e.render(Lang::En).contains("合同.pdf"));
        }
    }

    #[test]
    fn types_come_from_the_content_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "x.txt"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", "x.pdf"), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0..", "a"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..", "a"), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 ", "a"), Some("image/webp"));
        assert!(
            sniff(b"PK\x03\x04....word/document.xml", "a.zip").is_some_and(|t| t.contains("wordprocessing"))
        );
        assert!(sniff(b"PK\x03\x04....xl/workbook.xml", "a").is_some_and(|t| t.contains("spreadsheet")));
        assert!(sniff(b"PK\x03\x04....ppt/slides", "a").is_some_and(|t| t.contains("presentation")));
        assert_eq!(sniff(b"PK\x03\x04....evil.exe", "a.docx"), None, "a bare zip is refused");
        let mut doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
        doc.extend(utf16le("WordDocument"));
        assert_eq!(sniff(&doc, "a"), Some("application/msword"));
        assert_eq!(sniff(b"MZ\x90\0\x03", "report.pdf"), None, "an executable named .pdf");
        assert_eq!(sniff("名称,金额\n甲,1\n".as_bytes(), "a.CSV"), Some("text/csv; charset=utf-8"));
        assert_eq!(sniff("说明".as_bytes(), "a.txt"), Some("text/plain; charset=utf-8"));
        assert_eq!(sniff(b"\xc3\x28 not utf-8", "a.txt"), None);
        assert_eq!(sniff(b"bin\0ary", "a.txt"), None);
    }

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitize_file_name("C:\\Users\\王\\租赁合同.pdf"), "租赁合同.pdf");
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("a\r\nb<>:\"|?*.txt"), "ab.txt");
        assert_eq!(sanitize_file_name(" .. "), "附件");
        let long = format!("{}.pdf", "长".repeat(300));
        let s = sanitize_file_name(&long);
        assert_eq!(s.chars().count(), MAX_NAME_CHARS);
        assert!(s.ends_with(".pdf"));
    }

    #[test]
    fn size_count_and_emptiness_are_checked() {
        assert!(matches!(check_file("a.txt", Vec::new()), Err(AttachmentError::Empty { .. })));
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert!(matches!(check_file("a.txt", big), Err(AttachmentError::TooLarge { .. })));
        assert!(check_file("a.txt", vec![b'a'; MAX_FILE_BYTES]).is_ok());
        let f = check_file("x/说明.txt", "你好".as_bytes().to_vec()).unwrap();
        assert_eq!((f.file_name.as_str(), f.size()), ("说明.txt", 6));
        assert_eq!(f.sha256, sha256_hex("你好".as_bytes()));
        let ten: Vec<CheckedFile> = (0..10).map(|_| f.clone()).collect();
        assert!(check_count(0, &ten).is_ok());
        assert!(matches!(check_count(1, &ten), Err(AttachmentError::TooMany { .. })));
        assert!(check_count(9, &ten[..1]).is_ok());
        assert!(check_count(10, &ten[..1]).is_err());
    }

    #[test]
    fn shared_texts_number_their_parameters_in_order() {
        for s in sql::ALL {
            assert!(crate::sql::placeholder_order(s).iter().enumerate().all(|(i, n)| *n == i + 1), "{s}");
        }
    }
}
