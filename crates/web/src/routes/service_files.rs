//! What the services' imports share on the web (issue 15: the utilities' arrears files, the
//! logistics profiles): the API's JSON body carrying a CSV text, and the page's multipart
//! upload, both read into an [`app::table_file::Upload`] for the service's use case.

use axum::extract::Multipart;
use serde::Deserialize;

use crate::error::WebError;
use app::table_file::Upload;

/// A service's file sent as CSV text (the columns are the service's: see its import).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ImportIn {
    pub file_name: String,
    /// The CSV text, its first row naming the columns (Chinese or English).
    pub csv: String,
    /// Check and report only.
    #[serde(default)]
    pub dry_run: bool,
}

impl From<ImportIn> for Upload {
    fn from(b: ImportIn) -> Upload {
        Upload { file_name: b.file_name, bytes: b.csv.into_bytes(), dry_run: b.dry_run }
    }
}

/// The page's upload (field `file`; `dry_run` = 1, on or true to check only); `what` names
/// the file expected, in both languages, when none was sent.
pub async fn upload(mp: Multipart, what: &str) -> Result<Upload, WebError> {
    let (fields, files) = crate::routes::attachments::read_multipart(mp).await?;
    let Some((file_name, bytes)) = files.into_iter().next() else {
        return Err(app::Error::Required { field: "file".into(), what: what.into() }.into());
    };
    let dry_run = fields.get("dry_run").is_some_and(|v| matches!(v.as_str(), "1" | "on" | "true"));
    Ok(Upload { file_name, bytes, dry_run })
}
