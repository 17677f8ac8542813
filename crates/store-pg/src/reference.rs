//! [`ReferenceStore`] on PostgreSQL: departments, categories and the routing table.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use enterprise::{Category, Department, FieldChange};
use store::sql;
use store::{ReferenceStore, Result, Stamp, StoreError};

use crate::{PgStore, backend, is_unique_violation};

pub(crate) async fn department_code(c: &impl GenericClient, code_or_name: &str) -> Result<String> {
    let row = c.query_opt(sql::DEPARTMENT_CODE, &[&code_or_name.trim()]).await.map_err(backend)?;
    match row {
        Some(r) => r.try_get(0).map_err(backend),
        None => Err(StoreError::UnknownDepartment { department: code_or_name.to_string() }),
    }
}

pub(crate) async fn insert_reference_change(
    c: &impl GenericClient,
    actor: &Stamp,
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

#[async_trait]
impl ReferenceStore for PgStore {
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

    async fn add_department(&self, d: &Department, actor: &Stamp) -> Result<()> {
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

    async fn update_department(&self, d: &Department, actor: &Stamp) -> Result<()> {
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
        actor: &Stamp,
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
}
