//! The one error type of the use cases, [`Error`], and its [`ErrorKind`]: what class of
//! refusal it is, which each front end turns into its own answer (an HTTP status, an exit
//! code). Messages are bilingual through `messages.toml` and the catalogs of the crates whose
//! errors are wrapped.

use i18n::{Catalog, Localized, Message};
use store::StoreError;

/// What kind of refusal an [`Error`] is. The web maps it to a status (400, 401, 403, 404,
/// 409, 412, 413, 422, 429, 500), the CLI to exit code 1 (2 for [`ErrorKind::Internal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is malformed: a value that does not parse, a field too long (400).
    BadRequest,
    /// The actor may not do this (403).
    Forbidden,
    /// The thing does not exist, or the actor may not learn that it does (404).
    NotFound,
    /// The request conflicts with the current state (409).
    Conflict,
    /// A write made against a version that is no longer current (412).
    Stale,
    /// The request is too large (413).
    TooLarge,
    /// Well-formed but refused by a rule of the domain (422).
    Unprocessable,
    /// The credentials do not prove who is asking (401).
    Unauthenticated,
    /// Too many attempts: retry later (429).
    TooManyRequests,
    /// A failure of the system, not of the request (500): shown without detail.
    Internal,
}

#[derive(Debug, Clone, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum Error {
    /// The actor's role or ties do not allow this.
    #[error("forbidden")]
    Forbidden,
    /// No enterprise with this credit code that the actor may see.
    #[error("no enterprise {uscc} visible")]
    EnterpriseNotFound { uscc: String },
    /// No problem with this id that the actor may see.
    #[error("no problem {id} visible")]
    ProblemNotFound { id: String },
    /// No notification with this id addressed to the reader.
    #[error("no notification {id}")]
    NotificationNotFound { id: i64 },
    /// A value of the request that does not parse or is out of range: `field` names where,
    /// `reason` says what is wrong and how to fix it (already bilingual where it comes from
    /// a domain crate).
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, value: String, reason: String },
    /// A text longer than its stated limit, counted in characters.
    #[error("{field} too long: {actual} > {limit} characters")]
    TooLong { field: String, limit: usize, actual: usize },
    /// A required field of the request is missing: `field` names it, `what` says what to give.
    #[error("{field} is required: {what}")]
    Required { field: String, what: String },
    /// A text with a control character (NUL, escape, …) at `position` (1-based, in characters).
    #[error("{field} has a control character at {position}")]
    ControlCharacter { field: String, position: usize },
    /// A file name with a bidirectional control character (which can disguise its extension).
    #[error("{field} name {name} has a bidirectional control")]
    BidiControl { field: String, name: String },
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("handling: {0}")]
    Handling(#[from] handling::HandlingError),
    #[error("kpi: {0}")]
    Kpi(#[from] kpi::KpiError),
    #[error("attachment: {0}")]
    Attachment(#[from] store::attachments::AttachmentError),
    /// A calendar year's file that does not read or check, or a date or count the calendar
    /// refuses (all the caller's to fix).
    #[error("calendar: {0}")]
    Calendar(#[from] calendar::CalendarError),
    /// An import file that cannot be read at all (format, encoding, header).
    #[error("import: {0}")]
    Import(#[from] import::ImportError),
    /// A deactivated user tried to act.
    #[error("user {username} is deactivated")]
    UserInactive { username: String },
    /// No policy item with this id (`near`: the closest ids, for "did you mean").
    #[error("no item {id}")]
    ItemNotFound { id: String, near: Vec<String> },
    /// A simulation names a parameter the item does not read.
    #[error("item {item} has no parameter {name}")]
    NotAParameter { item: String, name: String, near: Vec<String>, params: Vec<String> },
    /// A policy value refused by the rules (a simulated parameter's value that does not parse).
    #[error("rules: {0}")]
    Rules(rules::Error),
    /// A write against a version that is no longer current.
    #[error("stale version")]
    Stale,
    /// A sign-in with a wrong username or password (the answer never tells which).
    #[error("wrong username or password")]
    BadCredentials,
    /// Sign-ins of this account from this address are locked after repeated failures.
    #[error("locked until {until}")]
    SignInLocked { until: chrono::DateTime<chrono::FixedOffset> },
    /// A new password shorter than the zone's minimum (characters).
    #[error("password too short")]
    PasswordTooShort { min: usize },
    /// The new password and its confirmation differ.
    #[error("passwords differ")]
    PasswordMismatch,
    /// The current password given for a change is wrong.
    #[error("current password wrong")]
    WrongCurrentPassword,
    /// An administrator tried to deactivate their own account or change their own role: the
    /// zone could be left without an administrator.
    #[error("{username} may not deactivate their own account or change their own role")]
    OwnAccount { username: String },
    /// A role change of a user still named as leader or cadre in enterprises' three links.
    #[error("user {username} is linked to {count} enterprises")]
    UserLinked { username: String, count: u64 },
    /// A policy save or load refused: the library as it would be does not check, or a test
    /// case fails; nothing was stored.
    #[error("policy library refused: {} problems", .0.count())]
    PolicyRejected(crate::policies::Rejected),
    /// Time limits refused by the handling crate's parser or the routing table; nothing was
    /// stored.
    #[error("time limits refused: {reason}")]
    InvalidTimeLimits { reason: String },
    /// A zone-settings document that does not read (TOML, an unknown key, a value out of
    /// range); nothing was stored.
    #[error("zone settings refused: {reason}")]
    InvalidSettings { reason: String },
    /// One zone setting's value refused (the form, `--value KEY=VALUE`): the key and why.
    #[error("setting {key}: {issue:?}")]
    InvalidSetting { key: String, value: String, issue: crate::settings::SettingIssue },
    /// A tax year outside [`crate::matching::FIRST_TAX_YEAR`] ..= the evaluation date's year.
    #[error("tax year {tax_year} is not between {first} and the year of {date}")]
    TaxYear { tax_year: i32, date: chrono::NaiveDate, first: i32 },
    /// A grant run asked for an item that is not paid without application.
    #[error("item {item} is {kind}, not award_no_application")]
    NotGrantable { item: String, kind: String, kind_zh: String },
    /// A grant rule refused (an illegal transition, a budget overrun, bad bands).
    #[error("grants: {0}")]
    Grants(grants::Error),
    /// No event with this id (issue 15's events).
    #[error("no event {id}")]
    EventNotFound { id: i64 },
    /// No financing demand with this id the reader may see.
    #[error("no financing demand {id}")]
    DemandNotFound { id: i64 },
    /// No financial product with this id the reader may see.
    #[error("no financial product {id}")]
    ProductNotFound { id: String },
    /// No 一企一对策 plan with this id that the actor may see (issue 15).
    #[error("no plan {id}")]
    PlanNotFound { id: i64 },
    /// No credit repair case with this id that the actor may see (issue 15).
    #[error("no credit repair case {id}")]
    RepairCaseNotFound { id: i64 },
    /// No supply demand with this id that the actor may see (三.11, issue 15).
    #[error("no supply demand {id}")]
    SupplyDemandNotFound { id: i64 },
    /// No legal consultation with this id that the actor may see (三.14, issue 15).
    #[error("no legal consultation {id}")]
    ConsultationNotFound { id: i64 },
    /// A service rule refused (registration closed, seats, steps out of order, …).
    #[error("services: {0}")]
    Service(services::Error),
    /// Approval before the run's publicity has ended (or began).
    #[error("grant run {run} is in publicity until {until}")]
    PublicityNotOver { run: i64, until: String },
    /// A payment file with no line to issue.
    #[error("grant run {run} has nothing to issue")]
    NothingToIssue { run: i64 },
    /// A payment-results file refused, with every row's problem (nothing imported).
    #[error("payment results refused: {} problems", problems.len())]
    PaymentResults { problems: Vec<String> },
    /// A utility arrears file refused, with every row's problem (the first 200, `more`
    /// besides): nothing imported.
    #[error("arrears file refused: {} problems", problems.len() + more)]
    ArrearsFile { problems: Vec<String>, more: usize },
    /// A policy draft made against a version of `name` that is no longer live: nothing was
    /// written and the draft is marked stale.
    #[error("policy draft #{id} is stale: {name} moved from version {expected} to {current}")]
    DraftStale { id: i64, name: String, expected: String, current: String },
    /// A logistics profiles file with bad rows (every row's problem listed, up to 200, and
    /// the count besides): nothing imported.
    #[error("logistics profiles file refused: {} problems", problems.len() + more)]
    LogisticsFile { problems: Vec<String>, more: usize },
    /// A failure of the system (logged where handled, shown without detail).
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn internal(e: impl std::fmt::Display) -> Error {
        Error::Internal(e.to_string())
    }

    /// Checks that `text` is at most `limit` characters long.
    pub fn check_length(field: &str, text: &str, limit: usize) -> Result<()> {
        let actual = text.chars().count();
        if actual > limit {
            return Err(Error::TooLong { field: field.to_string(), limit, actual });
        }
        Ok(())
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Forbidden | Error::UserInactive { .. } => ErrorKind::Forbidden,
            Error::BadCredentials => ErrorKind::Unauthenticated,
            Error::SignInLocked { .. } => ErrorKind::TooManyRequests,
            Error::PasswordTooShort { .. } | Error::PasswordMismatch | Error::WrongCurrentPassword => {
                ErrorKind::BadRequest
            }
            Error::ItemNotFound { .. } => ErrorKind::NotFound,
            Error::NotAParameter { .. } | Error::Rules(_) => ErrorKind::BadRequest,
            Error::OwnAccount { .. } | Error::UserLinked { .. } => ErrorKind::Conflict,
            Error::EnterpriseNotFound { .. } | Error::ProblemNotFound { .. } => ErrorKind::NotFound,
            Error::NotificationNotFound { .. } => ErrorKind::NotFound,
            Error::Invalid { .. }
            | Error::TaxYear { .. }
            | Error::TooLong { .. }
            | Error::InvalidSetting { .. }
            | Error::Required { .. }
            | Error::ControlCharacter { .. }
            | Error::BidiControl { .. } => ErrorKind::BadRequest,
            Error::Stale => ErrorKind::Stale,
            Error::DraftStale { .. } => ErrorKind::Conflict,
            Error::PolicyRejected(_) | Error::InvalidTimeLimits { .. } | Error::InvalidSettings { .. } => {
                ErrorKind::Unprocessable
            }
            Error::Internal(_) => ErrorKind::Internal,
            Error::NotGrantable { .. } | Error::PaymentResults { .. } => ErrorKind::Unprocessable,
            Error::ArrearsFile { .. } | Error::LogisticsFile { .. } => ErrorKind::Unprocessable,
            Error::Grants(grants::Error::IllegalTransition { .. }) => ErrorKind::Conflict,
            Error::Grants(_) => ErrorKind::Unprocessable,
            Error::EventNotFound { .. } => ErrorKind::NotFound,
            Error::DemandNotFound { .. } | Error::ProductNotFound { .. } => ErrorKind::NotFound,
            Error::PlanNotFound { .. } | Error::RepairCaseNotFound { .. } => ErrorKind::NotFound,
            Error::SupplyDemandNotFound { .. } => ErrorKind::NotFound,
            Error::ConsultationNotFound { .. } => ErrorKind::NotFound,
            Error::Service(
                services::Error::Attendees { .. }
                | services::Error::Score { .. }
                | services::Error::BadSchedule { .. }
                | services::Error::BadProduct { .. },
            ) => ErrorKind::BadRequest,
            Error::Service(_) => ErrorKind::Conflict,
            Error::PublicityNotOver { .. } | Error::NothingToIssue { .. } => ErrorKind::Conflict,
            Error::Kpi(kpi::KpiError::BadPeriod { .. }) => ErrorKind::BadRequest,
            Error::Kpi(_) => ErrorKind::Internal,
            Error::Import(_) => ErrorKind::BadRequest,
            Error::Calendar(_) => ErrorKind::BadRequest,
            Error::Attachment(a) => {
                use store::attachments::AttachmentError as A;
                match a {
                    A::TooLarge { .. } => ErrorKind::TooLarge,
                    A::NotFound { .. } => ErrorKind::NotFound,
                    A::Empty { .. } | A::Type { .. } | A::TooMany { .. } => ErrorKind::Unprocessable,
                }
            }
            Error::Handling(h) => handling_kind(h),
            Error::Store(e) => match e {
                StoreError::EnterpriseNotFound { .. }
                | StoreError::UserNotFound { .. }
                | StoreError::CategoryNotFound { .. }
                | StoreError::DocumentNotFound { .. } => ErrorKind::NotFound,
                StoreError::DocumentConflict { .. } => ErrorKind::Stale,
                StoreError::DraftNotFound { .. } => ErrorKind::NotFound,
                StoreError::DraftClosed { .. } => ErrorKind::Conflict,
                StoreError::SelfReview { .. } => ErrorKind::Forbidden,
                StoreError::DepartmentExists { .. }
                | StoreError::CategoryExists { .. }
                | StoreError::UsernameTaken { .. } => ErrorKind::Conflict,
                StoreError::GrantRunNotFound { .. }
                | StoreError::GrantNotFound { .. }
                | StoreError::ObjectionNotFound { .. }
                | StoreError::PaymentFileNotFound { .. } => ErrorKind::NotFound,
                StoreError::GrantWrongState { .. }
                | StoreError::GrantObjectionsOpen { .. }
                | StoreError::ApprovedTwice { .. } => ErrorKind::Conflict,
                StoreError::ApproverIsPreparer { .. } | StoreError::IssuerNotIndependent { .. } => {
                    ErrorKind::Forbidden
                }
                StoreError::Backend(_) => ErrorKind::Internal,
                _ if e.is_user_error() => ErrorKind::Unprocessable,
                _ => ErrorKind::Internal,
            },
        }
    }
}

impl From<store::problems::ProblemError> for Error {
    fn from(e: store::problems::ProblemError) -> Error {
        use store::problems::ProblemError as P;
        match e {
            P::NotFound { id } => Error::ProblemNotFound { id: id.to_string() },
            P::VisitNotFound { id } => {
                Error::Invalid { field: "visit".into(), value: id, reason: "no such visit".into() }
            }
            P::Handling(h) => Error::Handling(h),
            P::Stale { .. } => Error::Stale,
            P::Attachment(a) => Error::Attachment(a),
            P::Store(s) => Error::Store(s),
        }
    }
}

impl Localized for Error {
    fn message(&self) -> Message {
        match self {
            Error::Forbidden => Message::new("app.forbidden"),
            Error::EnterpriseNotFound { uscc } => Message::new("app.enterprise_not_found").arg("uscc", uscc),
            Error::ProblemNotFound { id } => Message::new("app.problem_not_found").arg("id", id),
            Error::Invalid { field, value, reason } => {
                Message::new("app.invalid").arg("field", field).arg("value", value).arg("reason", reason)
            }
            Error::TaxYear { tax_year, date, first } => Message::new("app.tax_year")
                .arg("tax_year", tax_year)
                .arg("date", date)
                .arg("first", first)
                .arg("last", chrono::Datelike::year(date)),
            Error::TooLong { field, limit, actual } => {
                Message::new("app.too_long").arg("field", field).arg("limit", limit).arg("actual", actual)
            }
            Error::ItemNotFound { id, near } if near.is_empty() => {
                Message::new("app.item_not_found").arg("id", id)
            }
            Error::ItemNotFound { id, near } => {
                Message::new("app.item_not_found_near").arg("id", id).arg("near", near.join(", "))
            }
            Error::NotAParameter { item, name, near, params } => {
                let params = if params.is_empty() { "—".to_string() } else { params.join(", ") };
                let m = if near.is_empty() {
                    Message::new("app.not_a_parameter")
                } else {
                    Message::new("app.not_a_parameter_near").arg("near", near.join(", "))
                };
                m.arg("item", item).arg("name", name).arg("params", params)
            }
            Error::Rules(e) => e.message(),
            Error::Required { field, what } => {
                Message::new("app.required").arg("field", field).arg("what", what)
            }
            Error::ControlCharacter { field, position } => {
                Message::new("app.control_character").arg("field", field).arg("position", position)
            }
            Error::BidiControl { field, name } => {
                Message::new("app.bidi_control").arg("field", field).arg("name", name)
            }
            Error::Stale => Message::new("app.stale"),
            Error::DraftStale { id, name, expected, current } => Message::new("app.draft_stale")
                .arg("id", id)
                .arg("name", name)
                .arg("expected", expected)
                .arg("current", current),
            Error::PolicyRejected(r) => Message::new("app.policy_rejected").arg("count", r.count()),
            Error::InvalidTimeLimits { reason } => {
                Message::new("app.invalid_time_limits").arg("reason", reason)
            }
            Error::InvalidSettings { reason } => Message::new("app.invalid_settings").arg("reason", reason),
            Error::InvalidSetting { key, value, issue } => {
                use crate::settings::SettingIssue as I;
                let field = crate::settings::field(key);
                let m = Message::new(match issue {
                    I::Unknown => "app.setting_unknown",
                    I::NotAPercent => "app.setting_not_a_percent",
                    I::Empty => "app.setting_empty",
                    I::SourceOfDefaults => "app.setting_source_of_defaults",
                    I::NotWorkdays => "app.setting_not_workdays",
                    I::NotBands => "app.setting_not_bands",
                    I::NotALimit => "app.setting_not_a_limit",
                    I::NotOfficers => "app.setting_not_officers",
                });
                let keys: Vec<&str> = crate::settings::FIELDS.iter().map(|f| f.key).collect();
                m.arg("key", key)
                    .arg("value", value)
                    .arg("label", field.map_or(key.as_str(), |f| f.label[0]))
                    .arg("label_en", field.map_or(key.as_str(), |f| f.label[1]))
                    .arg("keys", keys.join(", "))
            }
            Error::UserInactive { username } => Message::new("app.user_inactive").arg("username", username),
            Error::BadCredentials => Message::new("app.bad_credentials"),
            Error::SignInLocked { until } => Message::new("app.sign_in_locked")
                .arg("until", until.with_timezone(&store::china_offset()).format("%Y-%m-%d %H:%M")),
            Error::PasswordTooShort { min } => Message::new("app.password_too_short").arg("min", min),
            Error::PasswordMismatch => Message::new("app.password_mismatch"),
            Error::WrongCurrentPassword => Message::new("app.wrong_current_password"),
            Error::OwnAccount { username } => Message::new("app.own_account").arg("username", username),
            Error::UserLinked { username, count } => {
                Message::new("app.user_linked").arg("username", username).arg("count", count)
            }
            Error::Internal(_) => Message::new("app.internal"),
            Error::NotGrantable { item, kind, kind_zh } => {
                Message::new("app.not_grantable").arg("item", item).arg("kind", kind).arg("kind_zh", kind_zh)
            }
            Error::Grants(e) => e.message(),
            Error::EventNotFound { id } => Message::new("app.event_not_found").arg("id", id),
            Error::NotificationNotFound { id } => Message::new("app.notification_not_found").arg("id", id),
            Error::DemandNotFound { id } => Message::new("app.demand_not_found").arg("id", id),
            Error::ProductNotFound { id } => Message::new("app.product_not_found").arg("id", id),
            Error::PlanNotFound { id } => Message::new("app.plan_not_found").arg("id", id),
            Error::RepairCaseNotFound { id } => Message::new("app.repair_case_not_found").arg("id", id),
            Error::SupplyDemandNotFound { id } => Message::new("app.supply_demand_not_found").arg("id", id),
            Error::ConsultationNotFound { id } => Message::new("app.consultation_not_found").arg("id", id),
            Error::Service(e) => e.message(),
            Error::PublicityNotOver { run, until } => {
                Message::new("app.publicity_not_over").arg("run", run).arg("until", until)
            }
            Error::NothingToIssue { run } => Message::new("app.nothing_to_issue").arg("run", run),
            Error::PaymentResults { problems } => Message::new("app.payment_results")
                .arg("count", problems.len())
                .arg("problems", problems.iter().take(20).cloned().collect::<Vec<_>>().join("; ")),
            Error::ArrearsFile { problems, more } => Message::new("app.arrears_file")
                .arg("count", problems.len() + more)
                .arg("problems", problems.iter().take(20).cloned().collect::<Vec<_>>().join("; ")),
            Error::LogisticsFile { problems, more } => Message::new("app.logistics_file")
                .arg("count", problems.len() + more)
                .arg("problems", problems.iter().take(20).cloned().collect::<Vec<_>>().join("; ")),
            Error::Store(StoreError::Backend(_)) => Message::new("app.internal"),
            Error::Store(e) => e.message(),
            Error::Handling(_) | Error::Kpi(_) if self.kind() == ErrorKind::Internal => {
                Message::new("app.internal")
            }
            Error::Handling(e) => e.message(),
            Error::Kpi(e) => e.message(),
            Error::Attachment(e) => e.message(),
            Error::Import(e) => e.message(),
            Error::Calendar(e) => e.message(),
        }
    }

    fn catalog(&self) -> &'static Catalog {
        match self {
            _ if self.kind() == ErrorKind::Internal => crate::catalog(),
            Error::Store(e) => e.catalog(),
            Error::Handling(e) => e.catalog(),
            Error::Kpi(e) => e.catalog(),
            Error::Attachment(e) => e.catalog(),
            Error::Rules(e) => e.catalog(),
            Error::Import(e) => e.catalog(),
            Error::Calendar(e) => e.catalog(),
            Error::Grants(e) => e.catalog(),
            Error::Service(e) => e.catalog(),
            _ => crate::catalog(),
        }
    }

    fn render(&self, lang: i18n::Lang) -> String {
        match self {
            // Their messages name states, actions and roles in the reader's language.
            Error::Handling(e) if self.kind() != ErrorKind::Internal => e.render(lang),
            Error::Kpi(e) if self.kind() != ErrorKind::Internal => e.render(lang),
            _ => self.catalog().render(&self.message(), lang),
        }
    }
}

/// What kind of refusal a refusal by the three lists' domain is: the one mapping both front
/// ends use (the web turns it into an HTTP status, the CLI into its message).
pub fn handling_kind(h: &handling::HandlingError) -> ErrorKind {
    use handling::HandlingError as H;
    match h {
        H::RoleNotAllowed { .. }
        | H::NotLeadDepartment { .. }
        | H::NotCooperating { .. }
        | H::NotYourEnterprise { .. }
        | H::FirstReceiverOwns { .. } => ErrorKind::Forbidden,
        H::Illegal { .. }
        | H::Locked { .. }
        | H::ObjectionWindowClosed { .. }
        | H::AlreadyOverdue { .. }
        | H::ExtensionPending
        | H::NoExtensionPending
        | H::ExtensionLimit { .. }
        | H::ConsultationOpen
        | H::NoConsultationOpen
        | H::NotYetUnconfirmed { .. }
        | H::NoEscalationOpen
        | H::NothingToRecompute
        | H::BeforeLastEvent { .. } => ErrorKind::Conflict,
        H::NoDecisionOwned { .. } => ErrorKind::Forbidden,
        H::BadLog { .. } | H::BadLimits { .. } | H::Calendar(_) => ErrorKind::Internal,
        _ => ErrorKind::Unprocessable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample of each variant: a new variant fails to compile here until it has one.
    /// Wrapped errors have one representative each (their own crates test them all).
    fn sample(d: ErrorDiscriminants) -> Error {
        use ErrorDiscriminants as D;
        match d {
            D::Forbidden => Error::Forbidden,
            D::EnterpriseNotFound => Error::EnterpriseNotFound { uscc: "x".into() },
            D::ProblemNotFound => Error::ProblemNotFound { id: "7".into() },
            D::Invalid => Error::Invalid { field: "date".into(), value: "x".into(), reason: "y".into() },
            D::TaxYear => Error::TaxYear { tax_year: 2030, date: chrono::NaiveDate::MIN, first: 2000 },
            D::TooLong => Error::TooLong { field: "title".into(), limit: 100, actual: 101 },
            D::Required => Error::Required { field: "lead".into(), what: "x".into() },
            D::ControlCharacter => Error::ControlCharacter { field: "title".into(), position: 3 },
            D::BidiControl => Error::BidiControl { field: "file".into(), name: "a.pdf".into() },
            D::Store => Error::Store(StoreError::UsernameTaken { username: "li".into() }),
            D::Handling => Error::Handling(handling::HandlingError::ExtensionPending),
            D::Kpi => Error::Kpi(kpi::KpiError::BadPeriod { input: "2022-13".into() }),
            D::Attachment => {
                Error::Attachment(store::attachments::AttachmentError::NotFound { problem: 1, id: 2 })
            }
            D::Calendar => Error::Calendar(calendar::CalendarError::BadCount { n: 0 }),
            D::Import => Error::Import(import::ImportError::Empty),
            D::UserInactive => Error::UserInactive { username: "li".into() },
            D::ItemNotFound => Error::ItemNotFound { id: "x".into(), near: Vec::new() },
            D::NotAParameter => Error::NotAParameter {
                item: "i".into(),
                name: "n".into(),
                near: Vec::new(),
                params: Vec::new(),
            },
            D::Rules => Error::Rules(rules::Error::NeedsYear { fact: "revenue".into() }),
            D::Stale => Error::Stale,
            D::DraftStale => {
                Error::DraftStale { id: 3, name: "a.toml".into(), expected: "1".into(), current: "2".into() }
            }
            D::BadCredentials => Error::BadCredentials,
            D::SignInLocked => Error::SignInLocked { until: chrono::DateTime::UNIX_EPOCH.fixed_offset() },
            D::PasswordTooShort => Error::PasswordTooShort { min: 8 },
            D::PasswordMismatch => Error::PasswordMismatch,
            D::WrongCurrentPassword => Error::WrongCurrentPassword,
            D::OwnAccount => Error::OwnAccount { username: "admin".into() },
            D::UserLinked => Error::UserLinked { username: "li".into(), count: 3 },
            D::PolicyRejected => Error::PolicyRejected(crate::policies::Rejected::FailedCases(Vec::new())),
            D::InvalidTimeLimits => Error::InvalidTimeLimits { reason: "r".into() },
            D::InvalidSettings => Error::InvalidSettings { reason: "r".into() },
            D::InvalidSetting => setting(crate::settings::SettingIssue::Unknown),
            D::Internal => Error::Internal("x".into()),
            D::NotGrantable => Error::NotGrantable {
                item: "vat".into(),
                kind: "tax_relief_declared".into(),
                kind_zh: "申报享受".into(),
            },
            D::Grants => {
                Error::Grants(grants::Error::BadBudget { budget: rust_decimal::Decimal::NEGATIVE_ONE })
            }
            D::EventNotFound => Error::EventNotFound { id: 7 },
            D::NotificationNotFound => Error::NotificationNotFound { id: 7 },
            D::DemandNotFound => Error::DemandNotFound { id: 7 },
            D::ProductNotFound => Error::ProductNotFound { id: "x".into() },
            D::PlanNotFound => Error::PlanNotFound { id: 7 },
            D::RepairCaseNotFound => Error::RepairCaseNotFound { id: 7 },
            D::SupplyDemandNotFound => Error::SupplyDemandNotFound { id: 7 },
            D::ConsultationNotFound => Error::ConsultationNotFound { id: 7 },
            D::Service => Error::Service(services::Error::AlreadyRegistered),
            D::PublicityNotOver => Error::PublicityNotOver { run: 1, until: "2026-12-11".into() },
            D::NothingToIssue => Error::NothingToIssue { run: 1 },
            D::PaymentResults => Error::PaymentResults { problems: vec!["row 2: grant x".into()] },
            D::ArrearsFile => Error::ArrearsFile { problems: vec!["row 2: kind x".into()], more: 0 },
            D::LogisticsFile => Error::LogisticsFile { problems: vec!["row 2: main_mode x".into()], more: 0 },
        }
    }

    fn setting(issue: crate::settings::SettingIssue) -> Error {
        Error::InvalidSetting { key: "k".into(), value: "v".into(), issue }
    }

    #[test]
    fn every_message_is_in_both_languages() {
        use strum::IntoEnumIterator;
        let mut samples: Vec<Error> = ErrorDiscriminants::iter().map(sample).collect();
        // The cases whose key or text depends on the fields.
        samples.extend([
            Error::ItemNotFound { id: "x".into(), near: vec!["y".into()] },
            Error::NotAParameter {
                item: "i".into(),
                name: "n".into(),
                near: vec!["m".into()],
                params: vec!["m".into()],
            },
            Error::Store(StoreError::Backend("x".into())),
            Error::Handling(handling::HandlingError::BadLog { seq: 3, reason: "r".into() }),
        ]);
        samples.extend(crate::settings::SettingIssue::iter().map(setting));
        i18n::assert_all_bilingual(&samples);
    }

    #[test]
    fn internal_failures_hide_their_detail() {
        let e = Error::Store(StoreError::Backend("disk I/O error at /var/x".into()));
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(!e.bilingual().contains("disk"), "{}", e.bilingual());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(Error::check_length("title", &"企".repeat(100), 100).is_ok());
        let e = Error::check_length("title", &"企".repeat(101), 100).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest);
        assert!(e.bilingual().contains("101"), "{}", e.bilingual());
    }
}
