//! Bulk import of enterprise records from CSV, XLSX and JSON lines.
