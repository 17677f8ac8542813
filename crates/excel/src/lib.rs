//! Excel workbooks: ledger, reports and lists (rust_xlsxwriter).
