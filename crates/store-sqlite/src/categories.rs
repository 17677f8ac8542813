//! [`CategoryStore`] on SQLite: one job of the writer thread.

use async_trait::async_trait;
use enterprise::{Category, FieldChange};
use rusqlite::{OptionalExtension, params};
use store::categories::{CategoryStore, sql};
use store::{Result, Stamp, StoreError};

use crate::reference::{department_code, insert_reference_change};
use crate::{SqliteStore, backend};

#[async_trait]
impl CategoryStore for SqliteStore {
    async fn add_category(&self, c: &Category, actor: &Stamp) -> Result<Category> {
        let (mut c, actor) = (c.clone(), actor.clone());
        c.code = c.code.trim().to_string();
        c.name = c.name.trim().to_string();
        let _changes = self.routing_changes();
        self.write(move |conn| {
            let taken: Option<String> = conn
                .prepare_cached(sql::CATEGORY_TAKEN)
                .and_then(|mut st| st.query_row(params![c.code, c.name], |r| r.get(0)).optional())
                .map_err(backend)?;
            if let Some(code) = taken {
                return Err(StoreError::CategoryExists {
                    code: if code == c.code { code } else { c.name.clone() },
                });
            }
            let mut codes = Vec::with_capacity(c.departments.len());
            for d in &c.departments {
                codes.push(department_code(conn, d)?);
            }
            store::check_routing(&c.code, &codes)?;
            let position: i64 = conn.query_row(sql::NEXT_POSITION, [], |r| r.get(0)).map_err(backend)?;
            conn.prepare_cached(store::sql::INSERT_CATEGORY)
                .and_then(|mut st| st.execute(params![c.code, c.name, c.en, c.plan, position]))
                .map_err(backend)?;
            for (p, d) in codes.iter().enumerate() {
                conn.prepare_cached(store::sql::INSERT_CATEGORY_DEPARTMENT)
                    .and_then(|mut st| st.execute(params![c.code, d, p as i64]))
                    .map_err(backend)?;
            }
            for (field, new) in [("*", c.name.clone()), ("departments", codes.join(";"))] {
                let ch = FieldChange { field: field.into(), old: None, new: Some(new) };
                insert_reference_change(conn, &actor, "category", &c.code, &ch)?;
            }
            Ok(Category { departments: codes, ..c })
        })
        .await
    }
}
