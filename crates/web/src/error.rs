//! The one error type of the web layer, and how it is shown.
//!
//! A [`WebError`] becomes an `application/problem+json` response (RFC 9457) with the Chinese
//! `title`/`detail` and their English twins `title_en`/`detail_en`, the HTTP `status` and a
//! stable `code`. Pages show the same message as an HTML page instead: the page middleware
//! ([`crate::routes::pages`]) finds the error in the response's extensions and re-renders it
//! in the reader's language. Store errors keep their own (store) messages; backend failures
//! are logged once here and shown as a generic 500 without detail.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset};
use i18n::{Catalog, Lang, Localized, Message};
use serde::Serialize;
use store::StoreError;

#[derive(Debug, Clone, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum WebError {
    #[error("sign-in required")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("locked until {until}")]
    Locked { until: DateTime<FixedOffset> },
    /// Too many requests from one address or user ([`crate::limits`]): 429 with
    /// `Retry-After`.
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("forbidden")]
    Forbidden,
    #[error("not found: {path}")]
    NotFound { path: String },
    #[error("no enterprise {uscc} visible")]
    EnterpriseNotFound { uscc: String },
    #[error("CSRF token missing or wrong")]
    Csrf,
    #[error("invalid credit code {input}: {reason}")]
    InvalidUscc { input: String, reason: String },
    #[error("invalid parameter {param}={value}")]
    InvalidParam { param: String, value: String },
    #[error("invalid request body: {detail}")]
    InvalidBody { detail: String },
    #[error("password too short")]
    PasswordTooShort { min: usize },
    #[error("passwords differ")]
    PasswordMismatch,
    #[error("current password wrong")]
    WrongCurrentPassword,
    #[error("version mismatch")]
    PreconditionFailed,
    #[error("no policy {id}")]
    PolicyNotFound { id: String },
    #[error("no policy item {id}")]
    ItemNotFound { id: String },
    #[error("no problem {id} visible")]
    ProblemNotFound { id: String },
    /// The three lists' domain refused: an illegal transition (409), an actor who may not
    /// (403), a bad value (422).
    #[error("handling: {0}")]
    Handling(#[from] handling::HandlingError),
    #[error("kpi: {0}")]
    Kpi(#[from] kpi::KpiError),
    /// A policy save refused: `count` parse or type errors, or failing test cases (the
    /// API adds each as `diagnostics`).
    #[error("policy document refused: {count} problems")]
    PolicyRejected { count: usize },
    /// A time-limits save refused by the handling crate's parser or the routing table.
    #[error("time limits refused: {reason}")]
    InvalidTimeLimits { reason: String },
    /// A write that must name the version it was made against (`If-Match`) did not.
    #[error("If-Match required")]
    PreconditionRequired,
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A file refused by the attachment rules (413 too large, 422 otherwise) or not found (404).
    #[error("attachment: {0}")]
    Attachment(#[from] store::attachments::AttachmentError),
    /// A use case refused ([`app::Error`] that has no older web twin): status from its
    /// [`app::ErrorKind`], message from its catalog.
    #[error("{0}")]
    App(app::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<app::Error> for WebError {
    /// The use cases' errors with a web twin keep the twin's stable `code` (API clients read
    /// it); the others are [`WebError::App`].
    fn from(e: app::Error) -> WebError {
        match e {
            app::Error::Forbidden => WebError::Forbidden,
            app::Error::EnterpriseNotFound { uscc } => WebError::EnterpriseNotFound { uscc },
            app::Error::ProblemNotFound { id } => WebError::ProblemNotFound { id },
            app::Error::ItemNotFound { id, .. } => WebError::ItemNotFound { id },
            app::Error::Stale => WebError::PreconditionFailed,
            app::Error::Store(s) => WebError::Store(s),
            app::Error::Handling(h) => WebError::Handling(h),
            app::Error::Kpi(k) => WebError::Kpi(k),
            app::Error::Attachment(a) => WebError::Attachment(a),
            app::Error::Internal(m) => WebError::Internal(m),
            app::Error::BadCredentials => WebError::BadCredentials,
            app::Error::SignInLocked { until } => WebError::Locked { until },
            app::Error::PasswordTooShort { min } => WebError::PasswordTooShort { min },
            app::Error::PasswordMismatch => WebError::PasswordMismatch,
            app::Error::WrongCurrentPassword => WebError::WrongCurrentPassword,
            app::Error::PolicyRejected(r) => WebError::PolicyRejected { count: r.count() },
            app::Error::InvalidTimeLimits { reason } => WebError::InvalidTimeLimits { reason },
            other => WebError::App(other),
        }
    }
}

/// The HTTP status of a use case's refusal.
pub fn status_of(kind: app::ErrorKind) -> StatusCode {
    use app::ErrorKind as K;
    match kind {
        K::BadRequest => StatusCode::BAD_REQUEST,
        K::Forbidden => StatusCode::FORBIDDEN,
        K::NotFound => StatusCode::NOT_FOUND,
        K::Conflict => StatusCode::CONFLICT,
        K::Stale => StatusCode::PRECONDITION_FAILED,
        K::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        K::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        K::Unauthenticated => StatusCode::UNAUTHORIZED,
        K::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        K::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Unauthenticated | WebError::BadCredentials => StatusCode::UNAUTHORIZED,
            WebError::Locked { .. } | WebError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound { .. } | WebError::EnterpriseNotFound { .. } => StatusCode::NOT_FOUND,
            WebError::InvalidUscc { .. }
            | WebError::InvalidParam { .. }
            | WebError::InvalidBody { .. }
            | WebError::PasswordTooShort { .. }
            | WebError::PasswordMismatch
            | WebError::WrongCurrentPassword => StatusCode::BAD_REQUEST,
            WebError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            WebError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            WebError::PolicyRejected { .. } | WebError::InvalidTimeLimits { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            WebError::PolicyNotFound { .. } | WebError::ItemNotFound { .. } => StatusCode::NOT_FOUND,
            WebError::ProblemNotFound { .. } => StatusCode::NOT_FOUND,
            WebError::Handling(e) => handling_status(e),
            WebError::Kpi(kpi::KpiError::BadPeriod { .. }) => StatusCode::BAD_REQUEST,
            WebError::Kpi(kpi::KpiError::Replay { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::Store(e) => match e {
                StoreError::EnterpriseNotFound { .. }
                | StoreError::UserNotFound { .. }
                | StoreError::CategoryNotFound { .. }
                | StoreError::DocumentNotFound { .. } => StatusCode::NOT_FOUND,
                StoreError::DocumentConflict { .. } => StatusCode::PRECONDITION_FAILED,
                StoreError::DraftNotFound { .. } => StatusCode::NOT_FOUND,
                StoreError::DraftClosed { .. } => StatusCode::CONFLICT,
                StoreError::SelfReview { .. } => StatusCode::FORBIDDEN,
                StoreError::DepartmentExists { .. }
                | StoreError::CategoryExists { .. }
                | StoreError::UsernameTaken { .. } => StatusCode::CONFLICT,
                StoreError::Backend(_) => StatusCode::INTERNAL_SERVER_ERROR,
                // The rest as the use cases class them (the grants' refusals: 404, 409, 403).
                _ => status_of(app::Error::Store(e.clone()).kind()),
            },
            WebError::Attachment(e) => {
                use store::attachments::AttachmentError as A;
                match e {
                    A::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                    A::NotFound { .. } => StatusCode::NOT_FOUND,
                    A::Empty { .. } | A::Type { .. } | A::TooMany { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                }
            }
            WebError::App(e) => status_of(e.kind()),
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code (the message key).
    pub fn code(&self) -> &'static str {
        match self {
            // A bad or missing request value kept this code when the check moved into the use
            // cases (its message now says more: the field, what is wrong, how to fix it).
            WebError::App(app::Error::Invalid { .. } | app::Error::Required { .. }) => "web.invalid_param",
            _ => self.message().key,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> WebError {
        WebError::Internal(e.to_string())
    }

    /// The short, status-level title in a language.
    pub fn title(&self, lang: Lang) -> String {
        let key = match self.status().as_u16() {
            400 => "web.status.400",
            401 => "web.status.401",
            403 => "web.status.403",
            404 => "web.status.404",
            409 => "web.status.409",
            412 => "web.status.412",
            413 => "web.status.413",
            422 => "web.status.422",
            428 => "web.status.428",
            429 => "web.status.429",
            _ => "web.status.500",
        };
        crate::catalog().render(&Message::new(key), lang)
    }

    /// The problem document.
    pub fn problem(&self) -> ProblemDocument {
        ProblemDocument {
            kind: "about:blank",
            code: self.code().to_string(),
            status: self.status().as_u16(),
            title: self.title(Lang::Zh),
            title_en: self.title(Lang::En),
            detail: self.render(Lang::Zh),
            detail_en: self.render(Lang::En),
        }
    }
}

impl Localized for WebError {
    fn message(&self) -> Message {
        match self {
            WebError::Unauthenticated => Message::new("web.unauthenticated"),
            WebError::BadCredentials => Message::new("web.bad_credentials"),
            WebError::Locked { until } => Message::new("web.locked")
                .arg("until", until.with_timezone(&store::china_offset()).format("%Y-%m-%d %H:%M")),
            WebError::RateLimited { retry_after } => {
                Message::new("web.rate_limited").arg("seconds", retry_after)
            }
            WebError::Forbidden => Message::new("web.forbidden"),
            WebError::NotFound { path } => Message::new("web.not_found").arg("path", path),
            WebError::EnterpriseNotFound { uscc } => {
                Message::new("web.enterprise_not_found").arg("uscc", uscc)
            }
            WebError::Csrf => Message::new("web.csrf"),
            WebError::InvalidUscc { input, reason } => {
                Message::new("web.invalid_uscc").arg("input", input).arg("reason", reason)
            }
            WebError::InvalidParam { param, value } => {
                Message::new("web.invalid_param").arg("param", param).arg("value", value)
            }
            WebError::InvalidBody { detail } => Message::new("web.invalid_body").arg("detail", detail),
            WebError::PasswordTooShort { min } => Message::new("web.password_too_short").arg("min", min),
            WebError::PasswordMismatch => Message::new("web.password_mismatch"),
            WebError::WrongCurrentPassword => Message::new("web.wrong_current_password"),
            WebError::PreconditionFailed => Message::new("web.precondition_failed"),
            WebError::PreconditionRequired => Message::new("web.precondition_required"),
            WebError::PolicyRejected { count } => Message::new("web.policy_rejected").arg("count", count),
            WebError::InvalidTimeLimits { reason } => {
                Message::new("web.invalid_time_limits").arg("reason", reason)
            }
            WebError::PolicyNotFound { id } => Message::new("web.policy_not_found").arg("id", id),
            WebError::ItemNotFound { id } => Message::new("web.item_not_found").arg("id", id),
            WebError::ProblemNotFound { id } => Message::new("web.problem_not_found").arg("id", id),
            WebError::Handling(e) if handling_status(e).is_server_error() => Message::new("web.internal"),
            WebError::Handling(e) => e.message(),
            WebError::Kpi(kpi::KpiError::Replay { .. }) => Message::new("web.internal"),
            WebError::Kpi(e) => e.message(),
            WebError::Store(StoreError::Backend(_)) | WebError::Internal(_) => Message::new("web.internal"),
            WebError::Store(e) => e.message(),
            WebError::Attachment(e) => e.message(),
            WebError::App(e) => e.message(),
        }
    }

    fn catalog(&self) -> &'static Catalog {
        match self {
            WebError::Store(StoreError::Backend(_)) => crate::catalog(),
            WebError::Handling(e) if handling_status(e).is_server_error() => crate::catalog(),
            WebError::Handling(e) => e.catalog(),
            WebError::Kpi(kpi::KpiError::Replay { .. }) => crate::catalog(),
            WebError::Kpi(e) => e.catalog(),
            WebError::Store(e) => e.catalog(),
            WebError::Attachment(e) => e.catalog(),
            WebError::App(e) => e.catalog(),
            _ => crate::catalog(),
        }
    }

    fn render(&self, lang: Lang) -> String {
        match self {
            // Their messages name states, actions and roles in the reader's language.
            WebError::Handling(e) if !handling_status(e).is_server_error() => e.render(lang),
            WebError::Kpi(e @ kpi::KpiError::BadPeriod { .. }) => e.render(lang),
            WebError::App(e) => e.render(lang),
            _ => self.catalog().render(&self.message(), lang),
        }
    }
}

impl From<store::problems::ProblemError> for WebError {
    fn from(e: store::problems::ProblemError) -> WebError {
        use store::problems::ProblemError as P;
        match e {
            P::NotFound { id } => WebError::ProblemNotFound { id: id.to_string() },
            P::VisitNotFound { id } => WebError::InvalidParam { param: "visit".into(), value: id },
            P::Handling(h) => WebError::Handling(h),
            P::Stale { .. } => WebError::PreconditionFailed,
            P::Attachment(a) => WebError::Attachment(a),
            P::Store(s) => WebError::Store(s),
        }
    }
}

/// The HTTP status of a refusal by the three lists' domain, by its kind in the app layer.
fn handling_status(e: &handling::HandlingError) -> StatusCode {
    status_of(app::error::handling_kind(e))
}

/// An `application/problem+json` document with both languages. Named `Problem` in the
/// OpenAPI document (its published schema name); in code a problem document, apart from the
/// enterprise's problem (`handling::Problem`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDocument {
    /// Always `about:blank`: the status and `code` say what happened.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Stable message key, e.g. `web.forbidden`.
    pub code: String,
    pub status: u16,
    /// 简短标题（中文）.
    pub title: String,
    pub title_en: String,
    /// 详细说明（中文）: what happened, where, how to fix it.
    pub detail: String,
    pub detail_en: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let WebError::Unauthenticated = self {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let WebError::RateLimited { retry_after } = self {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample of each variant: a new variant fails to compile here until it has one.
    /// Wrapped errors have one representative each (their own crates test them all).
    fn sample(d: WebErrorDiscriminants) -> WebError {
        use WebErrorDiscriminants as D;
        match d {
            D::Unauthenticated => WebError::Unauthenticated,
            D::BadCredentials => WebError::BadCredentials,
            D::Locked => {
                WebError::Locked { until: DateTime::parse_from_rfc3339("2024-01-02T10:00:00+08:00").unwrap() }
            }
            D::RateLimited => WebError::RateLimited { retry_after: 3 },
            D::Forbidden => WebError::Forbidden,
            D::NotFound => WebError::NotFound { path: "/x".into() },
            D::EnterpriseNotFound => WebError::EnterpriseNotFound { uscc: "x".into() },
            D::Csrf => WebError::Csrf,
            D::InvalidUscc => WebError::InvalidUscc { input: "x".into(), reason: "y".into() },
            D::InvalidParam => WebError::InvalidParam { param: "page".into(), value: "x".into() },
            D::InvalidBody => WebError::InvalidBody { detail: "x".into() },
            D::PasswordTooShort => WebError::PasswordTooShort { min: 8 },
            D::PasswordMismatch => WebError::PasswordMismatch,
            D::WrongCurrentPassword => WebError::WrongCurrentPassword,
            D::PreconditionFailed => WebError::PreconditionFailed,
            D::PolicyNotFound => WebError::PolicyNotFound { id: "x".into() },
            D::ItemNotFound => WebError::ItemNotFound { id: "x".into() },
            D::ProblemNotFound => WebError::ProblemNotFound { id: "7".into() },
            D::Handling => WebError::Handling(handling::HandlingError::ExtensionPending),
            D::Kpi => WebError::Kpi(kpi::KpiError::BadPeriod { input: "2022-13".into() }),
            D::PolicyRejected => WebError::PolicyRejected { count: 2 },
            D::InvalidTimeLimits => WebError::InvalidTimeLimits { reason: "x".into() },
            D::PreconditionRequired => WebError::PreconditionRequired,
            D::Store => WebError::Store(StoreError::UsernameTaken { username: "li".into() }),
            D::Attachment => {
                WebError::Attachment(store::attachments::AttachmentError::NotFound { problem: 1, id: 2 })
            }
            D::App => WebError::App(app::Error::UserInactive { username: "li".into() }),
            D::Internal => WebError::Internal("x".into()),
        }
    }

    #[test]
    fn every_error_renders_in_both_languages() {
        use strum::IntoEnumIterator;
        let mut samples: Vec<WebError> = WebErrorDiscriminants::iter().map(sample).collect();
        // Wrapped failures of the system, shown as the web's own internal error.
        samples.extend([
            WebError::Store(StoreError::Backend("x".into())),
            WebError::Handling(handling::HandlingError::BadLog { seq: 3, reason: "r".into() }),
            WebError::Kpi(kpi::KpiError::Replay {
                problem: "7".into(),
                source: handling::HandlingError::BadLog { seq: 2, reason: "r".into() },
            }),
        ]);
        i18n::assert_all_bilingual(&samples);
        for code in [400, 401, 403, 404, 409, 412, 413, 422, 428, 429, 500] {
            let key = format!("web.status.{code}");
            assert!(crate::catalog().contains(&key), "{key}");
        }
    }

    #[test]
    fn bad_values_found_by_the_use_cases_keep_the_api_code() {
        let e = WebError::from(app::Error::Invalid {
            field: "page".into(),
            value: "x".into(),
            reason: "y".into(),
        });
        assert_eq!((e.status(), e.code()), (StatusCode::BAD_REQUEST, "web.invalid_param"));
        let e = WebError::from(app::Error::Required { field: "enterprise".into(), what: "x".into() });
        assert_eq!((e.status(), e.code()), (StatusCode::BAD_REQUEST, "web.invalid_param"));
        assert!(e.problem().detail.contains("enterprise"), "{:?}", e.problem());
    }

    #[test]
    fn backend_failures_hide_their_detail() {
        let e = WebError::Store(StoreError::Backend("disk I/O error at /var/x".into()));
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("disk") && !p.detail_en.contains("disk"), "{p:?}");
    }

    #[test]
    fn store_user_errors_keep_their_message_and_status() {
        let e = WebError::Store(StoreError::UsernameTaken { username: "li".into() });
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert!(e.problem().detail.contains("li"));
    }
}
