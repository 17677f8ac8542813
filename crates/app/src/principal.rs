//! Who is acting: a signed-in user as the use cases see them. The front ends build one from
//! a session or a bearer token (web) or from `--as USER` (the CLI); how the user proved who
//! they are is the front end's business, not the use case's.

use enterprise::UnifiedCreditCode;
use store::{Role, User};

/// A signed-in user: their name, role and what the role is tied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: String,
    pub role: Role,
    /// The enterprise of an enterprise user.
    pub enterprise: Option<UnifiedCreditCode>,
    /// The department code of a department user.
    pub department: Option<String>,
    /// The name shown on pages (the username when the user has none).
    pub display_name: String,
}

impl Principal {
    pub fn from_user(u: &User) -> Principal {
        Principal {
            username: u.username.clone(),
            role: u.role,
            enterprise: u.enterprise.clone(),
            department: u.department.clone(),
            display_name: if u.display_name.is_empty() { u.username.clone() } else { u.display_name.clone() },
        }
    }

    /// The scheduled jobs (the sweep that closes unconfirmed answers, warnings): role
    /// `system`, tied to nothing.
    pub fn system() -> Principal {
        Principal {
            username: "system".into(),
            role: Role::System,
            enterprise: None,
            department: None,
            display_name: "system".into(),
        }
    }

    /// Someone at the command line with the database in hand (`huiqi policy load`, `huiqi
    /// time-limits set`, `huiqi settings set`, reports written to files): whoever can open
    /// the database may do what an admin does, so the principal is an admin named as they
    /// name themselves (`--as NAME`, recorded with what they write; no stored user needed).
    pub fn operator(name: &str) -> Principal {
        Principal {
            username: name.to_string(),
            role: Role::Admin,
            enterprise: None,
            department: None,
            display_name: name.to_string(),
        }
    }

    /// The three lists' domain actor for this principal.
    pub fn handling_actor(&self) -> handling::Actor {
        handling::Actor {
            username: self.username.clone(),
            role: self.role,
            department: self.department.clone(),
            enterprise: self.enterprise.clone(),
        }
    }

    /// The audit stamp of a write this principal makes at `at`.
    pub fn stamp(&self, at: chrono::DateTime<chrono::FixedOffset>) -> store::Stamp {
        store::Stamp::new(&self.username, at)
    }
}
