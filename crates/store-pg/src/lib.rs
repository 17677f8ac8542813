//! The PostgreSQL store (sqlx).
