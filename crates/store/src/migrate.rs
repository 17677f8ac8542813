//! The migration runner's logic, shared by both backends.
//!
//! Each backend embeds its `migrations/NNNN_name.sql` files with `include_str!` as a list of
//! [`Migration`]s. On `migrate()` it creates `schema_migrations` if absent, reads the applied
//! rows, and asks [`plan`] which migrations to apply: every applied migration must still be
//! known with the same checksum (an edited or unknown applied migration is an error, and
//! nothing is applied), and the rest are applied in version order, each in its own
//! transaction together with its `schema_migrations` row.

use crate::error::StoreError;

/// One embedded migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl Migration {
    /// The checksum recorded with the migration: FNV-1a (64 bit) of the SQL text, in hex.
    /// It detects edits, not attacks.
    pub fn checksum(&self) -> String {
        checksum(self.sql)
    }
}

/// A row of `schema_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: u32,
    pub name: String,
    pub checksum: String,
}

/// FNV-1a 64 of `text`, as 16 hex digits.
pub fn checksum(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The migrations still to apply, in version order, or the reason none may be applied.
pub fn plan<'a>(
    available: &'a [Migration],
    applied: &[AppliedMigration],
) -> Result<Vec<&'a Migration>, StoreError> {
    for a in applied {
        match available.iter().find(|m| m.version == a.version) {
            None => return Err(StoreError::MigrationUnknown { version: a.version, name: a.name.clone() }),
            Some(m) if m.checksum() != a.checksum => {
                return Err(StoreError::MigrationEdited { version: m.version, name: m.name.to_string() });
            }
            Some(_) => {}
        }
    }
    let mut pending: Vec<&Migration> =
        available.iter().filter(|m| !applied.iter().any(|a| a.version == m.version)).collect();
    pending.sort_by_key(|m| m.version);
    Ok(pending)
}

/// Checks a backend's migration list against the files of its `migrations/` folder: versions
/// strictly increasing from 1 (a number may be skipped), and each entry named after its file
/// (`0001_foundation.sql` ↔ `(1, "foundation")`). For the backends' tests.
pub fn check_list(available: &[Migration], file_names: &[String]) -> Result<(), String> {
    let mut files: Vec<&String> = file_names.iter().filter(|f| f.ends_with(".sql")).collect();
    files.sort();
    if files.len() != available.len() {
        return Err(format!("{} migration files but {} listed", files.len(), available.len()));
    }
    for (i, (m, f)) in available.iter().zip(files).enumerate() {
        let expected = format!("{:04}_{}.sql", m.version, m.name);
        // Numbers may be skipped (parallel branches reserve theirs), never repeated or reordered.
        if m.version == 0 || (i > 0 && m.version <= available[i - 1].version) {
            return Err(format!("migration {} is listed at position {}", m.version, i + 1));
        }
        if *f != expected {
            return Err(format!("file {f} but list entry {expected}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &[Migration] = &[
        Migration { version: 1, name: "a", sql: "create table a(x int);" },
        Migration { version: 2, name: "b", sql: "create table b(x int);" },
    ];

    fn applied(m: &Migration) -> AppliedMigration {
        AppliedMigration { version: m.version, name: m.name.into(), checksum: m.checksum() }
    }

    #[test]
    fn applies_what_is_missing_in_order() {
        assert_eq!(plan(LIST, &[]).unwrap().iter().map(|m| m.version).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(plan(LIST, &[applied(&LIST[0])]).unwrap().len(), 1);
        assert!(plan(LIST, &[applied(&LIST[0]), applied(&LIST[1])]).unwrap().is_empty());
    }

    #[test]
    fn an_edited_applied_migration_is_an_error() {
        let mut a = applied(&LIST[0]);
        a.checksum = checksum("create table a(x bigint);");
        assert_eq!(plan(LIST, &[a]), Err(StoreError::MigrationEdited { version: 1, name: "a".into() }));
    }

    #[test]
    fn an_unknown_applied_migration_is_an_error() {
        let a = AppliedMigration { version: 7, name: "later".into(), checksum: "0".into() };
        assert!(matches!(plan(LIST, &[a]), Err(StoreError::MigrationUnknown { version: 7, .. })));
    }

    #[test]
    fn checksums_see_every_byte() {
        assert_ne!(checksum("select 1;"), checksum("select 1; "));
        assert_eq!(checksum(""), "cbf29ce484222325");
    }

    #[test]
    fn the_list_must_match_the_files() {
        let files = vec!["0001_a.sql".to_string(), "0002_b.sql".to_string(), "README.md".to_string()];
        assert!(check_list(LIST, &files).is_ok());
        assert!(check_list(LIST, &files[..1]).is_err());
        assert!(check_list(LIST, &["0001_a.sql".into(), "0002_c.sql".into()]).is_err());
    }
}
