//! [`ReferenceStore`] on SQLite: departments, categories and the routing table, read through
//! a short-lived cache ([`RoutingCache`]) that this store's own writes clear.

use async_trait::async_trait;
use enterprise::{Category, Department, FieldChange};
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Mutex;
use store::sql;
use store::{ReferenceStore, Result, Stamp, StoreError};

use crate::{SqliteStore, backend, ts};

/// The routing table (departments; categories with their departments) as last read. Every
/// problem submission needs it and it changes a few times a year, so reading it per request
/// was two of the three reads of a submission. This store's own writes to it
/// ([`ReferenceStore::add_department`], [`ReferenceStore::update_department`],
/// [`ReferenceStore::set_category_departments`], seeding, migrating) clear it; a change made by another
/// process shows within [`ROUTING_TTL`].
#[derive(Debug, Default)]
pub(crate) struct RoutingCache {
    /// Bumped by every clear, so a read that began before a change does not store what it read.
    generation: u64,
    departments: CacheSlot<Department>,
    categories: CacheSlot<Category>,
}

/// One cached part of the routing table, with when it was read.
type CacheSlot<T> = Option<(std::time::Instant, Vec<T>)>;

/// How long a cached routing table is trusted without re-reading (see [`RoutingCache`]).
const ROUTING_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl SqliteStore {
    /// Reads part of the routing table through [`RoutingCache`]: `pick` selects the slot,
    /// `load` reads it from the database on a miss.
    pub(crate) async fn routing_part<T, F>(
        &self,
        pick: fn(&mut RoutingCache) -> &mut CacheSlot<T>,
        load: F,
    ) -> Result<Vec<T>>
    where
        T: Clone + Send + 'static,
        F: FnOnce(&Connection) -> Result<Vec<T>> + Send + 'static,
    {
        let generation = {
            let mut c =
                self.routing.lock().map_err(|_| StoreError::Backend("routing cache poisoned".into()))?;
            if let Some((at, v)) = pick(&mut c)
                && at.elapsed() < ROUTING_TTL
            {
                return Ok(v.clone());
            }
            c.generation
        };
        let fresh = self.read(load).await?;
        if let Ok(mut c) = self.routing.lock()
            && c.generation == generation
        {
            *pick(&mut c) = Some((std::time::Instant::now(), fresh.clone()));
        }
        Ok(fresh)
    }

    /// A guard for a write that may change the routing table: the cached table is forgotten
    /// when the write is over (committed, failed or abandoned).
    pub(crate) fn routing_changes(&self) -> RoutingChanges<'_> {
        RoutingChanges(&self.routing)
    }
}

/// See [`SqliteStore::routing_changes`].
pub(crate) struct RoutingChanges<'a>(&'a Mutex<RoutingCache>);

impl Drop for RoutingChanges<'_> {
    fn drop(&mut self) {
        if let Ok(mut c) = self.0.lock() {
            c.generation += 1;
            c.departments = None;
            c.categories = None;
        }
    }
}

pub(crate) fn department_code(conn: &Connection, code_or_name: &str) -> Result<String> {
    let mut st = conn.prepare_cached(sql::DEPARTMENT_CODE).map_err(backend)?;
    st.query_row([code_or_name.trim()], |r| r.get(0))
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StoreError::UnknownDepartment { department: code_or_name.to_string() })
}

pub(crate) fn insert_reference_change(
    conn: &Connection,
    actor: &Stamp,
    entity: &str,
    key: &str,
    change: &FieldChange,
) -> Result<()> {
    conn.prepare_cached(sql::INSERT_REFERENCE_CHANGE)
        .and_then(|mut st| {
            st.execute(params![
                ts(actor.at),
                actor.username,
                entity,
                key,
                change.field,
                change.old,
                change.new
            ])
        })
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl ReferenceStore for SqliteStore {
    async fn seed_reference_data(&self) -> Result<bool> {
        let _changes = self.routing_changes();
        self.write(|conn| {
            let n: i64 = conn.query_row(sql::COUNT_DEPARTMENTS, [], |r| r.get(0)).map_err(backend)?;
            if n > 0 {
                return Ok(false);
            }
            let seed = enterprise::Routing::seed();
            for d in &seed.departments {
                conn.prepare_cached(sql::INSERT_DEPARTMENT)
                    .and_then(|mut st| st.execute(params![d.code, d.name, d.en, d.note]))
                    .map_err(backend)?;
            }
            for (i, c) in seed.categories.iter().enumerate() {
                conn.prepare_cached(sql::INSERT_CATEGORY)
                    .and_then(|mut st| st.execute(params![c.code, c.name, c.en, c.plan, i as i64]))
                    .map_err(backend)?;
                for (p, d) in c.departments.iter().enumerate() {
                    conn.prepare_cached(sql::INSERT_CATEGORY_DEPARTMENT)
                        .and_then(|mut st| st.execute(params![c.code, d, p as i64]))
                        .map_err(backend)?;
                }
            }
            Ok(true)
        })
        .await
    }

    async fn departments(&self) -> Result<Vec<Department>> {
        self.routing_part(
            |c| &mut c.departments,
            |conn| {
                let mut st = conn.prepare_cached(sql::DEPARTMENTS).map_err(backend)?;
                let rows = st
                    .query_map([], |r| {
                        Ok(Department { code: r.get(0)?, name: r.get(1)?, en: r.get(2)?, note: r.get(3)? })
                    })
                    .map_err(backend)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
            },
        )
        .await
    }

    async fn add_department(&self, d: &Department, actor: &Stamp) -> Result<()> {
        let (d, actor) = (d.clone(), actor.clone());
        let _changes = self.routing_changes();
        self.write(move |conn| {
            let exists: Option<String> = conn
                .query_row("SELECT code FROM departments WHERE code = $1", [&d.code], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            if exists.is_some() || d.code.trim().is_empty() {
                return Err(StoreError::DepartmentExists { code: d.code.clone() });
            }
            conn.prepare_cached(sql::INSERT_DEPARTMENT)
                .and_then(|mut st| st.execute(params![d.code, d.name, d.en, d.note]))
                .map_err(backend)?;
            let ch = FieldChange { field: "*".into(), old: None, new: Some(d.name.clone()) };
            insert_reference_change(conn, &actor, "department", &d.code, &ch)
        })
        .await
    }

    async fn update_department(&self, d: &Department, actor: &Stamp) -> Result<()> {
        let (d, actor) = (d.clone(), actor.clone());
        let _changes = self.routing_changes();
        self.write(move |conn| {
            let old = conn
                .query_row("SELECT code, name, en, note FROM departments WHERE code = $1", [&d.code], |r| {
                    Ok(Department { code: r.get(0)?, name: r.get(1)?, en: r.get(2)?, note: r.get(3)? })
                })
                .optional()
                .map_err(backend)?
                .ok_or_else(|| StoreError::UnknownDepartment { department: d.code.clone() })?;
            conn.prepare_cached(sql::UPDATE_DEPARTMENT)
                .and_then(|mut st| st.execute(params![d.name, d.en, d.note, d.code]))
                .map_err(backend)?;
            for (field, a, b) in [
                ("name", Some(old.name), Some(d.name.clone())),
                ("en", Some(old.en), Some(d.en.clone())),
                ("note", old.note, d.note.clone()),
            ] {
                if a != b {
                    let ch = FieldChange { field: field.into(), old: a, new: b };
                    insert_reference_change(conn, &actor, "department", &d.code, &ch)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn categories_with_routing(&self) -> Result<Vec<Category>> {
        self.routing_part(
            |c| &mut c.categories,
            |conn| {
                let mut st = conn.prepare_cached(sql::CATEGORIES).map_err(backend)?;
                let mut cats = st
                    .query_map([], |r| {
                        Ok(Category {
                            code: r.get(0)?,
                            name: r.get(1)?,
                            en: r.get(2)?,
                            plan: r.get(3)?,
                            departments: Vec::new(),
                        })
                    })
                    .map_err(backend)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(backend)?;
                let mut st = conn.prepare_cached(sql::CATEGORY_DEPARTMENTS).map_err(backend)?;
                let rows = st
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                    .map_err(backend)?;
                for row in rows {
                    let (c, d) = row.map_err(backend)?;
                    if let Some(cat) = cats.iter_mut().find(|x| x.code == c) {
                        cat.departments.push(d);
                    }
                }
                Ok(cats)
            },
        )
        .await
    }

    async fn set_category_departments(
        &self,
        category: &str,
        departments: &[String],
        actor: &Stamp,
    ) -> Result<Category> {
        let (category, departments, actor) = (category.to_string(), departments.to_vec(), actor.clone());
        let _changes = self.routing_changes();
        self.write(move |conn| {
            let code: String = conn
                .prepare_cached(sql::CATEGORY_CODE)
                .and_then(|mut st| st.query_row([category.trim()], |r| r.get(0)).optional())
                .map_err(backend)?
                .ok_or_else(|| StoreError::CategoryNotFound { code: category.clone() })?;
            let mut codes = Vec::with_capacity(departments.len());
            for d in &departments {
                codes.push(department_code(conn, d)?);
            }
            store::check_routing(&code, &codes)?;
            let old: Vec<String> = conn
                .prepare_cached(sql::DEPARTMENTS_OF_CATEGORY)
                .and_then(|mut st| st.query_map([&code], |r| r.get(0))?.collect())
                .map_err(backend)?;
            conn.prepare_cached(sql::DELETE_CATEGORY_DEPARTMENTS)
                .and_then(|mut st| st.execute([&code]))
                .map_err(backend)?;
            for (p, d) in codes.iter().enumerate() {
                conn.prepare_cached(sql::INSERT_CATEGORY_DEPARTMENT)
                    .and_then(|mut st| st.execute(params![code, d, p as i64]))
                    .map_err(backend)?;
            }
            if old != codes {
                let ch = FieldChange {
                    field: "departments".into(),
                    old: Some(old.join(";")),
                    new: Some(codes.join(";")),
                };
                insert_reference_change(conn, &actor, "category", &code, &ch)?;
            }
            let (name, en, plan): (String, String, String) = conn
                .query_row("SELECT name, en, plan FROM categories WHERE code = $1", [&code], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(backend)?;
            Ok(Category { code, name, en, plan, departments: codes })
        })
        .await
    }
}
