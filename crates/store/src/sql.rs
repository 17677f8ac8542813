//! SQL texts both backends run as they are.
//!
//! Placeholders are `$1, $2, …`. PostgreSQL reads them as positions; SQLite reads `$N` as a
//! *named* parameter and numbers named parameters by first appearance, so rusqlite's
//! positional binding is right only if each text's parameters first appear in the order
//! 1, 2, 3, …. Every text here keeps that order (a test checks it); a reused parameter
//! (`$1 … $1`) is fine. Dialect-specific texts (DDL, bulk writes) live in the backends.

use crate::model::EnterpriseFilter;

macro_rules! enterprise_columns {
    () => {
        "id, uscc, name, registered_in_zone, tax_registered_in_zone, industry_code, established_on, \
         taxpayer_type, tax_credit_rating, tags, assistance_target, created_at, updated_at"
    };
}

pub const ENTERPRISE_BY_USCC: &str =
    concat!("SELECT ", enterprise_columns!(), " FROM enterprises WHERE uscc = $1");
pub const ENTERPRISE_ID_BY_USCC: &str = "SELECT id FROM enterprises WHERE uscc = $1";
pub const COUNT_ENTERPRISES: &str = "SELECT COUNT(*) FROM enterprises";
pub const FACTS_OF: &str = "SELECT fact, year, value, source, as_of FROM enterprise_facts \
     WHERE enterprise_id = $1 ORDER BY fact, year";
pub const LINKS_OF: &str =
    "SELECT leader_username, department_code, cadre_username FROM three_links WHERE enterprise_id = $1";
/// An enterprise's id, its links and how many changes are recorded for it: what a request
/// needs to authorise and to reuse a cached answer, without the facts
/// ([`crate::EnterpriseHead`]). The count is over an index range of the enterprise's changes.
pub const ENTERPRISE_HEAD: &str = "SELECT e.id, l.leader_username, l.department_code, l.cadre_username, \
     (SELECT COUNT(*) FROM enterprise_changes c WHERE c.enterprise_id = e.id) \
     FROM enterprises e LEFT JOIN three_links l ON l.enterprise_id = e.id WHERE e.uscc = $1";
pub const CHANGES_OF: &str = "SELECT id, at, actor, field, old, new, batch_id FROM enterprise_changes \
     WHERE enterprise_id = $1 ORDER BY id";
pub const INSERT_CHANGE: &str = "INSERT INTO enterprise_changes (enterprise_id, at, actor, field, old, new, batch_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub const INSERT_ENTERPRISE: &str = "INSERT INTO enterprises (uscc, name, registered_in_zone, \
     tax_registered_in_zone, industry_code, established_on, taxpayer_type, tax_credit_rating, tags, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id";
pub const UPDATE_ENTERPRISE: &str = "UPDATE enterprises SET name = $1, registered_in_zone = $2, \
     tax_registered_in_zone = $3, industry_code = $4, established_on = $5, taxpayer_type = $6, \
     tax_credit_rating = $7, tags = $8, updated_at = $9 WHERE id = $10";
pub const TOUCH_ENTERPRISE: &str = "UPDATE enterprises SET updated_at = $1 WHERE id = $2";
pub const INSERT_FACT: &str = "INSERT INTO enterprise_facts (enterprise_id, fact, year, value, num, source, as_of) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub const UPSERT_FACT: &str = "INSERT INTO enterprise_facts (enterprise_id, fact, year, value, num, source, as_of) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (enterprise_id, fact, year) DO UPDATE SET \
     value = excluded.value, num = excluded.num, source = excluded.source, as_of = excluded.as_of";
pub const INSERT_BATCH: &str = "INSERT INTO import_batches (at, actor, file_name, format, rows, created, \
     updated, unchanged) VALUES ($1, $2, $3, $4, $5, 0, 0, 0) RETURNING id";
pub const FINISH_BATCH: &str =
    "UPDATE import_batches SET created = $1, updated = $2, unchanged = $3 WHERE id = $4";
pub const LIST_BATCHES: &str = "SELECT id, at, actor, file_name, format, rows, created, updated, unchanged \
     FROM import_batches ORDER BY id DESC LIMIT $1";

pub const DEPARTMENTS: &str = "SELECT code, name, en, note FROM departments ORDER BY code";
pub const COUNT_DEPARTMENTS: &str = "SELECT COUNT(*) FROM departments";
pub const DEPARTMENT_CODE: &str = "SELECT code FROM departments WHERE code = $1 OR name = $1";
pub const INSERT_DEPARTMENT: &str = "INSERT INTO departments (code, name, en, note) VALUES ($1, $2, $3, $4)";
pub const UPDATE_DEPARTMENT: &str = "UPDATE departments SET name = $1, en = $2, note = $3 WHERE code = $4";
pub const CATEGORIES: &str = "SELECT code, name, en, plan FROM categories ORDER BY position";
pub const CATEGORY_CODE: &str = "SELECT code FROM categories WHERE code = $1 OR name = $1";
pub const CATEGORY_DEPARTMENTS: &str =
    "SELECT category, department FROM category_departments ORDER BY category, position";
pub const DEPARTMENTS_OF_CATEGORY: &str =
    "SELECT department FROM category_departments WHERE category = $1 ORDER BY position";
pub const INSERT_CATEGORY: &str =
    "INSERT INTO categories (code, name, en, plan, position) VALUES ($1, $2, $3, $4, $5)";
pub const DELETE_CATEGORY_DEPARTMENTS: &str = "DELETE FROM category_departments WHERE category = $1";
pub const INSERT_CATEGORY_DEPARTMENT: &str =
    "INSERT INTO category_departments (category, department, position) VALUES ($1, $2, $3)";
pub const INSERT_REFERENCE_CHANGE: &str = "INSERT INTO reference_changes (at, actor, entity, key, field, old, new) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

macro_rules! user_columns {
    () => {
        "SELECT u.id, u.username, u.role, u.password_hash, e.uscc, u.department_code, u.display_name, \
         u.active, u.created_at, u.failed_logins, u.locked_until FROM users u \
         LEFT JOIN enterprises e ON e.id = u.enterprise_id"
    };
}
pub const INSERT_USER: &str = "INSERT INTO users (username, role, password_hash, enterprise_id, department_code, \
     display_name, active, created_at, failed_logins) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, 0) RETURNING id";
pub const USER_BY_USERNAME: &str = concat!(user_columns!(), " WHERE u.username = $1");
pub const LIST_USERS: &str = concat!(user_columns!(), " ORDER BY u.username");
pub const USER_ROLE: &str = "SELECT role FROM users WHERE username = $1";
pub const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $1 WHERE username = $2";
pub const SET_LOGIN_STATE: &str =
    "UPDATE users SET failed_logins = $1, locked_until = $2 WHERE username = $3";
pub const SET_USER_ACTIVE: &str = "UPDATE users SET active = $1 WHERE username = $2";

pub const UPSERT_LINKS: &str = "INSERT INTO three_links (enterprise_id, leader_username, department_code, \
     cadre_username, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (enterprise_id) DO UPDATE SET \
     leader_username = excluded.leader_username, department_code = excluded.department_code, \
     cadre_username = excluded.cadre_username, updated_at = excluded.updated_at";

pub const SNAPSHOT_ENTERPRISES: &str =
    concat!("SELECT ", enterprise_columns!(), " FROM enterprises WHERE id > $1 ORDER BY id LIMIT $2");
pub const SNAPSHOT_FACTS: &str = "SELECT enterprise_id, fact, year, value, source, as_of FROM enterprise_facts \
     WHERE enterprise_id >= $1 AND enterprise_id <= $2 ORDER BY enterprise_id, fact, year";

/// A parameter of a dynamically built query, bound by each backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// The queries of one enterprise list: the count, the page (its last two parameters are
/// LIMIT and OFFSET), and their parameters (the page's are `params` + limit + offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub count_sql: String,
    pub page_sql: String,
    pub params: Vec<Param>,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Builds the enterprise list query for a filter. LIKE is case-sensitive on PostgreSQL and
/// not for ASCII on SQLite, so the credit-code branch is matched upper-cased (codes are
/// upper-case) and names are matched as given.
pub fn enterprise_list(filter: &EnterpriseFilter) -> ListQuery {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let next = |params: &mut Vec<Param>, p: Param| {
        params.push(p);
        format!("${}", params.len())
    };
    if let Some(q) = filter.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let a = next(&mut params, Param::Text(format!("%{}%", like_escape(q))));
        let b = next(&mut params, Param::Text(format!("%{}%", like_escape(&q.to_uppercase()))));
        conds.push(format!("(name LIKE {a} ESCAPE '\\' OR uscc LIKE {b} ESCAPE '\\')"));
    }
    if let Some(t) = filter.assistance_target {
        let a = next(&mut params, Param::Bool(t));
        conds.push(format!("assistance_target = {a}"));
    }
    if let Some(tag) = filter.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let a = next(&mut params, Param::Text(format!("%;{};%", like_escape(tag))));
        conds.push(format!("(';' || tags || ';') LIKE {a} ESCAPE '\\'"));
    }
    if let Some(ind) = filter.industry.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let prefix =
            enterprise::IndustryCode::parse(ind).map(|c| c.to_string()).unwrap_or(ind.to_uppercase());
        let a = next(&mut params, Param::Text(format!("{}%", like_escape(&prefix))));
        conds.push(format!("industry_code LIKE {a} ESCAPE '\\'"));
    }
    let where_clause =
        if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    let n = params.len();
    ListQuery {
        count_sql: format!("SELECT COUNT(*) FROM enterprises{where_clause}"),
        page_sql: format!(
            "SELECT id, uscc, name, assistance_target, industry_code, tags FROM enterprises{where_clause} \
             ORDER BY id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ),
        params,
    }
}

/// The numbers of the `$N` placeholders of `sql` in order of first appearance.
pub fn placeholder_order(sql: &str) -> Vec<usize> {
    let b = sql.as_bytes();
    let mut out: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if let Ok(n) = sql[start..j].parse::<usize>()
                && !out.contains(&n)
            {
                out.push(n);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Every shared text, for the placeholder-order test.
pub const ALL: &[&str] = &[
    ENTERPRISE_BY_USCC,
    ENTERPRISE_ID_BY_USCC,
    COUNT_ENTERPRISES,
    FACTS_OF,
    LINKS_OF,
    ENTERPRISE_HEAD,
    CHANGES_OF,
    INSERT_CHANGE,
    INSERT_ENTERPRISE,
    UPDATE_ENTERPRISE,
    TOUCH_ENTERPRISE,
    INSERT_FACT,
    UPSERT_FACT,
    INSERT_BATCH,
    FINISH_BATCH,
    LIST_BATCHES,
    DEPARTMENTS,
    COUNT_DEPARTMENTS,
    DEPARTMENT_CODE,
    INSERT_DEPARTMENT,
    UPDATE_DEPARTMENT,
    CATEGORIES,
    CATEGORY_CODE,
    CATEGORY_DEPARTMENTS,
    DEPARTMENTS_OF_CATEGORY,
    INSERT_CATEGORY,
    DELETE_CATEGORY_DEPARTMENTS,
    INSERT_CATEGORY_DEPARTMENT,
    INSERT_REFERENCE_CHANGE,
    INSERT_USER,
    USER_BY_USERNAME,
    LIST_USERS,
    USER_ROLE,
    SET_PASSWORD_HASH,
    SET_LOGIN_STATE,
    SET_USER_ACTIVE,
    UPSERT_LINKS,
    SNAPSHOT_ENTERPRISES,
    SNAPSHOT_FACTS,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn ascending(sql: &str) -> bool {
        placeholder_order(sql).iter().enumerate().all(|(i, n)| *n == i + 1)
    }

    #[test]
    fn every_shared_text_numbers_its_parameters_in_order() {
        for sql in ALL {
            assert!(ascending(sql), "{sql}");
        }
        assert_eq!(placeholder_order("a = $2 and b = $1 and c = $2"), [2, 1]);
    }

    #[test]
    fn list_queries_number_their_parameters_in_order() {
        let f = EnterpriseFilter {
            query: Some("50%_科技".into()),
            assistance_target: Some(true),
            tag: Some("专精特新".into()),
            industry: Some("35".into()),
        };
        let q = enterprise_list(&f);
        assert!(ascending(&q.count_sql) && ascending(&q.page_sql), "{}", q.page_sql);
        assert_eq!(q.params.len(), 5);
        assert_eq!(q.params[0], Param::Text("%50\\%\\_科技%".into()));
        assert_eq!(q.params[4], Param::Text("C35%".into()));
        assert_eq!(placeholder_order(&q.page_sql), [1, 2, 3, 4, 5, 6, 7]);
        let empty = enterprise_list(&EnterpriseFilter::default());
        assert_eq!(empty.count_sql, "SELECT COUNT(*) FROM enterprises");
        assert!(empty.params.is_empty());
    }
}
