//! The shipped policy library, embedded at build time from `policies/` (see `build.rs`).

use enterprise::FactDictionary;
use rules::{Diagnostic, Library, SourceFile};

include!(concat!(env!("OUT_DIR"), "/shipped_policies.rs"));

/// The shipped policy files.
pub fn sources() -> Vec<SourceFile> {
    SHIPPED
        .iter()
        .map(|(name, text)| SourceFile { name: (*name).to_string(), text: (*text).to_string() })
        .collect()
}

/// The shipped library, loaded and checked against the official fact dictionary.
pub fn library() -> (Library, Vec<Diagnostic>) {
    Library::load(&sources(), FactDictionary::official())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_library_is_embedded_and_checks() {
        assert!(super::SHIPPED.len() >= 10, "{}", super::SHIPPED.len());
        let (lib, diags) = super::library();
        assert!(diags.is_empty(), "{diags:?}");
        assert!(lib.items().count() >= 30);
    }
}
