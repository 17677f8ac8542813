//! The financing pages' forms beyond posting and responding: an institution's (or the
//! financing officers') product form, `/financing/products/new` and `/financing/products/{id}`
//! (saved by `POST /financing/products`; a refused product, e.g. an eligibility that does not
//! compile in the rule language, is shown again with the error in the reader's language and
//! what was typed kept). Only translation happens here: `app::financing` decides.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Principal;
use crate::error::WebError;
use crate::lang::ReqLang;
use crate::routes::auth::form;
use crate::state::AppState;
use crate::views::{self, Base};
use app::financing::{self as uc, ProductRequest};
use store::financing::ProductRecord;

/// The demand kinds and collateral a product form offers (value, label).
pub const KINDS: [(&str, &str); 4] = [
    ("loan", "贷款"),
    ("risk_compensation", "风险补偿贷款"),
    ("bridge_loan", "转贷过桥"),
    ("equity", "股权融资"),
];
pub const COLLATERAL: [(&str, &str); 5] = [
    ("property", "房产"),
    ("equipment", "设备"),
    ("receivables", "应收账款"),
    ("intellectual_property", "知识产权"),
    ("guarantor", "第三方担保"),
];

/// The product form as posted (check boxes are present only when ticked).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductForm {
    pub id: String,
    pub institution: String,
    pub name: String,
    pub kind_loan: Option<String>,
    pub kind_risk_compensation: Option<String>,
    pub kind_bridge_loan: Option<String>,
    pub kind_equity: Option<String>,
    pub amount_min: String,
    pub amount_max: String,
    pub term_min_months: String,
    pub term_max_months: String,
    pub rate_min: String,
    pub rate_max: String,
    pub collateral_property: Option<String>,
    pub collateral_equipment: Option<String>,
    pub collateral_receivables: Option<String>,
    pub collateral_intellectual_property: Option<String>,
    pub collateral_guarantor: Option<String>,
    pub eligibility: String,
    pub description: String,
    pub active: Option<String>,
    /// Empty for a new product.
    pub version: String,
}

impl ProductForm {
    fn kinds(&self) -> Vec<String> {
        let ticked =
            [&self.kind_loan, &self.kind_risk_compensation, &self.kind_bridge_loan, &self.kind_equity];
        KINDS.iter().zip(ticked).filter(|(_, t)| t.is_some()).map(|((k, _), _)| (*k).to_string()).collect()
    }

    fn collateral(&self) -> Vec<String> {
        let ticked = [
            &self.collateral_property,
            &self.collateral_equipment,
            &self.collateral_receivables,
            &self.collateral_intellectual_property,
            &self.collateral_guarantor,
        ];
        COLLATERAL
            .iter()
            .zip(ticked)
            .filter(|(_, t)| t.is_some())
            .map(|((c, _), _)| (*c).to_string())
            .collect()
    }

    /// Whether the kind (or collateral) check box is ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.kinds().iter().chain(self.collateral().iter()).any(|k| k == name)
    }

    fn of(r: &ProductRecord) -> ProductForm {
        let p = &r.product;
        let tick = |on: bool| on.then(|| "on".to_string());
        let has_kind = |k: &str| tick(p.kinds.iter().any(|x| x.as_str() == k));
        let has_c = |c: &str| tick(p.requires_collateral.iter().any(|x| x.as_str() == c));
        ProductForm {
            id: p.id.clone(),
            institution: p.institution.clone(),
            name: p.name.clone(),
            kind_loan: has_kind("loan"),
            kind_risk_compensation: has_kind("risk_compensation"),
            kind_bridge_loan: has_kind("bridge_loan"),
            kind_equity: has_kind("equity"),
            amount_min: p.amount_min.to_string(),
            amount_max: p.amount_max.to_string(),
            term_min_months: p.term_min_months.to_string(),
            term_max_months: p.term_max_months.to_string(),
            rate_min: p.rate_min.to_string(),
            rate_max: p.rate_max.to_string(),
            collateral_property: has_c("property"),
            collateral_equipment: has_c("equipment"),
            collateral_receivables: has_c("receivables"),
            collateral_intellectual_property: has_c("intellectual_property"),
            collateral_guarantor: has_c("guarantor"),
            eligibility: p.eligibility.clone(),
            description: r.description.clone(),
            active: tick(r.active),
            version: r.version.to_string(),
        }
    }

    fn months(field: &str, s: &str) -> Result<u32, app::Error> {
        s.trim().parse().map_err(|_| app::Error::Invalid {
            field: field.into(),
            value: s.into(),
            reason: "应为月数，如 12 / must be a number of months such as 12".into(),
        })
    }

    fn request(&self) -> Result<ProductRequest, app::Error> {
        let version = match self.version.trim() {
            "" => None,
            v => Some(v.parse().map_err(|_| app::Error::Stale)?),
        };
        Ok(ProductRequest {
            id: self.id.trim().to_string(),
            institution: Some(self.institution.trim().to_string()).filter(|s| !s.is_empty()),
            name: self.name.clone(),
            kinds: self.kinds(),
            amount_min: self.amount_min.clone(),
            amount_max: self.amount_max.clone(),
            term_min_months: Self::months("term_min_months", &self.term_min_months)?,
            term_max_months: Self::months("term_max_months", &self.term_max_months)?,
            rate_min: self.rate_min.clone(),
            rate_max: self.rate_max.clone(),
            requires_collateral: self.collateral(),
            eligibility: self.eligibility.clone(),
            description: self.description.clone(),
            active: Some(self.active.is_some()),
            version,
        })
    }
}

#[derive(askama::Template)]
#[template(path = "financing_product.html")]
pub struct ProductPage {
    pub b: Base,
    pub f: ProductForm,
    /// Editing an existing product (its id is fixed).
    pub editing: bool,
    /// An officer names the institution; an institution's user publishes as its own.
    pub names_institution: bool,
    pub error: Option<String>,
    pub kinds: [(&'static str, &'static str); 4],
    pub collateral: [(&'static str, &'static str); 5],
}

fn render(
    lang: i18n::Lang,
    p: &Principal,
    f: ProductForm,
    editing: bool,
    error: Option<String>,
) -> Result<Html<String>, WebError> {
    let title = if editing { "ui.financing.edit_product" } else { "ui.financing.new_product" };
    let b = Base::new(lang, Some(p), "/financing", title);
    let names_institution = p.role != store::Role::FinancialInstitution;
    views::render(&ProductPage {
        b,
        f,
        editing,
        names_institution,
        error,
        kinds: KINDS,
        collateral: COLLATERAL,
    })
}

/// `/financing/products/new`.
pub async fn page_new(ReqLang(lang): ReqLang, p: Principal) -> Result<Html<String>, WebError> {
    if !uc::may_publish(&p) {
        return Err(WebError::Forbidden);
    }
    let f = ProductForm {
        kind_loan: Some("on".into()),
        active: Some("on".into()),
        term_min_months: "6".into(),
        term_max_months: "36".into(),
        ..Default::default()
    };
    render(lang, &p, f, false, None)
}

/// `/financing/products/{id}`: the edit form of a product the reader may edit.
pub async fn page_edit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let r = uc::editable_product(&state, &p, &id).await?;
    render(lang, &p, ProductForm::of(&r), true, None)
}

/// `POST /financing/products`: saves, then back to the list; a refused product is shown again
/// with its error.
pub async fn page_save(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    p: Principal,
    f: Result<Form<ProductForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let editing = !f.version.trim().is_empty();
    let saved = match f.request() {
        Ok(req) => uc::save_product(&state, &p, &req).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(s) => Ok(Redirect::to(&format!("/financing#product-{}", s.product.product.id)).into_response()),
        Err(e) if !matches!(e.kind(), app::ErrorKind::Internal | app::ErrorKind::Forbidden) => {
            let error = Some(i18n::Localized::render(&e, lang));
            Ok(render(lang, &p, f, editing, error)?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}
