//! The embedded SQLite store (rusqlite, WAL, group commit).
