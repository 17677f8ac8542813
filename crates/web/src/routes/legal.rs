//! Legal consultations on the web (三.14 应急法律服务, issue 15, `app::legal`): the page `/legal`
//! (an enterprise: its consultations with their answers and the form to ask online; the legal
//! office: the queue, open ones first with the time left and the light, filters, the hotline
//! intake form and the Excel export; leaders, supervisors and admins: the list and the export;
//! another department: a note saying who handles them), `/legal/{id}` (one consultation with
//! the forms its reader may use now: assign, answer, confirm, follow up, withdraw, turn into
//! an FAQ; and the FAQ's link), the workbook `/legal/export.xlsx`, and the JSON API under
//! `/api/v1/legal`. Only translation happens here.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::state::AppState;
use crate::views::{self, Base};
use app::legal::{
    self as uc, AnswerRequest, AskRequest, AssignRequest, ConsultationView, FaqRequest, ListQuery,
    ReplyRequest,
};
use i18n::dates::time_table;
use services::legal::Action;

// ---------------------------------------------------------------------------------------
// API

#[utoipa::path(get, path = "/api/v1/legal/consultations", tag = "legal",
    params(ListQuery),
    responses(
        (status = 200, description = "app::legal::ConsultationView[]: an enterprise its own; the legal office, leaders, supervisors and admins all", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    Ok(Json(uc::list(&state, &p, &q).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/legal/consultations", tag = "legal", request_body = AskRequest,
    responses(
        (status = 200, description = "app::legal::ConsultationDetail: the consultation asked or taken down", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_ask(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<AskRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::ask(&state, &p, &b).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/legal/consultations/{id}", tag = "legal",
    params(("id" = i64, Path, description = "the consultation")),
    responses(
        (status = 200, description = "app::legal::ConsultationDetail with the actions the reader may take", body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_show(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    Ok(Json(uc::show(&state, &p, id).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/legal/consultations/{id}/assign", tag = "legal", request_body = AssignRequest,
    params(("id" = i64, Path, description = "the consultation")),
    responses(
        (status = 200, description = "app::legal::ConsultationDetail, given to the lawyer", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_assign(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<AssignRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::assign(&state, &p, id, &b).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/legal/consultations/{id}/answer", tag = "legal", request_body = AnswerRequest,
    params(("id" = i64, Path, description = "the consultation")),
    responses(
        (status = 200, description = "app::legal::ConsultationDetail, answered", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_answer(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<AnswerRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::answer(&state, &p, id, &b).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/legal/consultations/{id}/reply", tag = "legal", request_body = ReplyRequest,
    params(("id" = i64, Path, description = "the consultation")),
    responses(
        (status = 200, description = "app::legal::ConsultationDetail after the enterprise confirmed, followed up or withdrew", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_reply(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<ReplyRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::reply(&state, &p, id, &b).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/legal/consultations/{id}/faq", tag = "legal", request_body = FaqRequest,
    params(("id" = i64, Path, description = "the consultation")),
    responses(
        (status = 200, description = "store::content::ContentItem: the FAQ draft, linked from the consultation; it awaits the content review", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 412, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_faq(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<i64>,
    body: Result<Json<FaqRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let b = json(body)?;
    Ok(Json(uc::make_faq(&state, &p, id, &b).await?).into_response())
}

#[utoipa::path(get, path = "/legal/export.xlsx", tag = "legal",
    params(ListQuery),
    responses(
        (status = 200, description = "the consultations workbook (法律咨询台账)", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let bytes = uc::workbook(&state, &p, &q).await?;
    Ok(crate::routes::reports::xlsx(bytes, "legal.xlsx"))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One consultation as the list and the page show it.
pub struct Row {
    pub id: i64,
    pub enterprise: String,
    pub channel: &'static str,
    pub topic: &'static str,
    pub question: String,
    pub asked_at: String,
    pub due_at: String,
    pub state: &'static str,
    /// `none`, `yellow`, `red`: the class of the light.
    pub light: &'static str,
    pub light_zh: &'static str,
    pub time_left: String,
    pub lawyer: String,
    pub answered: bool,
}

fn row(v: &ConsultationView) -> Row {
    let r = &v.record;
    Row {
        id: r.id,
        enterprise: r.enterprise_name.clone(),
        channel: v.channel_zh,
        topic: v.topic_zh,
        question: r.question.clone(),
        asked_at: time_table(r.asked_at),
        due_at: time_table(r.due_at),
        state: v.state_zh,
        light: v.warning.as_str(),
        light_zh: match v.warning {
            handling::Warning::Red => "红灯",
            handling::Warning::Yellow => "黄灯",
            handling::Warning::None => "",
        },
        time_left: v.time_left_zh.clone(),
        lawyer: v.lawyer_name.clone(),
        answered: r.answered_at.is_some(),
    }
}

#[derive(askama::Template)]
#[template(path = "legal.html")]
pub struct LegalPage {
    pub b: Base,
    pub rows: Vec<Row>,
    /// An enterprise: its own list and the ask form.
    pub enterprise: bool,
    /// The legal office or an admin: the intake form, filters and the export.
    pub intake: bool,
    /// Reads every consultation (filters, export).
    pub reads_all: bool,
    /// The reader may take down an answer at once (a lawyer).
    pub lawyer: bool,
    /// A reader who sees none (another department): the note only.
    pub outside: bool,
    pub state: String,
    pub topic: String,
    pub mine: bool,
    pub overdue: bool,
    /// The answer limit as the zone set it (`2 个工作日`).
    pub limit: String,
}

const TOPICS: [(&str, &str); 5] = [
    ("contract", "合同履约"),
    ("labour", "招工用工"),
    ("trade", "市场交易"),
    ("ip", "知识产权"),
    ("other", "其他"),
];

impl LegalPage {
    pub fn topics(&self) -> &'static [(&'static str, &'static str)] {
        &TOPICS
    }
}

/// `/legal`.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let b = Base::new(lang, Some(&p), "/legal", "ui.legal.title");
    let (rows, outside) = match uc::list(&state, &p, &q).await {
        Ok(list) => (list.iter().map(row).collect(), false),
        Err(app::Error::Forbidden) => (Vec::new(), true),
        Err(e) => return Err(e.into()),
    };
    let office = uc::in_office(&state, &p).await?;
    let admin = p.role == store::Role::Admin;
    views::render(&LegalPage {
        b,
        rows,
        enterprise: p.role == store::Role::Enterprise,
        intake: office || admin,
        reads_all: !outside && p.role != store::Role::Enterprise,
        lawyer: uc::is_lawyer(&state, &p).await?,
        outside,
        state: q.state.unwrap_or_default(),
        topic: q.topic.unwrap_or_default(),
        mine: q.mine,
        overdue: q.overdue,
        limit: state.live.settings().legal.answer_limit.clone(),
    })
}

/// The ask and intake form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub channel: String,
    pub topic: String,
    pub question: String,
    #[serde(default)]
    pub answer: String,
}

/// `POST /legal`: asked online, or taken down at the hotline.
pub async fn page_ask(
    State(state): State<AppState>,
    p: Principal,
    f: Result<Form<AskForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let req = AskRequest {
        uscc: f.uscc,
        channel: f.channel,
        topic: f.topic,
        question: f.question,
        answer: f.answer,
    };
    let d = uc::ask(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/legal/{}", d.consultation.record.id)).into_response())
}

/// A lawyer to choose in the assignment form.
pub struct LawyerOption {
    pub username: String,
    pub name: String,
}

#[derive(askama::Template)]
#[template(path = "legal_consultation.html")]
pub struct ConsultationPage {
    pub b: Base,
    pub c: Row,
    pub answer: String,
    pub answered_at: String,
    pub in_time: &'static str,
    pub follow_up: String,
    pub follow_up_at: String,
    pub follow_up_answer: String,
    pub closed: String,
    pub note: String,
    pub confirm_by: String,
    pub faq: Option<(i64, String, &'static str)>,
    pub may_assign: bool,
    pub may_answer: bool,
    pub may_confirm: bool,
    pub may_follow_up: bool,
    pub may_withdraw: bool,
    pub may_make_faq: bool,
    pub lawyers: Vec<LawyerOption>,
    pub faq_title: String,
    pub faq_body: String,
    pub version: i64,
}

/// `/legal/{id}`.
pub async fn page_consultation(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let d = uc::show(&state, &p, id).await?;
    let r = &d.consultation.record;
    let b = Base::new(lang, Some(&p), "/legal", "ui.legal.title");
    let has = |a: Action| d.actions.contains(&a);
    views::render(&ConsultationPage {
        b,
        c: row(&d.consultation),
        answer: r.answer.clone(),
        answered_at: r.answered_at.map(time_table).unwrap_or_default(),
        in_time: match r.answered_in_time {
            Some(true) => "按时答复",
            Some(false) => "逾期答复",
            None => "",
        },
        follow_up: r.follow_up.clone(),
        follow_up_at: r.follow_up_at.map(time_table).unwrap_or_default(),
        follow_up_answer: r.follow_up_answer.clone(),
        closed: match (r.closed_at, r.closed_by.as_deref()) {
            (Some(t), Some("system")) => format!("{}（逾期未确认，自动办结）", time_table(t)),
            (Some(t), _) => time_table(t),
            _ => String::new(),
        },
        note: r.note.clone(),
        confirm_by: r
            .confirm_by
            .filter(|_| r.state == store::legal::State::Answered)
            .map(i18n::dates::date_table)
            .unwrap_or_default(),
        faq: d.faq.as_ref().map(|f| (f.id, f.title.clone(), f.state_zh)),
        may_assign: has(Action::Assign),
        may_answer: has(Action::Answer),
        may_confirm: has(Action::Confirm),
        may_follow_up: has(Action::FollowUp),
        may_withdraw: has(Action::Withdraw),
        may_make_faq: d.may_make_faq,
        lawyers: d
            .lawyers
            .iter()
            .map(|l| LawyerOption { username: l.username.clone(), name: l.display_name.clone() })
            .collect(),
        faq_title: d.faq_title.clone(),
        faq_body: d.faq_body.clone(),
        version: r.version,
    })
}

/// The forms of one consultation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    pub lawyer: String,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub version: Option<i64>,
}

/// `POST /legal/{id}/{assign|answer|reply|faq}`.
pub async fn page_act(
    State(state): State<AppState>,
    p: Principal,
    Path((id, action)): Path<(i64, String)>,
    f: Result<Form<ActForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    match action.as_str() {
        "assign" => {
            uc::assign(&state, &p, id, &AssignRequest { lawyer: f.lawyer, version: f.version }).await?;
        }
        "answer" => {
            uc::answer(&state, &p, id, &AnswerRequest { answer: f.answer, version: f.version }).await?;
        }
        "reply" => {
            let req = ReplyRequest { action: f.action, text: f.text, version: f.version };
            uc::reply(&state, &p, id, &req).await?;
        }
        "faq" => {
            let item = uc::make_faq(
                &state,
                &p,
                id,
                &FaqRequest { title: f.title, body: f.body, version: f.version },
            )
            .await?;
            return Ok(Redirect::to(&format!("/content/{}", item.id)).into_response());
        }
        _ => return Err(WebError::from(app::Error::ConsultationNotFound { id })),
    }
    Ok(Redirect::to(&format!("/legal/{id}")).into_response())
}
