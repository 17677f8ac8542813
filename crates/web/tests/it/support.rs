//! Helpers shared by the web test binaries (each uses its own subset).

#![allow(dead_code)]

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, FixedOffset};
use enterprise::UnifiedCreditCode;

/// The password of every test user.
pub const PASSWORD: &str = "correct horse 电池";

pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// The valid credit code of test enterprise `n`.
pub fn code(n: u32) -> UnifiedCreditCode {
    UnifiedCreditCode::from_parts('9', '1', "430100", &format!("{:08}", 10_000_000 + n)).unwrap()
}

/// A cheap argon2id hash: verification reads its parameters from the PHC string, so tests
/// stay fast while production hashes use the strong defaults.
pub fn cheap_hash(pw: &str) -> String {
    let params = Params::new(256, 1, 1, None).unwrap();
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    a.hash_password(pw.as_bytes(), &SaltString::encode_b64(b"0123456789abcdef").unwrap()).unwrap().to_string()
}

/// A migrated SQLite store in a fresh directory holding the reference data, `records`
/// (imported by `admin` at `now`) and `users`, all with [`PASSWORD`]: `ent_a` and `ent_b`
/// belong to enterprises 1 and 2, and `department` names each user's department.
pub async fn seeded_store(
    now: DateTime<FixedOffset>,
    records: Vec<enterprise::EnterpriseRecord>,
    users: &[(&str, store::Role)],
    department: impl Fn(&str, store::Role) -> Option<String>,
) -> (store_sqlite::SqliteStore, tempfile::TempDir) {
    use store::{EnterpriseStore, ReferenceStore, Store, UserStore};
    let dir = tempfile::tempdir().unwrap();
    let s = store_sqlite::SqliteStore::open(dir.path().join("huiqi.db")).unwrap();
    s.migrate().await.unwrap();
    s.seed_reference_data().await.unwrap();
    s.apply_import(store::ImportRequest {
        actor: store::Stamp::new("admin", now),
        file_name: "t.csv".into(),
        format: store::ImportFormat::Csv,
        records,
        dry_run: false,
    })
    .await
    .unwrap();
    let hash = cheap_hash(PASSWORD);
    for &(name, role) in users {
        let enterprise = match name {
            "ent_a" => Some(code(1)),
            "ent_b" => Some(code(2)),
            _ => None,
        };
        s.create_user(&store::NewUser {
            username: name.into(),
            role,
            password_hash: hash.clone(),
            enterprise,
            department: department(name, role),
            display_name: format!("{name} 同志"),
            at: now,
        })
        .await
        .unwrap();
    }
    (s, dir)
}
