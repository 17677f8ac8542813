//! [`CategoryStore`] on PostgreSQL.

use async_trait::async_trait;
use enterprise::{Category, FieldChange};
use store::categories::{CategoryStore, sql};
use store::{Result, Stamp, StoreError};

use crate::reference::{department_code, insert_reference_change};
use crate::{PgStore, backend, is_unique_violation};

#[async_trait]
impl CategoryStore for PgStore {
    async fn add_category(&self, c: &Category, actor: &Stamp) -> Result<Category> {
        let mut c = c.clone();
        c.code = c.code.trim().to_string();
        c.name = c.name.trim().to_string();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // One adder at a time: the position is the next after the last.
        tx.batch_execute("LOCK TABLE categories IN SHARE ROW EXCLUSIVE MODE").await.map_err(backend)?;
        if let Some(r) = tx.query_opt(sql::CATEGORY_TAKEN, &[&c.code, &c.name]).await.map_err(backend)? {
            let code: String = r.try_get(0).map_err(backend)?;
            return Err(StoreError::CategoryExists {
                code: if code == c.code { code } else { c.name.clone() },
            });
        }
        let mut codes = Vec::with_capacity(c.departments.len());
        for d in &c.departments {
            codes.push(department_code(&tx, d).await?);
        }
        store::check_routing(&c.code, &codes)?;
        let position: i64 =
            tx.query_one(sql::NEXT_POSITION, &[]).await.map_err(backend)?.try_get(0).map_err(backend)?;
        let r = tx.execute(store::sql::INSERT_CATEGORY, &[&c.code, &c.name, &c.en, &c.plan, &position]).await;
        match r {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::CategoryExists { code: c.code.clone() });
            }
            Err(e) => return Err(backend(e)),
        }
        for (p, d) in codes.iter().enumerate() {
            tx.execute(store::sql::INSERT_CATEGORY_DEPARTMENT, &[&c.code, d, &(p as i64)])
                .await
                .map_err(backend)?;
        }
        for (field, new) in [("*", c.name.clone()), ("departments", codes.join(";"))] {
            let ch = FieldChange { field: field.into(), old: None, new: Some(new) };
            insert_reference_change(&tx, actor, "category", &c.code, &ch).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Category { departments: codes, ..c })
    }
}
