//! Files of a problem (附件): add them (each recorded by an `attach` event in the audit
//! chain), list them, read one. Who may read and add is [`crate::authz`] over
//! [`Resource::Attachments`]; the rules a file must pass are `store::attachments::check_file`
//! (10 MiB, 10 a problem, the type from the content, a sanitised name) and, before it,
//! [`super::text::check_file_name`] (no direction or control characters in the name).

use store::attachments::{Attachment, CheckedFile};

use super::load_visible;
use super::text;
use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};

/// A file as uploaded: its name and bytes, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Checks every file; the first that breaks a rule refuses them all.
pub fn check_files(files: Vec<NewFile>) -> Result<Vec<CheckedFile>> {
    files
        .into_iter()
        .map(|f| {
            text::check_file_name(&f.name)?;
            Ok(store::attachments::check_file(&f.name, f.bytes)?)
        })
        .collect()
}

/// Loads a problem the principal may see and checks the attachment permission on it.
async fn load_for(app: &App, who: &Principal, id: i64, action: Action) -> Result<()> {
    let (rec, _, links) = load_visible(app, who, id).await?;
    authz::require(who, action, Resource::Attachments { state: &rec.state, links: &links })
}

/// Adds files to a problem, each with its own `attach` event, all in one transaction. Every
/// file and the count are checked first, so a batch with one refused file (or over the
/// limit) stores nothing, and a failure while writing keeps none of them either.
#[tracing::instrument(skip(app, who, files), fields(user = %who.username, problem.id = id, files = files.len()))]
pub async fn attach(app: &App, who: &Principal, id: i64, files: Vec<NewFile>) -> Result<Vec<Attachment>> {
    load_for(app, who, id, Action::Write).await?;
    if files.is_empty() {
        return Err(Error::Required {
            field: "file".into(),
            what: "至少一个文件 / at least one file".into(),
        });
    }
    let files = check_files(files)?;
    let existing = app.store.attachments(id).await?.len();
    store::attachments::check_count(existing, &files)?;
    let actor = who.handling_actor();
    // One transaction for every file and its event: a failure partway keeps none of them.
    let (_, out) = app.store.add_attachments(id, files, &actor, app.now()).await?;
    Ok(out)
}

/// A problem's files, oldest first, for whoever sees its details.
#[tracing::instrument(skip(app, who), fields(user = %who.username, problem.id = id))]
pub async fn attachments(app: &App, who: &Principal, id: i64) -> Result<Vec<Attachment>> {
    load_for(app, who, id, Action::Read).await?;
    Ok(app.store.attachments(id).await?)
}

/// One file with its bytes; a user must see the problem's details, the operator (`None`) may
/// read any.
#[tracing::instrument(skip(app, who), fields(problem.id = id, attachment.id = attachment_id))]
pub async fn attachment(
    app: &App,
    who: Option<&Principal>,
    id: i64,
    attachment_id: i64,
) -> Result<(Attachment, Vec<u8>)> {
    if let Some(p) = who {
        load_for(app, p, id, Action::Read).await?;
    }
    Ok(app.store.attachment_content(id, attachment_id).await?)
}
