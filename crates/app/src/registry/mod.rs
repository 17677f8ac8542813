//! The registry's use cases: the enterprise directory (list and search, paged, each role
//! seeing its own), one enterprise and its recorded changes, the three links (三联)
//! assignment, and the import of enterprise files (dry run and apply).
//!
//! The web (`routes/enterprises.rs`, `routes/imports.rs`) and the CLI (`huiqi import
//! enterprises`) only translate to and from these. What they leave out: reading and checking
//! a file's cells (the `import` crate), planning a re-import against what is stored (the
//! `store` crate's `import` module, shared by both backends), and HTTP, terminals and
//! temporary files (the front ends).

mod enterprises;
mod import;
pub mod kept;

pub use enterprises::{
    DEFAULT_PER_PAGE, EnterpriseList, ListRequest, MAX_PER_PAGE, SetLinks, enterprise, enterprise_changes,
    list_enterprises, parse_uscc, set_three_links,
};
pub use import::{
    CHANGES_CSV_HEADER, ImportFile, ImportReport, ImportSinks, PREVIEW_CHUNK, import_batches,
    import_enterprises,
};
