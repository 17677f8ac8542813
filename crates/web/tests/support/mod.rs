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
