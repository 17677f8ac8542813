//! Logistics watch on the web (issue 15, 三.12 物流保通保畅, `app::logistics`): the page
//! `/logistics` (the service's officers, the named 物流保通保畅 officers, leaders and the
//! cooperating departments: the open obstruction reports with the hours left and their light,
//! key enterprises by main mode, key enterprises without a profile, the export, and for those
//! who run the service the profile form and the import; an enterprise: its own profile and the
//! way to report an obstruction), `POST /logistics/profiles` (the form), `POST
//! /logistics/import` (a CSV or XLSX upload, all or nothing, dry run on request), the
//! workbook `/logistics/export.xlsx`, and the JSON API under `/api/v1/logistics`. Only
//! translation happens here.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;

use crate::auth::Principal;
use crate::error::{ProblemDocument, WebError};
use crate::lang::ReqLang;
use crate::routes::auth::{form, json};
use crate::routes::service_files::{ImportIn, upload};
use crate::state::AppState;
use crate::views::{self, Base};
use app::logistics::{self as uc, ListQuery, ProfileRequest};

fn query_of(raw: &HashMap<String, String>) -> ListQuery {
    let get = |k: &str| raw.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    ListQuery {
        mode: get("mode"),
        street: get("street"),
        key_only: get("key_only").map(|v| matches!(v.as_str(), "1" | "true" | "on")),
    }
}

// ---------------------------------------------------------------------------------------
// API

#[utoipa::path(get, path = "/api/v1/logistics/profiles", tag = "logistics",
    params(("mode" = Option<String>, Query, description = "main mode: road, rail, water, air, express (or 公路 …)"),
           ("street" = Option<String>, Query, description = "the enterprises of one street (街道)"),
           ("key_only" = Option<bool>, Query, description = "key enterprises (重点企业) only")),
    responses(
        (status = 200, description = "app::logistics::ProfileView[] by enterprise name", body = Object),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_profiles(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    Ok(Json(uc::list(&state, &p, &query_of(&raw)).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/logistics/profiles", tag = "logistics", request_body = ProfileRequest,
    responses(
        (status = 200, description = "app::logistics::ProfileView: the profile as recorded", body = Object),
        (status = 400, description = "a field is wrong (named in the problem document)", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "no such enterprise", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_save_profile(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<ProfileRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = json(body)?;
    Ok(Json(uc::save_profile(&state, &p, &req).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/logistics/profiles/{uscc}", tag = "logistics",
    params(("uscc" = String, Path, description = "the enterprise's unified social credit code")),
    responses(
        (status = 200, description = "app::logistics::ProfileView, or null when none is recorded", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_profile(
    State(state): State<AppState>,
    p: Principal,
    Path(uscc): Path<String>,
) -> Result<Response, WebError> {
    Ok(Json(uc::profile(&state, &p, &uscc).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/logistics/without-profile", tag = "logistics",
    params(("street" = Option<String>, Query, description = "one street (街道)")),
    responses(
        (status = 200, description = "app::logistics::Firm[]: key enterprises (重点企业) without a profile", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_without_profile(
    State(state): State<AppState>,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    Ok(Json(uc::without_profile(&state, &p, query_of(&raw).street.as_deref()).await?).into_response())
}

#[utoipa::path(get, path = "/api/v1/logistics/reports", tag = "logistics",
    responses(
        (status = 200, description = "app::logistics::ReportView[]: open obstruction reports (物流受阻), the nearest deadline first, with the minutes left and the light", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_reports(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    Ok(Json(uc::open_reports(&state, &p).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/logistics/import", tag = "logistics", request_body(content = ImportIn, description = "CSV columns: 统一社会信用代码/uscc (always), 主要物流方式/main_mode (for a new profile), 其他物流方式/other_modes, 主要线路/routes, 物流联络员/watcher (a column left out, or an empty cell, keeps what is stored)"),
    responses(
        (status = 200, description = "app::logistics::ImportReport", body = Object),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "every row's problem; nothing imported", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn api_import(
    State(state): State<AppState>,
    p: Principal,
    body: Result<Json<ImportIn>, JsonRejection>,
) -> Result<Response, WebError> {
    let req = json(body)?.into();
    Ok(Json(uc::import(&state, &p, &req).await?).into_response())
}

#[utoipa::path(get, path = "/logistics/export.xlsx", tag = "logistics",
    responses(
        (status = 200, description = "the workbook (物流保通保畅台账): profiles and this month's obstruction reports", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn export(State(state): State<AppState>, p: Principal) -> Result<Response, WebError> {
    let bytes = uc::workbook(&state, &p).await?;
    Ok(crate::routes::reports::xlsx(bytes, "logistics.xlsx"))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One open report as the page shows it.
pub struct ReportRow {
    pub id: i64,
    pub enterprise: String,
    pub title: String,
    pub urgent: bool,
    pub state: String,
    pub received: String,
    /// 受理期限 or 答复期限.
    pub clock: String,
    pub due: String,
    pub left: String,
    pub light: &'static str,
}

/// One profile as the page shows it.
pub struct ProfileRow {
    pub uscc: String,
    pub enterprise: String,
    pub key: bool,
    pub street: String,
    pub main_mode: &'static str,
    pub main_code: &'static str,
    pub other_modes: String,
    pub other_codes: String,
    pub routes: String,
    pub watcher: String,
    pub watcher_name: String,
    pub recorded: String,
}

impl ProfileRow {
    /// Whether `code` is among the other modes (the form's checkboxes).
    pub fn has_other(&self, code: &str) -> bool {
        self.other_codes.split(',').any(|c| c == code)
    }
}

fn profile_row(v: &uc::ProfileView, zh: bool) -> ProfileRow {
    let l = &v.record.logistics;
    ProfileRow {
        uscc: v.record.uscc.clone(),
        enterprise: v.record.enterprise_name.clone(),
        key: v.key,
        street: v.street.clone().unwrap_or_default(),
        main_mode: if zh { v.main_mode_zh } else { l.main_mode.as_str() },
        main_code: l.main_mode.as_str(),
        other_modes: if zh {
            v.other_modes_zh.clone()
        } else {
            l.other_modes.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
        },
        other_codes: l.other_modes.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(","),
        routes: l.routes.clone(),
        watcher: l.watcher.clone(),
        watcher_name: v.watcher_name.clone(),
        recorded: i18n::dates::time_table(v.record.recorded_at),
    }
}

fn left_text(minutes: i64, zh: bool) -> String {
    if zh {
        return uc::minutes_zh(minutes);
    }
    let m = minutes.abs();
    let text = if m >= 60 { format!("{} h {} min", m / 60, m % 60) } else { format!("{m} min") };
    if minutes < 0 { format!("{text} overdue") } else { format!("{text} left") }
}

/// A mode's count on the page.
pub struct ModeRow {
    pub code: &'static str,
    pub label: String,
    pub count: u64,
}

#[derive(askama::Template)]
#[template(path = "logistics.html")]
pub struct LogisticsPage {
    pub b: Base,
    /// An enterprise user's own view.
    pub enterprise: bool,
    pub own: Option<ProfileRow>,
    pub reports: Vec<ReportRow>,
    pub modes: Vec<ModeRow>,
    pub key_enterprises: u64,
    pub key_with_profile: u64,
    pub without: Vec<(String, String, String)>,
    pub profiles: Vec<ProfileRow>,
    pub officers: String,
    pub source: String,
    pub may_edit: bool,
    pub mode: String,
    pub street: String,
    pub key_only: bool,
    /// The profile the form edits (from `?edit=`), if any.
    pub edit: Option<ProfileRow>,
    pub edit_uscc: String,
    /// The last save's or import's outcome (from the redirect).
    pub notice: String,
    /// The modes the form offers: code, Chinese, English.
    pub all_modes: [(&'static str, &'static str, &'static str); 5],
    /// The time limits reports run under now, in words.
    pub limits: String,
}

const MODES: [(&str, &str, &str); 5] = [
    ("road", "公路", "Road"),
    ("rail", "铁路", "Rail"),
    ("water", "水运", "Water"),
    ("air", "航空", "Air"),
    ("express", "快递", "Express"),
];

/// `/logistics`.
pub async fn page(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Html<String>, WebError> {
    let zh = lang == i18n::Lang::Zh;
    let b = Base::new(lang, Some(&p), "/logistics", "ui.logistics.title");
    let get = |k: &str| raw.get(k).map(String::as_str).unwrap_or("");
    if p.role == store::Role::Enterprise {
        let own = match &p.enterprise {
            Some(e) => uc::profile(&state, &p, &e.to_string()).await?,
            None => return Err(app::Error::Forbidden.into()),
        };
        return views::render(&LogisticsPage {
            b,
            enterprise: true,
            own: own.as_ref().map(|v| profile_row(v, zh)),
            reports: Vec::new(),
            modes: Vec::new(),
            key_enterprises: 0,
            key_with_profile: 0,
            without: Vec::new(),
            profiles: Vec::new(),
            officers: String::new(),
            source: String::new(),
            may_edit: false,
            mode: String::new(),
            street: String::new(),
            key_only: false,
            edit: None,
            edit_uscc: String::new(),
            notice: String::new(),
            all_modes: MODES,
            limits: uc::limits_text(&state, lang),
        });
    }
    let q = query_of(&raw);
    let o = uc::overview(&state, &p, &q).await?;
    let reports = o
        .open_reports
        .iter()
        .map(|r| ReportRow {
            id: r.id,
            enterprise: r.enterprise_name.clone(),
            title: r.title.clone(),
            urgent: r.urgent,
            state: if zh { r.state_zh.clone() } else { r.state.clone() },
            received: i18n::dates::time_table(r.received_at),
            clock: match (r.clock, zh) {
                ("accept", true) => "受理期限".into(),
                ("accept", false) => "accept by".into(),
                (_, true) => "答复期限".into(),
                (_, false) => "answer by".into(),
            },
            due: i18n::dates::time_table(r.due),
            left: match (r.paused, zh) {
                (true, true) => format!("计时暂停（{}）", left_text(r.minutes_left, zh)),
                (true, false) => format!("paused ({})", left_text(r.minutes_left, zh)),
                (false, _) => left_text(r.minutes_left, zh),
            },
            light: r.light,
        })
        .collect();
    let modes = o
        .by_mode
        .iter()
        .map(|m| ModeRow {
            code: m.mode.as_str(),
            label: if zh { m.mode_zh.to_string() } else { m.mode.as_str().to_string() },
            count: m.key_enterprises,
        })
        .collect();
    let profiles: Vec<ProfileRow> = o.profiles.iter().map(|v| profile_row(v, zh)).collect();
    let edit_uscc = get("edit").trim().to_string();
    let edit = if edit_uscc.is_empty() || !o.may_edit {
        None
    } else {
        uc::profile(&state, &p, &edit_uscc).await?.map(|v| profile_row(&v, zh))
    };
    let notice = if !get("saved").is_empty() {
        if zh {
            format!("已保存 {} 的物流档案", get("saved"))
        } else {
            format!("Saved the profile of {}", get("saved"))
        }
    } else if raw.contains_key("imported") {
        let dry = get("dry") == "1";
        if zh {
            format!(
                "{}：新建 {} 家，更新 {} 家，未变 {} 家",
                if dry { "预检通过（未写入）" } else { "已导入" },
                get("imported"),
                get("updated"),
                get("unchanged")
            )
        } else {
            format!(
                "{}: {} new, {} updated, {} unchanged",
                if dry { "Dry run passed (nothing written)" } else { "Imported" },
                get("imported"),
                get("updated"),
                get("unchanged")
            )
        }
    } else {
        String::new()
    };
    views::render(&LogisticsPage {
        b,
        enterprise: false,
        own: None,
        reports,
        modes,
        key_enterprises: o.key_enterprises,
        key_with_profile: o.key_with_profile,
        without: o
            .without_profile
            .iter()
            .map(|f| (f.uscc.clone(), f.name.clone(), f.street.clone().unwrap_or_default()))
            .collect(),
        profiles,
        officers: o.officers.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>().join("、"),
        source: app::settings::source_in(&o.source, lang).to_string(),
        may_edit: o.may_edit,
        mode: q.mode.unwrap_or_default(),
        street: q.street.unwrap_or_default(),
        key_only: q.key_only == Some(true),
        edit,
        edit_uscc,
        notice,
        all_modes: MODES,
        limits: uc::limits_text(&state, lang),
    })
}

/// `POST /logistics/profiles`: the profile form, then back to the page.
pub async fn page_save_profile(
    State(state): State<AppState>,
    p: Principal,
    f: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let pairs = form(f)?;
    let mut req = ProfileRequest::default();
    let mut others = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "uscc" => req.uscc = v,
            "main_mode" => req.main_mode = v,
            "other_modes" => others.push(v),
            "routes" => req.routes = v,
            "watcher" => req.watcher = v,
            _ => {}
        }
    }
    req.other_modes = others.join(",");
    let saved = uc::save_profile(&state, &p, &req).await?;
    Ok(Redirect::to(&format!("/logistics?saved={}#profiles", saved.record.uscc)).into_response())
}

/// `POST /logistics/import`: a profiles file uploaded (field `file`; `dry_run` = 1 to check
/// only), all or nothing, then back to the page with the outcome.
pub async fn page_import(
    State(state): State<AppState>,
    p: Principal,
    mp: Multipart,
) -> Result<Response, WebError> {
    let req = upload(mp, "物流档案文件（CSV 或 XLSX） / the profiles file (CSV or XLSX)").await?;
    let r = uc::import(&state, &p, &req).await?;
    Ok(Redirect::to(&format!(
        "/logistics?imported={}&updated={}&unchanged={}&dry={}#import",
        r.inserted,
        r.updated,
        r.unchanged,
        u8::from(r.dry_run)
    ))
    .into_response())
}
