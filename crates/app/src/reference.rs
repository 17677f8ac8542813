//! Reference data (基础数据): departments, the routing table (which departments lead and
//! cooperate on each problem category) and the problem categories themselves. Every signed-in
//! user reads them; administrators change a category's departments and add categories to a
//! running zone. A new category is routed by the routing table and can be used at once by the
//! problem form, the API and the CLI (they read the table per request); its answer limit is
//! the time limits' `default` until an administrator gives it its own.

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};
use enterprise::{Category, Department, Routing};

/// The departments, by code.
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn departments(app: &App, who: &Principal) -> Result<Vec<Department>> {
    authz::require(who, Action::Read, Resource::Routing)?;
    Ok(app.store.departments().await?)
}

/// The problem categories in their order, each with its departments (lead first).
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn categories(app: &App, who: &Principal) -> Result<Vec<Category>> {
    authz::require(who, Action::Read, Resource::Routing)?;
    Ok(app.store.categories_with_routing().await?)
}

/// The whole routing table (departments and categories) as stored now.
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn routing(app: &App, who: &Principal) -> Result<Routing> {
    authz::require(who, Action::Read, Resource::Routing)?;
    routing_table(app.store.as_ref()).await
}

/// The routing table as `store` holds it, without a permission check: for the seeding that
/// writes straight through a store it has just opened (`huiqi demo`).
#[tracing::instrument(skip_all)]
pub async fn routing_table(store: &dyn store::Store) -> Result<Routing> {
    Ok(Routing {
        departments: store.departments().await?,
        categories: store.categories_with_routing().await?,
    })
}

/// One category by code or Chinese name.
#[tracing::instrument(skip_all, fields(user = %who.username))]
pub async fn category(app: &App, who: &Principal, code_or_name: &str) -> Result<Category> {
    let k = code_or_name.trim();
    categories(app, who)
        .await?
        .into_iter()
        .find(|c| c.code == k || c.name == k)
        .ok_or_else(|| store::StoreError::CategoryNotFound { code: code_or_name.to_string() }.into())
}

/// A list of departments as typed on a form or a command line: codes or Chinese names
/// separated by commas (`,` `，` `、`) or spaces, lead first.
pub fn department_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Replaces a category's departments (admin): codes or Chinese names, lead first. Recorded.
#[tracing::instrument(skip(app, who, departments), fields(actor = %who.username))]
pub async fn set_routing(
    app: &App,
    who: &Principal,
    category: &str,
    departments: &[String],
) -> Result<Category> {
    authz::require(who, Action::Write, Resource::Routing)?;
    let current = self::category(app, who, category).await?;
    store::check_routing(&current.code, departments)?;
    Ok(app.store.set_category_departments(&current.code, departments, &who.stamp(app.now())).await?)
}

/// A category to add, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewCategory {
    /// Stable code: lower-case ASCII letters, digits and `_`, starting with a letter.
    pub code: String,
    /// Chinese name, shown on pages.
    pub name: String,
    /// English name (default: the code).
    #[serde(default)]
    pub en: Option<String>,
    /// The plan's line it belongs to, if any.
    #[serde(default)]
    pub plan: Option<String>,
    /// Department codes or Chinese names, lead first.
    pub departments: Vec<String>,
}

/// Limits of a category's fields, in characters.
pub const CODE_CHARS: usize = 40;
pub const NAME_CHARS: usize = 20;
pub const EN_CHARS: usize = 60;
pub const PLAN_CHARS: usize = 200;

fn check_code(code: &str) -> Result<()> {
    let ok = code.len() <= CODE_CHARS
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(Error::Invalid {
            field: "code".into(),
            value: code.to_string(),
            reason: format!(
                "代码须以小写英文字母开头，只含小写字母、数字和下划线，至多 {CODE_CHARS} 个字符，如 data_compliance / \
                 a code starts with a lower-case letter and has only lower-case letters, digits and _, at most \
                 {CODE_CHARS} characters, e.g. data_compliance"
            ),
        });
    }
    Ok(())
}

fn check_text(field: &str, text: &str, limit: usize, required: bool) -> Result<()> {
    if required && text.is_empty() {
        return Err(Error::Invalid {
            field: field.into(),
            value: String::new(),
            reason: "不能为空 / may not be empty".into(),
        });
    }
    if text.chars().any(char::is_control) {
        return Err(Error::Invalid {
            field: field.into(),
            value: text.escape_debug().to_string(),
            reason: "不能含控制字符 / may not contain control characters".into(),
        });
    }
    Error::check_length(field, text, limit)
}

/// Adds a problem category with its routing (admin). Usable at once for new problems.
#[tracing::instrument(skip(app, who, req), fields(actor = %who.username, category = %req.code.trim()))]
pub async fn add_category(app: &App, who: &Principal, req: NewCategory) -> Result<Category> {
    authz::require(who, Action::Write, Resource::Routing)?;
    let code = req.code.trim().to_string();
    let name = req.name.trim().to_string();
    check_code(&code)?;
    check_text("name", &name, NAME_CHARS, true)?;
    let en = req.en.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(&code).to_string();
    check_text("en", &en, EN_CHARS, false)?;
    let plan = req.plan.as_deref().map(str::trim).unwrap_or_default().to_string();
    check_text("plan", &plan, PLAN_CHARS, false)?;
    let departments: Vec<String> = req.departments.iter().flat_map(|d| department_list(d)).collect();
    store::check_routing(&code, &departments)?;
    let category = Category { code, name, en, plan, departments };
    Ok(app.store.add_category(&category, &who.stamp(app.now())).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_lists_split_on_every_kind_of_comma_and_space() {
        assert_eq!(department_list(" tax_bureau，税务局、a b,c "), ["tax_bureau", "税务局", "a", "b", "c"]);
        assert!(department_list(" , ").is_empty());
    }

    #[test]
    fn category_codes_are_plain_snake_case() {
        assert!(check_code("data_compliance2").is_ok());
        for bad in ["", "Data", "2x", "数据", "a-b", &"a".repeat(41)] {
            assert!(check_code(bad).is_err(), "{bad}");
        }
    }
}
