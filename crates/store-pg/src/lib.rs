//! The PostgreSQL store (tokio-postgres over a deadpool pool).
//!
//! Same tables, columns and meaning as the SQLite store, in PostgreSQL's types (BOOLEAN,
//! DATE, TIMESTAMPTZ, identity columns); its own `migrations/` with the same file names. The
//! shared SQL texts of `store::sql` run unchanged; the import writes in chunks with
//! `UNNEST` arrays (one round trip per chunk and table instead of one per row), all in one
//! transaction.
//!
//! Timestamps come back from TIMESTAMPTZ in UTC and are returned in China time (+08:00).

mod attachments;
mod documents;
mod import;
mod matches;
mod problems;
mod scan;
mod sessions;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use enterprise::{Category, Department, FactDictionary, FieldChange, ThreeLinks, UnifiedCreditCode};
use store::codec::{RawEnterprise, RawFact, split_tags};
use store::migrate::{AppliedMigration, Migration};
use store::sql::{self, Param};
use store::{
    Actor, ChangeRecord, EnterpriseFilter, EnterpriseHead, EnterpriseSummary, EnterpriseView, ImportBatch,
    ImportOutcome, ImportRequest, Link, LoginState, MigrationReport, NewUser, Page, Result, SnapshotRow,
    Store, StoreError, User,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

/// The PostgreSQL migrations, in order (same file names as SQLite's).
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "foundation", sql: include_str!("../migrations/0001_foundation.sql") },
    Migration { version: 2, name: "problems", sql: include_str!("../migrations/0002_problems.sql") },
    Migration { version: 3, name: "match_runs", sql: include_str!("../migrations/0003_match_runs.sql") },
    Migration { version: 4, name: "sessions", sql: include_str!("../migrations/0004_sessions.sql") },
    Migration {
        version: 5,
        name: "problem_indexes",
        sql: include_str!("../migrations/0005_problem_indexes.sql"),
    },
    Migration { version: 6, name: "attachments", sql: include_str!("../migrations/0006_attachments.sql") },
    Migration { version: 7, name: "documents", sql: include_str!("../migrations/0007_documents.sql") },
    Migration {
        version: 8,
        name: "drop_rule_facts",
        sql: include_str!("../migrations/0008_drop_rule_facts.sql"),
    },
];

/// Connections in the pool.
const POOL_SIZE: usize = 16;

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `postgres://user[:password]@host[:port]/database` (a unix socket directory
    /// as host: `postgres://user@%2Fvar%2Frun%2Fpostgresql/db`). Checks the connection.
    pub async fn connect(url: &str) -> Result<PgStore> {
        let config: tokio_postgres::Config = url.parse().map_err(backend)?;
        PgStore::from_config(config).await
    }

    /// Connects with every connection's `search_path` set to `schema`, after dropping and
    /// recreating that schema: a fresh, isolated database inside a shared one, for tests.
    /// `schema` must be lower-case ASCII letters, digits and `_`.
    pub async fn connect_fresh_schema(url: &str, schema: &str) -> Result<PgStore> {
        if schema.is_empty()
            || !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Backend(format!("schema name {schema:?} is not plain snake_case")));
        }
        let mut config: tokio_postgres::Config = url.parse().map_err(backend)?;
        {
            let (client, conn) = config.connect(NoTls).await.map_err(backend)?;
            let task = tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"))
                .await
                .map_err(backend)?;
            drop(client);
            let _ = task.await;
        }
        config.options(format!("-c search_path={schema}"));
        PgStore::from_config(config).await
    }

    async fn from_config(config: tokio_postgres::Config) -> Result<PgStore> {
        let mgr =
            Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(mgr).max_size(POOL_SIZE).build().map_err(backend)?;
        let client = pool.get().await.map_err(backend)?;
        client.simple_query("SELECT 1").await.map_err(backend)?;
        Ok(PgStore { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
    }
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Whether a database error is a unique violation.
pub(crate) fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

pub(crate) fn china(at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    at.with_timezone(&store::china_offset())
}

pub(crate) fn raw_enterprise(r: &Row) -> Result<RawEnterprise> {
    Ok(RawEnterprise {
        id: r.try_get(0).map_err(backend)?,
        uscc: r.try_get(1).map_err(backend)?,
        name: r.try_get(2).map_err(backend)?,
        registered_in_zone: r.try_get(3).map_err(backend)?,
        tax_registered_in_zone: r.try_get(4).map_err(backend)?,
        industry_code: r.try_get(5).map_err(backend)?,
        established_on: r.try_get(6).map_err(backend)?,
        taxpayer_type: r.try_get(7).map_err(backend)?,
        tax_credit_rating: r.try_get(8).map_err(backend)?,
        tags: r.try_get(9).map_err(backend)?,
        assistance_target: r.try_get(10).map_err(backend)?,
        created_at: china(r.try_get(11).map_err(backend)?),
        updated_at: china(r.try_get(12).map_err(backend)?),
    })
}

pub(crate) fn raw_fact(r: &Row, o: usize) -> Result<RawFact> {
    Ok(RawFact {
        fact: r.try_get(o).map_err(backend)?,
        year: r.try_get(o + 1).map_err(backend)?,
        value: r.try_get(o + 2).map_err(backend)?,
        source: r.try_get(o + 3).map_err(backend)?,
        as_of: r.try_get(o + 4).map_err(backend)?,
    })
}

async fn enterprise_id(c: &impl GenericClient, uscc: &UnifiedCreditCode) -> Result<i64> {
    let row = c.query_opt(sql::ENTERPRISE_ID_BY_USCC, &[&uscc.as_str()]).await.map_err(backend)?;
    match row {
        Some(r) => r.try_get(0).map_err(backend),
        None => Err(StoreError::EnterpriseNotFound { uscc: uscc.to_string() }),
    }
}

async fn links_of(c: &impl GenericClient, id: i64) -> Result<ThreeLinks> {
    let row = c.query_opt(sql::LINKS_OF, &[&id]).await.map_err(backend)?;
    Ok(match row {
        Some(r) => ThreeLinks {
            leader: r.try_get(0).map_err(backend)?,
            department: r.try_get(1).map_err(backend)?,
            cadre: r.try_get(2).map_err(backend)?,
        },
        None => ThreeLinks::default(),
    })
}

async fn department_code(c: &impl GenericClient, code_or_name: &str) -> Result<String> {
    let row = c.query_opt(sql::DEPARTMENT_CODE, &[&code_or_name.trim()]).await.map_err(backend)?;
    match row {
        Some(r) => r.try_get(0).map_err(backend),
        None => Err(StoreError::UnknownDepartment { department: code_or_name.to_string() }),
    }
}

async fn user_role(c: &impl GenericClient, username: &str) -> Result<Option<String>> {
    let row = c.query_opt(sql::USER_ROLE, &[&username]).await.map_err(backend)?;
    row.map(|r| r.try_get(0).map_err(backend)).transpose()
}

pub(crate) async fn insert_reference_change(
    c: &impl GenericClient,
    actor: &Actor,
    entity: &str,
    key: &str,
    ch: &FieldChange,
) -> Result<()> {
    c.execute(
        sql::INSERT_REFERENCE_CHANGE,
        &[&actor.at, &actor.username, &entity, &key, &ch.field, &ch.old, &ch.new],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

fn user_from(r: &Row) -> Result<User> {
    let role: String = r.try_get(2).map_err(backend)?;
    let uscc: Option<String> = r.try_get(4).map_err(backend)?;
    let locked: Option<DateTime<FixedOffset>> = r.try_get(10).map_err(backend)?;
    Ok(User {
        id: r.try_get(0).map_err(backend)?,
        username: r.try_get(1).map_err(backend)?,
        role: store::parse_role(&role)
            .map_err(|_| StoreError::Backend(format!("stored role {role} is unknown")))?,
        password_hash: r.try_get(3).map_err(backend)?,
        enterprise: uscc.map(|c| UnifiedCreditCode::parse(&c)).transpose().map_err(backend)?,
        department: r.try_get(5).map_err(backend)?,
        display_name: r.try_get(6).map_err(backend)?,
        active: r.try_get(7).map_err(backend)?,
        created_at: china(r.try_get(8).map_err(backend)?),
        failed_logins: r.try_get(9).map_err(backend)?,
        locked_until: locked.map(china),
    })
}

fn boxed(p: &Param) -> Box<dyn ToSql + Sync + Send> {
    match p {
        Param::Text(s) => Box::new(s.clone()),
        Param::Int(i) => Box::new(*i),
        Param::Bool(b) => Box::new(*b),
    }
}

pub(crate) fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for PgStore {
    fn backend_name(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> Result<MigrationReport> {
        let mut client = self.client().await?;
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, \
                 name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
            )
            .await
            .map_err(backend)?;
        let mut report = MigrationReport::default();
        loop {
            let tx = client.transaction().await.map_err(backend)?;
            // One migrator at a time, even across processes.
            tx.batch_execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE").await.map_err(backend)?;
            let rows = tx
                .query("SELECT version, name, checksum FROM schema_migrations ORDER BY version", &[])
                .await
                .map_err(backend)?;
            let mut applied = Vec::with_capacity(rows.len());
            for r in rows {
                let v: i32 = r.try_get(0).map_err(backend)?;
                applied.push(AppliedMigration {
                    version: u32::try_from(v).map_err(backend)?,
                    name: r.try_get(1).map_err(backend)?,
                    checksum: r.try_get(2).map_err(backend)?,
                });
            }
            let pending = store::migrate::plan(MIGRATIONS, &applied)?;
            let Some(m) = pending.first() else {
                tx.rollback().await.map_err(backend)?;
                break;
            };
            tx.batch_execute(m.sql).await.map_err(|e| {
                StoreError::Backend(format!("migration {:04}_{} failed: {e}", m.version, m.name))
            })?;
            let version = i32::try_from(m.version).map_err(backend)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, now())",
                &[&version, &m.name, &m.checksum()],
            )
            .await
            .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            report.applied.push((m.version, m.name.to_string()));
        }
        report.current = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
        Ok(report)
    }

    async fn seed_reference_data(&self) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.batch_execute("LOCK TABLE departments IN EXCLUSIVE MODE").await.map_err(backend)?;
        let n: i64 =
            tx.query_one(sql::COUNT_DEPARTMENTS, &[]).await.map_err(backend)?.try_get(0).map_err(backend)?;
        if n > 0 {
            return Ok(false);
        }
        let seed = enterprise::Routing::seed();
        for d in &seed.departments {
            tx.execute(sql::INSERT_DEPARTMENT, &[&d.code, &d.name, &d.en, &d.note]).await.map_err(backend)?;
        }
        for (i, c) in seed.categories.iter().enumerate() {
            tx.execute(sql::INSERT_CATEGORY, &[&c.code, &c.name, &c.en, &c.plan, &(i as i64)])
                .await
                .map_err(backend)?;
            for (p, d) in c.departments.iter().enumerate() {
                tx.execute(sql::INSERT_CATEGORY_DEPARTMENT, &[&c.code, d, &(p as i64)])
                    .await
                    .map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn departments(&self) -> Result<Vec<Department>> {
        let client = self.client().await?;
        let rows = client.query(sql::DEPARTMENTS, &[]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(Department {
                    code: r.try_get(0).map_err(backend)?,
                    name: r.try_get(1).map_err(backend)?,
                    en: r.try_get(2).map_err(backend)?,
                    note: r.try_get(3).map_err(backend)?,
                })
            })
            .collect()
    }

    async fn add_department(&self, d: &Department, actor: &Actor) -> Result<()> {
        if d.code.trim().is_empty() {
            return Err(StoreError::DepartmentExists { code: d.code.clone() });
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        match tx.execute(sql::INSERT_DEPARTMENT, &[&d.code, &d.name, &d.en, &d.note]).await {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::DepartmentExists { code: d.code.clone() });
            }
            Err(e) => return Err(backend(e)),
        }
        let ch = FieldChange { field: "*".into(), old: None, new: Some(d.name.clone()) };
        insert_reference_change(&tx, actor, "department", &d.code, &ch).await?;
        tx.commit().await.map_err(backend)
    }

    async fn update_department(&self, d: &Department, actor: &Actor) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let old = tx
            .query_opt("SELECT name, en, note FROM departments WHERE code = $1 FOR UPDATE", &[&d.code])
            .await
            .map_err(backend)?
            .ok_or_else(|| StoreError::UnknownDepartment { department: d.code.clone() })?;
        let (name, en, note): (String, String, Option<String>) = (
            old.try_get(0).map_err(backend)?,
            old.try_get(1).map_err(backend)?,
            old.try_get(2).map_err(backend)?,
        );
        tx.execute(sql::UPDATE_DEPARTMENT, &[&d.name, &d.en, &d.note, &d.code]).await.map_err(backend)?;
        for (field, a, b) in [
            ("name", Some(name), Some(d.name.clone())),
            ("en", Some(en), Some(d.en.clone())),
            ("note", note, d.note.clone()),
        ] {
            if a != b {
                let ch = FieldChange { field: field.into(), old: a, new: b };
                insert_reference_change(&tx, actor, "department", &d.code, &ch).await?;
            }
        }
        tx.commit().await.map_err(backend)
    }

    async fn categories_with_routing(&self) -> Result<Vec<Category>> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(true).start().await.map_err(backend)?;
        let mut cats = Vec::new();
        for r in tx.query(sql::CATEGORIES, &[]).await.map_err(backend)? {
            cats.push(Category {
                code: r.try_get(0).map_err(backend)?,
                name: r.try_get(1).map_err(backend)?,
                en: r.try_get(2).map_err(backend)?,
                plan: r.try_get(3).map_err(backend)?,
                departments: Vec::new(),
            });
        }
        for r in tx.query(sql::CATEGORY_DEPARTMENTS, &[]).await.map_err(backend)? {
            let c: String = r.try_get(0).map_err(backend)?;
            if let Some(cat) = cats.iter_mut().find(|x| x.code == c) {
                cat.departments.push(r.try_get(1).map_err(backend)?);
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(cats)
    }

    async fn set_category_departments(
        &self,
        category: &str,
        departments: &[String],
        actor: &Actor,
    ) -> Result<Category> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let row = tx
            .query_opt(
                "SELECT code, name, en, plan FROM categories WHERE code = $1 OR name = $1 FOR UPDATE",
                &[&category.trim()],
            )
            .await
            .map_err(backend)?
            .ok_or_else(|| StoreError::CategoryNotFound { code: category.to_string() })?;
        let code: String = row.try_get(0).map_err(backend)?;
        let mut codes = Vec::with_capacity(departments.len());
        for d in departments {
            codes.push(department_code(&tx, d).await?);
        }
        store::check_routing(&code, &codes)?;
        let old: Vec<String> = tx
            .query(sql::DEPARTMENTS_OF_CATEGORY, &[&code])
            .await
            .map_err(backend)?
            .iter()
            .map(|r| r.try_get(0).map_err(backend))
            .collect::<Result<_>>()?;
        tx.execute(sql::DELETE_CATEGORY_DEPARTMENTS, &[&code]).await.map_err(backend)?;
        for (p, d) in codes.iter().enumerate() {
            tx.execute(sql::INSERT_CATEGORY_DEPARTMENT, &[&code, d, &(p as i64)]).await.map_err(backend)?;
        }
        if old != codes {
            let ch = FieldChange {
                field: "departments".into(),
                old: Some(old.join(";")),
                new: Some(codes.join(";")),
            };
            insert_reference_change(&tx, actor, "category", &code, &ch).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Category {
            code,
            name: row.try_get(1).map_err(backend)?,
            en: row.try_get(2).map_err(backend)?,
            plan: row.try_get(3).map_err(backend)?,
            departments: codes,
        })
    }

    async fn create_user(&self, u: &NewUser) -> Result<User> {
        store::check_new_user(u)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        if user_role(&tx, &u.username).await?.is_some() {
            return Err(StoreError::UsernameTaken { username: u.username.clone() });
        }
        let enterprise_id = match &u.enterprise {
            Some(c) => Some(enterprise_id(&tx, c).await?),
            None => None,
        };
        let department = match &u.department {
            Some(d) => Some(department_code(&tx, d).await?),
            None => None,
        };
        let r = tx
            .query_one(
                sql::INSERT_USER,
                &[
                    &u.username,
                    &u.role.as_str(),
                    &u.password_hash,
                    &enterprise_id,
                    &department,
                    &u.display_name,
                    &u.at,
                ],
            )
            .await;
        match r {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::UsernameTaken { username: u.username.clone() });
            }
            Err(e) => return Err(backend(e)),
        }
        let row = tx.query_one(sql::USER_BY_USERNAME, &[&u.username]).await.map_err(backend)?;
        let user = user_from(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let client = self.client().await?;
        let row = client.query_opt(sql::USER_BY_USERNAME, &[&username]).await.map_err(backend)?;
        row.as_ref().map(user_from).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let client = self.client().await?;
        client.query(sql::LIST_USERS, &[]).await.map_err(backend)?.iter().map(user_from).collect()
    }

    async fn set_password_hash(&self, username: &str, password_hash: &str) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(sql::SET_PASSWORD_HASH, &[&password_hash, &username]).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::UserNotFound { username: username.to_string() });
        }
        tx.execute(store::sessions::sql::DELETE_USER_SESSIONS, &[&username]).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn set_login_state(&self, username: &str, state: LoginState) -> Result<()> {
        let client = self.client().await?;
        let n = client
            .execute(sql::SET_LOGIN_STATE, &[&state.failed_logins, &state.locked_until, &username])
            .await
            .map_err(backend)?;
        if n == 0 { Err(StoreError::UserNotFound { username: username.to_string() }) } else { Ok(()) }
    }

    async fn set_user_active(&self, username: &str, active: bool) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let n = tx.execute(sql::SET_USER_ACTIVE, &[&active, &username]).await.map_err(backend)?;
        if n == 0 {
            return Err(StoreError::UserNotFound { username: username.to_string() });
        }
        if !active {
            tx.execute(store::sessions::sql::DELETE_USER_SESSIONS, &[&username]).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn get_enterprise(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseView>> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(backend)?;
        let Some(row) = tx.query_opt(sql::ENTERPRISE_BY_USCC, &[&uscc.as_str()]).await.map_err(backend)?
        else {
            return Ok(None);
        };
        let raw = raw_enterprise(&row)?;
        let dict = FactDictionary::official();
        let mut facts = Vec::new();
        for r in tx.query(sql::FACTS_OF, &[&raw.id]).await.map_err(backend)? {
            facts.push(raw_fact(&r, 0)?.decode(dict)?);
        }
        let links = links_of(&tx, raw.id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(EnterpriseView {
            id: raw.id,
            enterprise: raw.decode()?,
            facts,
            links,
            assistance_target: raw.assistance_target,
            created_at: raw.created_at,
            updated_at: raw.updated_at,
        }))
    }

    async fn enterprise_head(&self, uscc: &UnifiedCreditCode) -> Result<Option<EnterpriseHead>> {
        let client = self.client().await?;
        let st = client.prepare_cached(sql::ENTERPRISE_HEAD).await.map_err(backend)?;
        let Some(r) = client.query_opt(&st, &[&uscc.as_str()]).await.map_err(backend)? else {
            return Ok(None);
        };
        Ok(Some(EnterpriseHead {
            id: r.try_get(0).map_err(backend)?,
            links: ThreeLinks {
                leader: r.try_get(1).map_err(backend)?,
                department: r.try_get(2).map_err(backend)?,
                cadre: r.try_get(3).map_err(backend)?,
            },
            version: r.try_get(4).map_err(backend)?,
        }))
    }

    async fn list_enterprises(
        &self,
        filter: &EnterpriseFilter,
        page: Page,
    ) -> Result<(Vec<EnterpriseSummary>, u64)> {
        let q = sql::enterprise_list(filter);
        let page = Page::new(page.offset, page.limit);
        let mut params: Vec<Box<dyn ToSql + Sync + Send>> = q.params.iter().map(boxed).collect();
        let client = self.client().await?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
        let total: i64 =
            client.query_one(&q.count_sql, &refs).await.map_err(backend)?.try_get(0).map_err(backend)?;
        params.push(Box::new(clamp(page.limit)));
        params.push(Box::new(clamp(page.offset)));
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
        let mut out = Vec::new();
        for r in client.query(&q.page_sql, &refs).await.map_err(backend)? {
            let uscc: String = r.try_get(1).map_err(backend)?;
            let tags: String = r.try_get(5).map_err(backend)?;
            out.push(EnterpriseSummary {
                id: r.try_get(0).map_err(backend)?,
                uscc: UnifiedCreditCode::parse(&uscc).map_err(backend)?,
                name: r.try_get(2).map_err(backend)?,
                assistance_target: r.try_get(3).map_err(backend)?,
                industry_code: r.try_get(4).map_err(backend)?,
                tags: split_tags(&tags).into_iter().collect(),
            });
        }
        Ok((out, u64::try_from(total).unwrap_or(0)))
    }

    async fn enterprise_count(&self) -> Result<u64> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one(sql::COUNT_ENTERPRISES, &[])
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn enterprise_changes(&self, uscc: &UnifiedCreditCode) -> Result<Vec<ChangeRecord>> {
        let client = self.client().await?;
        let id = enterprise_id(&client, uscc).await?;
        let rows = client.query(sql::CHANGES_OF, &[&id]).await.map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(ChangeRecord {
                    id: r.try_get(0).map_err(backend)?,
                    at: china(r.try_get(1).map_err(backend)?),
                    actor: r.try_get(2).map_err(backend)?,
                    field: r.try_get(3).map_err(backend)?,
                    old: r.try_get(4).map_err(backend)?,
                    new: r.try_get(5).map_err(backend)?,
                    batch_id: r.try_get(6).map_err(backend)?,
                })
            })
            .collect()
    }

    async fn set_three_links(
        &self,
        uscc: &UnifiedCreditCode,
        links: &ThreeLinks,
        actor: &Actor,
    ) -> Result<Vec<FieldChange>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let id = enterprise_id(&tx, uscc).await?;
        tx.execute("SELECT id FROM enterprises WHERE id = $1 FOR UPDATE", &[&id]).await.map_err(backend)?;
        if let Some(u) = &links.leader {
            store::check_link_role(Link::Leader, u, user_role(&tx, u).await?.as_deref())?;
        }
        if let Some(u) = &links.cadre {
            store::check_link_role(Link::Cadre, u, user_role(&tx, u).await?.as_deref())?;
        }
        let department = match &links.department {
            Some(d) => Some(department_code(&tx, d).await?),
            None => None,
        };
        let new = ThreeLinks { leader: links.leader.clone(), department, cadre: links.cadre.clone() };
        let old = links_of(&tx, id).await?;
        let changes = store::links_diff(&old, &new);
        if changes.is_empty() {
            return Ok(changes);
        }
        tx.execute(sql::UPSERT_LINKS, &[&id, &new.leader, &new.department, &new.cadre, &actor.at])
            .await
            .map_err(backend)?;
        for c in &changes {
            tx.execute(
                sql::INSERT_CHANGE,
                &[&id, &actor.at, &actor.username, &c.field, &c.old, &c.new, &None::<i64>],
            )
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(changes)
    }

    async fn apply_import(&self, request: ImportRequest) -> Result<ImportOutcome> {
        store::import::check_records(FactDictionary::official(), &request.records)?;
        let mut client = self.client().await?;
        import::apply(&mut client, &request).await
    }

    async fn import_batches(&self, limit: u64) -> Result<Vec<ImportBatch>> {
        let client = self.client().await?;
        let rows = client.query(sql::LIST_BATCHES, &[&clamp(limit)]).await.map_err(backend)?;
        let n = |r: &Row, i: usize| -> Result<u64> {
            let v: i64 = r.try_get(i).map_err(backend)?;
            Ok(u64::try_from(v).unwrap_or(0))
        };
        rows.iter()
            .map(|r| {
                Ok(ImportBatch {
                    id: r.try_get(0).map_err(backend)?,
                    at: china(r.try_get(1).map_err(backend)?),
                    actor: r.try_get(2).map_err(backend)?,
                    file_name: r.try_get(3).map_err(backend)?,
                    format: r.try_get(4).map_err(backend)?,
                    rows: n(r, 5)?,
                    created: n(r, 6)?,
                    updated: n(r, 7)?,
                    unchanged: n(r, 8)?,
                })
            })
            .collect()
    }

    async fn enterprise_batch(&self, after_id: i64, limit: u64) -> Result<Vec<SnapshotRow>> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(backend)?;
        let dict = FactDictionary::official();
        let mut out: Vec<SnapshotRow> = Vec::new();
        for r in tx.query(sql::SNAPSHOT_ENTERPRISES, &[&after_id, &clamp(limit)]).await.map_err(backend)? {
            let raw = raw_enterprise(&r)?;
            out.push(SnapshotRow { id: raw.id, enterprise: raw.decode()?, facts: Vec::new() });
        }
        let (Some(first), Some(last)) = (out.first().map(|r| r.id), out.last().map(|r| r.id)) else {
            return Ok(out);
        };
        let mut i = 0;
        for r in tx.query(sql::SNAPSHOT_FACTS, &[&first, &last]).await.map_err(backend)? {
            let id: i64 = r.try_get(0).map_err(backend)?;
            while i < out.len() && out[i].id < id {
                i += 1;
            }
            if let Some(o) = out.get_mut(i).filter(|o| o.id == id) {
                o.facts.push(raw_fact(&r, 1)?.decode(dict)?);
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_list_matches_the_folder_and_sqlite() {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let names = |dir: std::path::PathBuf| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            v.sort();
            v
        };
        let files = names(here.join("migrations"));
        store::migrate::check_list(MIGRATIONS, &files).unwrap();
        assert_eq!(
            files,
            names(here.join("../store-sqlite/migrations")),
            "both backends have the same migrations"
        );
    }
}
