//! The one error type of the store layer.
//!
//! User mistakes (an unknown enterprise, a taken username, a department that does not exist, an
//! import record the store cannot accept, an edited migration) have their own variants, each
//! with a bilingual message in `messages.toml`. Everything else the database reports is the
//! opaque [`StoreError::Backend`], which the web layer turns into a 500 and the CLI prints.

use i18n::{Catalog, Localized, Message};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum StoreError {
    #[error("no enterprise with credit code {uscc}")]
    EnterpriseNotFound { uscc: String },
    #[error("no user named {username}")]
    UserNotFound { username: String },
    #[error("no problem category {code}")]
    CategoryNotFound { code: String },
    #[error("no department {department}")]
    UnknownDepartment { department: String },
    #[error("department code {code} already exists")]
    DepartmentExists { code: String },
    #[error("problem category {code} already exists")]
    CategoryExists { code: String },
    #[error("username {username} is taken")]
    UsernameTaken { username: String },
    #[error("username {username:?} is not valid")]
    InvalidUsername { username: String },
    #[error("unknown role {role}")]
    UnknownRole { role: String },
    #[error("user {username} with role {role} needs an enterprise")]
    RoleNeedsEnterprise { username: String, role: String },
    #[error("user {username} with role {role} needs a department")]
    RoleNeedsDepartment { username: String, role: String },
    #[error("user {username} has role {actual}, a {link} link needs role {expected}")]
    WrongRole { username: String, link: String, expected: String, actual: String },
    #[error("a category needs at least one department (the lead)")]
    EmptyRouting { code: String },
    #[error("department {department} appears twice in the routing of {code}")]
    DuplicateRouting { code: String, department: String },
    /// A record the store cannot accept; the whole import is refused.
    #[error("import record {record} ({uscc}): {problem}")]
    ImportRecord { record: usize, uscc: String, problem: ImportProblem },
    #[error("migration {version} ({name}) was changed after it was applied")]
    MigrationEdited { version: u32, name: String },
    #[error("the database has migration {version} ({name}) that this program does not know")]
    MigrationUnknown { version: u32, name: String },
    /// A document write made against a version that is no longer the current one.
    #[error("{kind} document {name}: written against version {expected}, the current one is {current}")]
    DocumentConflict { kind: String, name: String, expected: String, current: String },
    #[error("no {kind} document {name}")]
    DocumentNotFound { kind: String, name: String },
    #[error("document name {name:?} is not valid or appears twice")]
    InvalidDocumentName { name: String },
    #[error("no grant run {id}")]
    GrantRunNotFound { id: i64 },
    #[error("no grant {id}")]
    GrantNotFound { id: i64 },
    #[error("no objection {id}")]
    ObjectionNotFound { id: i64 },
    #[error("no payment file {id}")]
    PaymentFileNotFound { id: String },
    /// The grant is not in the state the action needs (it moved on meanwhile).
    #[error("grant {grant} is {state}")]
    GrantWrongState { grant: i64, state: String },
    #[error("grant run {run} has {open} open objections")]
    GrantObjectionsOpen { run: i64, open: u64 },
    /// Refused by the database: the preparer of a run may not approve it.
    #[error("{username} prepared grant run {run} and may not approve it")]
    ApproverIsPreparer { run: i64, username: String },
    /// Refused by the database: one person approves a run once.
    #[error("{username} has already approved grant run {run}")]
    ApprovedTwice { run: i64, username: String },
    /// Refused by the database: the issuer of a payment file neither prepared nor approved.
    #[error("{username} prepared or approved grant run {run} and may not issue its payment file")]
    IssuerNotIndependent { run: i64, username: String },
    /// No policy draft with this id.
    #[error("no policy draft #{id}")]
    DraftNotFound { id: i64 },
    /// A policy draft already approved, rejected, withdrawn or stale.
    #[error("policy draft #{id} is {state}, not open")]
    DraftClosed { id: i64, state: String },
    /// The database refused a review of a policy draft by its own author.
    #[error("policy draft #{id}: {username} wrote it and may not review it")]
    SelfReview { id: i64, username: String },
    /// Anything else the database reports. Not shown to users in detail.
    #[error("storage error: {0}")]
    Backend(String),
}

/// Why the store refuses an import record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum ImportProblem {
    #[error("the enterprise already appears as record {first}")]
    DuplicateEnterprise { first: usize },
    #[error("the name is empty")]
    EmptyName,
    #[error("{fact} is not in the fact dictionary")]
    UnknownFact { fact: String },
    #[error("{fact} is a registry field, not a fact")]
    RegistryField { fact: String },
    #[error("{fact} is a per-year fact and needs a year")]
    YearRequired { fact: String },
    #[error("{fact} is not a per-year fact and takes no year")]
    YearNotAllowed { fact: String },
    #[error("{fact}: year {year} is out of range")]
    YearOutOfRange { fact: String, year: i32 },
    #[error("{fact} is a {expected}, not a {found}")]
    WrongType { fact: String, expected: String, found: String },
    #[error("{fact}: {reason}")]
    BadCode { fact: String, reason: String },
    #[error("{fact} is given twice")]
    DuplicateFact { fact: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Wraps a backend error.
    pub fn backend(e: impl std::fmt::Display) -> StoreError {
        StoreError::Backend(e.to_string())
    }

    /// Whether the error is the user's to fix (as opposed to a backend failure).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, StoreError::Backend(_))
    }
}

impl Localized for StoreError {
    fn message(&self) -> Message {
        match self {
            StoreError::EnterpriseNotFound { uscc } => {
                Message::new("store.enterprise_not_found").arg("uscc", uscc)
            }
            StoreError::UserNotFound { username } => {
                Message::new("store.user_not_found").arg("username", username)
            }
            StoreError::CategoryNotFound { code } => {
                Message::new("store.category_not_found").arg("code", code)
            }
            StoreError::UnknownDepartment { department } => {
                Message::new("store.unknown_department").arg("department", department)
            }
            StoreError::DepartmentExists { code } => {
                Message::new("store.department_exists").arg("code", code)
            }
            StoreError::CategoryExists { code } => Message::new("store.category_exists").arg("code", code),
            StoreError::UsernameTaken { username } => {
                Message::new("store.username_taken").arg("username", username)
            }
            StoreError::InvalidUsername { username } => {
                Message::new("store.invalid_username").arg("username", username)
            }
            StoreError::UnknownRole { role } => Message::new("store.unknown_role").arg("role", role),
            StoreError::RoleNeedsEnterprise { username, role } => {
                Message::new("store.role_needs_enterprise").arg("username", username).arg("role", role)
            }
            StoreError::RoleNeedsDepartment { username, role } => {
                Message::new("store.role_needs_department").arg("username", username).arg("role", role)
            }
            StoreError::WrongRole { username, link, expected, actual } => Message::new("store.wrong_role")
                .arg("username", username)
                .arg("link", link)
                .arg("expected", expected)
                .arg("actual", actual),
            StoreError::EmptyRouting { code } => Message::new("store.empty_routing").arg("code", code),
            StoreError::DuplicateRouting { code, department } => {
                Message::new("store.duplicate_routing").arg("code", code).arg("department", department)
            }
            StoreError::ImportRecord { record, uscc, problem } => {
                let m = match problem {
                    ImportProblem::DuplicateEnterprise { first } => {
                        Message::new("store.import.duplicate_enterprise").arg("first", first)
                    }
                    ImportProblem::EmptyName => Message::new("store.import.empty_name"),
                    ImportProblem::UnknownFact { fact } => {
                        Message::new("store.import.unknown_fact").arg("fact", fact)
                    }
                    ImportProblem::RegistryField { fact } => {
                        Message::new("store.import.registry_field").arg("fact", fact)
                    }
                    ImportProblem::YearRequired { fact } => {
                        Message::new("store.import.year_required").arg("fact", fact)
                    }
                    ImportProblem::YearNotAllowed { fact } => {
                        Message::new("store.import.year_not_allowed").arg("fact", fact)
                    }
                    ImportProblem::YearOutOfRange { fact, year } => {
                        Message::new("store.import.year_out_of_range").arg("fact", fact).arg("year", year)
                    }
                    ImportProblem::WrongType { fact, expected, found } => {
                        Message::new("store.import.wrong_type")
                            .arg("fact", fact)
                            .arg("expected", expected)
                            .arg("found", found)
                    }
                    ImportProblem::BadCode { fact, reason } => {
                        Message::new("store.import.bad_code").arg("fact", fact).arg("reason", reason)
                    }
                    ImportProblem::DuplicateFact { fact } => {
                        Message::new("store.import.duplicate_fact").arg("fact", fact)
                    }
                };
                m.arg("record", record).arg("uscc", uscc)
            }
            StoreError::MigrationEdited { version, name } => {
                Message::new("store.migration_edited").arg("version", version).arg("name", name)
            }
            StoreError::MigrationUnknown { version, name } => {
                Message::new("store.migration_unknown").arg("version", version).arg("name", name)
            }
            StoreError::DocumentConflict { kind, name, expected, current } => {
                Message::new("store.document_conflict")
                    .arg("kind", kind)
                    .arg("name", name)
                    .arg("expected", expected)
                    .arg("current", current)
            }
            StoreError::DocumentNotFound { kind, name } => {
                Message::new("store.document_not_found").arg("kind", kind).arg("name", name)
            }
            StoreError::InvalidDocumentName { name } => {
                Message::new("store.invalid_document_name").arg("name", name)
            }
            StoreError::GrantRunNotFound { id } => Message::new("store.grant_run_not_found").arg("id", id),
            StoreError::GrantNotFound { id } => Message::new("store.grant_not_found").arg("id", id),
            StoreError::ObjectionNotFound { id } => Message::new("store.objection_not_found").arg("id", id),
            StoreError::PaymentFileNotFound { id } => {
                Message::new("store.payment_file_not_found").arg("id", id)
            }
            StoreError::GrantWrongState { grant, state } => {
                let zh = ::grants::GrantState::parse(state).map_or(state.as_str(), |s| s.label_zh());
                Message::new("store.grant_wrong_state")
                    .arg("grant", grant)
                    .arg("state", state)
                    .arg("state_zh", zh)
            }
            StoreError::GrantObjectionsOpen { run, open } => {
                Message::new("store.grant_objections_open").arg("run", run).arg("open", open)
            }
            StoreError::ApproverIsPreparer { run, username } => {
                Message::new("store.approver_is_preparer").arg("run", run).arg("username", username)
            }
            StoreError::ApprovedTwice { run, username } => {
                Message::new("store.approved_twice").arg("run", run).arg("username", username)
            }
            StoreError::IssuerNotIndependent { run, username } => {
                Message::new("store.issuer_not_independent").arg("run", run).arg("username", username)
            }
            StoreError::DraftNotFound { id } => Message::new("store.draft_not_found").arg("id", id),
            StoreError::DraftClosed { id, state } => {
                let zh = crate::drafts::DraftState::parse(state).map_or(state.as_str(), |s| s.name_zh());
                Message::new("store.draft_closed").arg("id", id).arg("state", state).arg("state_zh", zh)
            }
            StoreError::SelfReview { id, username } => {
                Message::new("store.self_review").arg("id", id).arg("username", username)
            }
            StoreError::Backend(detail) => Message::new("store.backend").arg("detail", detail),
        }
    }

    fn catalog(&self) -> &'static Catalog {
        crate::catalog()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample of each variant: a new variant fails to compile here until it has one.
    fn sample(d: StoreErrorDiscriminants) -> StoreError {
        use StoreErrorDiscriminants as D;
        let s = || "x".to_string();
        match d {
            D::EnterpriseNotFound => StoreError::EnterpriseNotFound { uscc: s() },
            D::UserNotFound => StoreError::UserNotFound { username: s() },
            D::CategoryNotFound => StoreError::CategoryNotFound { code: s() },
            D::UnknownDepartment => StoreError::UnknownDepartment { department: s() },
            D::DepartmentExists => StoreError::DepartmentExists { code: s() },
            D::CategoryExists => StoreError::CategoryExists { code: s() },
            D::UsernameTaken => StoreError::UsernameTaken { username: s() },
            D::InvalidUsername => StoreError::InvalidUsername { username: s() },
            D::UnknownRole => StoreError::UnknownRole { role: s() },
            D::RoleNeedsEnterprise => StoreError::RoleNeedsEnterprise { username: s(), role: s() },
            D::RoleNeedsDepartment => StoreError::RoleNeedsDepartment { username: s(), role: s() },
            D::WrongRole => StoreError::WrongRole { username: s(), link: s(), expected: s(), actual: s() },
            D::EmptyRouting => StoreError::EmptyRouting { code: s() },
            D::DuplicateRouting => StoreError::DuplicateRouting { code: s(), department: s() },
            D::ImportRecord => import_record(ImportProblemDiscriminants::EmptyName),
            D::MigrationEdited => StoreError::MigrationEdited { version: 1, name: s() },
            D::MigrationUnknown => StoreError::MigrationUnknown { version: 9, name: s() },
            D::DocumentConflict => {
                StoreError::DocumentConflict { kind: s(), name: s(), expected: s(), current: s() }
            }
            D::DocumentNotFound => StoreError::DocumentNotFound { kind: s(), name: s() },
            D::InvalidDocumentName => StoreError::InvalidDocumentName { name: s() },
            D::GrantRunNotFound => StoreError::GrantRunNotFound { id: 1 },
            D::GrantNotFound => StoreError::GrantNotFound { id: 1 },
            D::ObjectionNotFound => StoreError::ObjectionNotFound { id: 1 },
            D::PaymentFileNotFound => StoreError::PaymentFileNotFound { id: s() },
            D::GrantWrongState => StoreError::GrantWrongState { grant: 1, state: "paid".into() },
            D::GrantObjectionsOpen => StoreError::GrantObjectionsOpen { run: 1, open: 2 },
            D::ApproverIsPreparer => StoreError::ApproverIsPreparer { run: 1, username: s() },
            D::ApprovedTwice => StoreError::ApprovedTwice { run: 1, username: s() },
            D::IssuerNotIndependent => StoreError::IssuerNotIndependent { run: 1, username: s() },
            D::DraftNotFound => StoreError::DraftNotFound { id: 7 },
            D::DraftClosed => StoreError::DraftClosed { id: 7, state: "approved".into() },
            D::SelfReview => StoreError::SelfReview { id: 7, username: s() },
            D::Backend => StoreError::Backend(s()),
        }
    }

    /// An import record refused for each kind of problem (each has its own key).
    fn import_record(d: ImportProblemDiscriminants) -> StoreError {
        use ImportProblemDiscriminants as D;
        let s = || "x".to_string();
        let problem = match d {
            D::DuplicateEnterprise => ImportProblem::DuplicateEnterprise { first: 1 },
            D::EmptyName => ImportProblem::EmptyName,
            D::UnknownFact => ImportProblem::UnknownFact { fact: s() },
            D::RegistryField => ImportProblem::RegistryField { fact: s() },
            D::YearRequired => ImportProblem::YearRequired { fact: s() },
            D::YearNotAllowed => ImportProblem::YearNotAllowed { fact: s() },
            D::YearOutOfRange => ImportProblem::YearOutOfRange { fact: s(), year: 1 },
            D::WrongType => ImportProblem::WrongType { fact: s(), expected: s(), found: s() },
            D::BadCode => ImportProblem::BadCode { fact: s(), reason: s() },
            D::DuplicateFact => ImportProblem::DuplicateFact { fact: s() },
        };
        StoreError::ImportRecord { record: 3, uscc: s(), problem }
    }

    #[test]
    fn every_variant_renders_in_both_languages() {
        use strum::IntoEnumIterator;
        let mut samples: Vec<StoreError> = StoreErrorDiscriminants::iter().map(sample).collect();
        samples.extend(ImportProblemDiscriminants::iter().map(import_record));
        i18n::assert_all_bilingual(&samples);
        let e = StoreError::EnterpriseNotFound { uscc: "91430100MA4L16JQ9B".into() };
        assert!(e.render(i18n::Lang::Zh).contains("91430100MA4L16JQ9B"));
        assert!(e.render(i18n::Lang::En).contains("91430100MA4L16JQ9B"));
    }

    #[test]
    fn the_catalog_parses() {
        assert!(i18n::Catalog::parse(include_str!("../messages.toml")).is_ok());
    }
}
