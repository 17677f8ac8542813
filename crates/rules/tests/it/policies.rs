//! The shipped policy library (policies/) checks clean and passes every item's test cases:
//! the conformance suite of `huiqi policy test`, run by `cargo test`.

use rules::{Library, SourceFile};

fn shipped() -> Vec<SourceFile> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<SourceFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| SourceFile {
            name: format!("policies/{}", p.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

#[test]
fn the_shipped_library_checks_and_passes_its_cases() {
    let (lib, diags) = Library::load(&shipped(), enterprise::FactDictionary::official());
    let rendered: Vec<String> = diags.iter().map(|d| d.render()).collect();
    assert!(diags.is_empty(), "{rendered:#?}");
    let reports = lib.run_cases();
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{} {} «{}»: {}", r.file, r.item, r.case, r.problem.clone().unwrap_or_default()))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(reports.len() >= 50, "only {} cases", reports.len());
    // Every item has at least one case, and every item of the zone sample is marked sample.
    for item in lib.items() {
        assert!(!item.cases.is_empty(), "{} has no test case", item.id);
    }
}
