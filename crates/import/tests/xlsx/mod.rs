//! Workbooks that used to kill the process, built byte by byte here (a zip of hand-written
//! XML parts): every one ends in a clear file error, read cell by cell within the limits
//! of `import::xlsx` (docs/IMPORT.md, "Limits").

use super::options;
use i18n::{Lang, Localized};
use import::{ImportError, Parsed, read_xlsx};
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

/// An inline-string cell.
fn text(at: &str, s: &str) -> String {
    format!(r#"<c r="{at}" t="inlineStr"><is><t>{s}</t></is></c>"#)
}

/// The header row and one valid enterprise in row 2.
fn good_rows() -> String {
    let header = ["uscc", "name", "registered_in_zone", "tax_registered_in_zone"];
    let values = ["91430100MA4L00011K", "长沙智造科技有限公司", "是", "是"];
    let cells = |row: usize, v: &[&str]| -> String {
        v.iter().enumerate().map(|(c, s)| text(&format!("{}{row}", char::from(b'A' + c as u8)), s)).collect()
    };
    format!(r#"<row r="1">{}</row><row r="2">{}</row>"#, cells(1, &header), cells(2, &values))
}

/// A workbook of one sheet with `rows` inside `<sheetData>` (written in pieces by
/// `more`, for sheets too large to hold as one string), `dimension`, and shared strings.
fn workbook_with(
    dimension: &str,
    rows: &str,
    more: &mut dyn FnMut(&mut dyn Write),
    shared: Option<&str>,
) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = SimpleFileOptions::default().compression_level(Some(1));
    z.start_file("xl/workbook.xml", o).unwrap();
    z.write_all(WORKBOOK.as_bytes()).unwrap();
    z.start_file("xl/_rels/workbook.xml.rels", o).unwrap();
    z.write_all(RELS.as_bytes()).unwrap();
    if let Some(s) = shared {
        z.start_file("xl/sharedStrings.xml", o).unwrap();
        z.write_all(s.as_bytes()).unwrap();
    }
    z.start_file("xl/worksheets/sheet1.xml", o).unwrap();
    write!(
        z,
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}"#
    )
    .unwrap();
    more(&mut z);
    z.write_all(b"</sheetData></worksheet>").unwrap();
    z.finish().unwrap().into_inner()
}

fn workbook(dimension: &str, rows: &str) -> Vec<u8> {
    workbook_with(dimension, rows, &mut |_| {}, None)
}

fn read(bytes: &[u8]) -> Result<Parsed, ImportError> {
    read_xlsx(Cursor::new(bytes), &options(), &mut |_| {})
}

/// The error, rendered in both languages with no placeholder left.
fn refused(bytes: &[u8]) -> ImportError {
    let e = match read(bytes) {
        Ok(p) => panic!("read: {} rows, errors {:?}", p.rows, p.errors),
        Err(e) => e,
    };
    for lang in [Lang::Zh, Lang::En] {
        let t = e.render(lang);
        assert!(!t.contains('{') && t.len() < 400, "{t}");
    }
    assert_ne!(e.render(Lang::Zh), e.render(Lang::En));
    e
}

#[test]
fn a_well_formed_hand_written_workbook_reads() {
    let p = read(&workbook("A1:D2", &good_rows())).unwrap();
    assert_eq!((p.rows, p.records.len(), p.errors.len()), (1, 1, 0), "{:?}", p.errors);
}

/// One cell at `XFD1048576` (a legal address) in a 2 KB file made calamine allocate the
/// whole rectangle (512 GiB) and abort; read cell by cell it is one cell, outside the 256
/// columns that can be imported.
#[test]
fn one_cell_at_the_last_address_is_one_cell_and_refused() {
    let rows = good_rows() + &format!(r#"<row r="1048576">{}</row>"#, text("XFD1048576", "x"));
    let bytes = workbook("A1:XFD1048576", &rows);
    assert!(bytes.len() < 2048, "{} bytes", bytes.len());
    assert_eq!(refused(&bytes), ImportError::CellOutOfRange { cell: "XFD1048576".into() });
    // The same address holding nothing costs nothing and is no error.
    let rows = good_rows() + r#"<row r="1048576"><c r="XFD1048576" s="1"/></row>"#;
    assert_eq!(read(&workbook("A1:XFD1048576", rows.as_str())).unwrap().records.len(), 1);
}

/// A legal `J4999999` cell in a 17 KB file cost 4.8 GB; rows past Excel's 1,048,576 are
/// refused, as are rows numbered past `u32` and absurd column names, without allocating.
#[test]
fn cells_past_the_last_row_or_column_are_refused_without_allocating() {
    let rows = good_rows() + &format!(r#"<row r="4999999">{}</row>"#, text("J4999999", "1"));
    assert_eq!(
        refused(&workbook("A1:J4999999", &rows)),
        ImportError::CellOutOfRange { cell: "J4999999".into() }
    );
    // A row number near u32::MAX on the row, cells without addresses.
    let rows = good_rows() + r#"<row r="4000000000"><c t="inlineStr"><is><t>x</t></is></c></row>"#;
    assert_eq!(refused(&workbook("A1", &rows)), ImportError::CellOutOfRange { cell: "A4000000000".into() });
    // A column name of 30 letters: its number overflows; it is refused either way, as
    // damaged, out of range or as a value under no header, never read as a huge rectangle.
    let rows = good_rows() + &format!(r#"<row r="3">{}</row>"#, text(&format!("{}3", "Z".repeat(30)), "x"));
    match read(&workbook("A1:D3", &rows)) {
        Err(ImportError::CellOutOfRange { .. } | ImportError::Damaged | ImportError::Workbook { .. }) => {}
        Ok(p) => assert!(!p.errors.is_empty(), "{p:?}"),
        Err(e) => panic!("{e:?}"),
    }
}

/// A workbook whose second header cell names shared string 7 of 1.
fn damaged() -> Vec<u8> {
    let shared = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>uscc</t></si></sst>"#;
    let rows = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>7</v></c></row>"#;
    workbook_with("A1:B1", rows, &mut |_| {}, Some(shared))
}

/// A shared-string index past the end panicked inside calamine (`cells_reader.rs:358`)
/// and the raw English panic reached the user: it is a damaged workbook now. The same
/// bytes are `tests/data/damaged.xlsx`, which `tests/cli_import.rs` imports with the
/// binary (written when missing, rewritten with `UPDATE_EXPECT=1`).
#[test]
fn a_shared_string_index_out_of_range_is_a_damaged_workbook() {
    let bytes = damaged();
    let fixture = super::data("damaged.xlsx");
    if !fixture.exists() || std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&fixture, &bytes).unwrap();
    }
    assert_eq!(
        std::fs::read(&fixture).unwrap(),
        bytes,
        "tests/data/damaged.xlsx is not what this test builds"
    );
    let e = refused(&bytes);
    assert_eq!(e, ImportError::Damaged);
    assert!(e.render(Lang::Zh).contains("已损坏") && e.render(Lang::En).contains("damaged"));
    // The reader is usable again afterwards, on the same thread.
    assert_eq!(read(&workbook("A1:D2", &good_rows())).unwrap().records.len(), 1);
}

/// A `<dimension>` whose end is before its start (`A1999999:B2`) overflowed calamine's
/// arithmetic: a panic in debug builds, "the file is empty" in release. The dimension is
/// only a claim; the cells are read, alike in both builds.
#[test]
fn a_dimension_that_overflows_is_ignored() {
    let p = read(&workbook("A1999999:B2", &good_rows())).unwrap();
    assert_eq!(p.records.len(), 1);
    let p = read(&workbook("A4294967295:XFD1", &good_rows())).unwrap();
    assert_eq!(p.records.len(), 1);
}

/// Rows out of order are not what Excel writes: a damaged workbook, not a silent merge.
#[test]
fn rows_out_of_order_are_a_damaged_workbook() {
    let rows =
        good_rows() + &format!(r#"<row r="3">{}</row><row r="2">{}</row>"#, text("A3", "x"), text("A2", "y"));
    assert_eq!(refused(&workbook("A1:D3", &rows)), ImportError::Damaged);
}

/// Sets the uncompressed size that `zip` declares for `name` (local header and central
/// directory) to `size`: an archive that lies about what it inflates to.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let name = name.as_bytes();
    let mut patched = 0;
    for p in 0..zip.len().saturating_sub(name.len()) {
        if &zip[p..p + name.len()] != name {
            continue;
        }
        if p >= 30 && zip[p - 30..p - 26] == [0x50, 0x4b, 0x03, 0x04] {
            zip[p - 30 + 22..p - 30 + 26].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        } else if p >= 46 && zip[p - 46..p - 42] == [0x50, 0x4b, 0x01, 0x02] {
            zip[p - 46 + 24..p - 46 + 28].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
}

/// A 294 KB workbook that inflated to 300 MB (the sheet) cost 594 MB. Here 3 MB (fast
/// compression) inflate to 300 MiB: the archive is inflated once into nothing first, and
/// refused past 256 MiB: by the sizes it declares or, when it lies about them, by counting.
#[test]
fn a_workbook_that_inflates_past_256_mib_is_refused() {
    // Markup every MiB (a longer stretch without any is refused on its own), spaces between.
    let chunk = format!("<x/>{}", " ".repeat((1 << 20) - 4));
    let mut bytes = workbook_with(
        "A1:D2",
        &good_rows(),
        &mut |w| {
            for _ in 0..300 {
                w.write_all(chunk.as_bytes()).unwrap();
            }
        },
        None,
    );
    assert!(bytes.len() < 4 << 20, "{} bytes", bytes.len());
    let e = refused(&bytes);
    assert_eq!(e, ImportError::Inflated { limit_mib: 256, shared_strings: false });
    assert!(e.render(Lang::Zh).contains("256 MiB") && e.render(Lang::En).contains("CSV UTF-8"));
    declare_size(&mut bytes, "xl/worksheets/sheet1.xml", 1000);
    assert_eq!(refused(&bytes), ImportError::Inflated { limit_mib: 256, shared_strings: false });
}

/// The shared strings are held in memory whole: at most 64 MiB of them.
#[test]
fn shared_strings_past_64_mib_are_refused() {
    let one = "<si><t>惠企</t></si>";
    let shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>"#,
        one.repeat((65 << 20) / one.len())
    );
    let e = refused(&workbook_with("A1:D2", &good_rows(), &mut |_| {}, Some(&shared)));
    assert_eq!(e, ImportError::Inflated { limit_mib: 64, shared_strings: true });
}

/// calamine buffers a text or a tag whole; Excel's cells hold at most 32,767 characters:
/// more than 1 MiB between two `<` is refused before anything is buffered.
#[test]
fn a_run_of_more_than_1_mib_without_markup_is_refused() {
    let rows = good_rows() + &format!(r#"<row r="3"><c r="A3"><v>{}</v></c></row>"#, "1".repeat(2 << 20));
    assert_eq!(refused(&workbook("A1:D3", &rows)), ImportError::LongRun { limit_mib: 1 });
    // Just under the limit is read (and its value judged as a cell).
    let rows = good_rows() + &format!(r#"<row r="3"><c r="E3"><v>{}</v></c></row>"#, "1".repeat(1 << 19));
    let p = read(&workbook("A1:E3", &rows)).unwrap();
    assert!(p.errors.iter().any(|e| e.reason.key == "import.no_header"), "{:?}", p.errors);
}

/// calamine's own error may quote the file: the message quotes at most 200 characters.
#[test]
fn a_workbook_error_quotes_little_of_the_file() {
    let rows =
        good_rows() + &format!(r#"<row r="3"><c r="A3" t="{}"><v>1</v></c></row>"#, "z".repeat(100_000));
    let e = refused(&workbook("A1:D3", &rows));
    assert!(matches!(e, ImportError::Workbook { .. }), "{e:?}");
}

/// Not a zip at all, or a zip without a workbook: a file error, never a panic.
#[test]
fn not_a_workbook_is_a_file_error() {
    assert!(matches!(refused(b"PK\x03\x04 not really"), ImportError::Workbook { .. }));
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("hello.txt", SimpleFileOptions::default()).unwrap();
    z.write_all(b"hi").unwrap();
    assert!(matches!(refused(&z.finish().unwrap().into_inner()), ImportError::Workbook { .. }));
}
