//! Change signals between server processes (issue 16): a backend that can tell a process
//! when another one wrote something it caches does so, so caches are invalidated at once
//! rather than on their timer. PostgreSQL uses `LISTEN/NOTIFY`: triggers on the cached tables
//! (migration 0019) notify the channel [`CHANNEL`] with the table's name, on commit, whoever
//! wrote (a server, `huiqi policy load`, `psql`). SQLite has no such channel: its processes
//! keep their timers. The calendars need no signal: every use re-validates them by one
//! version read (`crate::calendar`).
//!
//! What it leaves out: what a process does on a signal (`app::live`).

use crate::Result;
use async_trait::async_trait;
use std::sync::Arc;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "huiqi_changes";

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// A versioned document (policies, time limits, zone settings) was saved.
    Documents,
    /// The listener (re)connected: anything may have changed while it was away.
    Resync,
}

impl Change {
    /// The change a notification's payload names (the table), if known.
    pub fn of_payload(payload: &str) -> Option<Change> {
        match payload {
            "documents" => Some(Change::Documents),
            _ => None,
        }
    }
}

/// Called on every change signal (from the listener's task: keep it quick).
pub type OnChange = Arc<dyn Fn(Change) + Send + Sync>;

/// Change signals from other processes.
#[async_trait]
pub trait ChangeSignals: Send + Sync {
    /// Starts listening (in the background, reconnecting after a lost connection, each
    /// reconnection signalled as [`Change::Resync`]). `false` when the backend has no signals;
    /// the caller keeps its timers then.
    async fn listen_changes(&self, on_change: OnChange) -> Result<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_the_tables() {
        assert_eq!(Change::of_payload("documents"), Some(Change::Documents));
        assert_eq!(Change::of_payload("users"), None);
    }
}
