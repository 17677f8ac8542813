//! The HTTP server: JSON API and Chinese pages (axum).
