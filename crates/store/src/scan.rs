//! The match's data path out of the store (事实扫描): every enterprise's facts in id order, a
//! page at a time, as compact cells a columnar snapshot builder can write straight into its
//! columns, with no record, map or [`enterprise::Facts`] per enterprise.
//!
//! A page covers an id range (`after < id <= through`), read consistently (one read
//! transaction). Its cells carry the stored exact integer form where the fact has one (see
//! [`crate::codec`]: bools 0/1, integers, money in fen, ratios in millionths, dates as days
//! since 1970-01-01) and the canonical text otherwise (codes, texts, tags `;`-joined, and
//! money or ratios with no exact integer form), so reading a page allocates per page, not
//! per value. The registry attributes the rules read as facts (`registered_in_zone`,
//! `industry_code`, `tags`, …, as [`enterprise::Enterprise::scalar_facts`] sets them) come
//! from the enterprise's row as cells of the same shape; a test checks both agree.
//!
//! Which enterprises: with [`ScanRequest::targets_only`], only the assistance targets. That
//! is a domain rule ([`enterprise::assistance_target`]): the backends read its
//! inputs, the credit code and the two registrations, and [`PageWriter`] applies it; no SQL
//! re-derives it.
//!
//! What it leaves out: decoding into the rules' columns (the application's matching use case
//! does that with the fact dictionary's types) and the order of pages (the caller walks the
//! ranges; pages are independent, so it may read the next while it builds the last).

use async_trait::async_trait;
use enterprise::{FactDictionary, FactType, UnifiedCreditCode};
use std::collections::HashMap;

use crate::Result;
use crate::codec::SCALAR_YEAR;

/// What a scan reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanRequest {
    /// The facts wanted, by dictionary id: a cell's [`Cell::fact`] is an index into this list.
    /// Others are skipped.
    pub facts: Vec<String>,
    /// Only assistance targets (帮扶对象); otherwise every enterprise.
    pub targets_only: bool,
}

/// The enterprise ids a scan walks, and how many enterprises there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanBounds {
    pub min_id: i64,
    pub max_id: i64,
    pub count: u64,
}

impl ScanBounds {
    /// The id ranges `(after, through]` of pages of `ids` consecutive ids each, covering
    /// `min_id..=max_id` in order.
    pub fn pages(&self, ids: i64) -> impl Iterator<Item = (i64, i64)> + use<> {
        let ids = ids.max(1);
        let (first, last) = (self.min_id.saturating_sub(1), self.max_id);
        let mut after = first;
        std::iter::from_fn(move || {
            (after < last).then(|| {
                let through = after.saturating_add(ids).min(last);
                let page = (after, through);
                after = through;
                page
            })
        })
    }
}

/// One value of one enterprise in a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// The enterprise's row in the page ([`ScanPage::ids`]).
    pub row: u32,
    /// The fact's index in [`ScanRequest::facts`].
    pub fact: u16,
    /// The year of a per-year fact, [`SCALAR_YEAR`] for a scalar one.
    pub year: i32,
    pub value: CellValue,
}

/// A cell's value: the exact integer form or the canonical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellValue {
    /// Bools 0/1, integers, money in fen, ratios in millionths, dates as days since
    /// 1970-01-01: which one follows from the fact's type.
    Int(i64),
    /// A range of [`ScanPage::text`]: a code or text, tags `;`-joined, or a number that has
    /// no exact integer form (its canonical decimal text).
    Text { start: u32, len: u32 },
}

/// The enterprises of one id range with their facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanPage {
    /// Enterprises in the range, targets or not.
    pub scanned: u64,
    /// The enterprises included, ids ascending: row `i` is `ids[i]`.
    pub ids: Vec<i64>,
    /// Every wanted value present, ordered by row (within a row in no particular order).
    pub cells: Vec<Cell>,
    /// The texts of [`CellValue::Text`] cells, one after another.
    pub text: String,
}

impl ScanPage {
    /// The text of a cell (empty for a number).
    pub fn text_of(&self, v: &CellValue) -> &str {
        match v {
            CellValue::Int(_) => "",
            CellValue::Text { start, len } => {
                let (a, b) = (*start as usize, *start as usize + *len as usize);
                self.text.get(a..b).unwrap_or("")
            }
        }
    }
}

/// The scan in the store.
#[async_trait]
pub trait ScanStore: Send + Sync {
    /// The lowest and highest enterprise ids and the count; `None` when there is none.
    async fn scan_bounds(&self) -> Result<Option<ScanBounds>>;

    /// The enterprises with `after < id <= through` (only assistance targets if asked), in
    /// id order, with the requested facts; one consistent read.
    async fn scan_page(&self, request: &ScanRequest, after: i64, through: i64) -> Result<ScanPage>;

    /// Credit code and name of the enterprises with these ids, as `(id, uscc, name)` in id
    /// order (ids that do not exist are left out): who a list of rows names.
    async fn enterprise_names(&self, ids: &[i64]) -> Result<Vec<(i64, String, String)>>;
}

/// The SQL texts both dialects accept.
pub mod sql {
    /// The registry columns of a page's enterprises, in the order [`super::RegistryRow`]
    /// takes them.
    pub const PAGE_ENTERPRISES: &str = "SELECT id, uscc, name, registered_in_zone, \
        tax_registered_in_zone, industry_code, established_on, taxpayer_type, tax_credit_rating, tags \
        FROM enterprises WHERE id > $1 AND id <= $2 ORDER BY id";
    /// The stored facts of a page's enterprises (in primary-key order on SQLite, where that
    /// order is free).
    pub const PAGE_FACTS: &str = "SELECT enterprise_id, fact, year, value, num FROM enterprise_facts \
        WHERE enterprise_id > $1 AND enterprise_id <= $2 ORDER BY enterprise_id, fact, year";
    pub const BOUNDS: &str = "SELECT min(id), max(id), count(*) FROM enterprises";
}

/// One enterprise's registry columns as a backend reads them (borrowed from its row).
#[derive(Debug, Clone, Copy)]
pub struct RegistryRow<'a> {
    pub id: i64,
    pub uscc: &'a str,
    pub name: &'a str,
    pub registered_in_zone: bool,
    pub tax_registered_in_zone: bool,
    pub industry_code: Option<&'a str>,
    /// Days since 1970-01-01.
    pub established_on: Option<i64>,
    pub taxpayer_type: Option<&'a str>,
    pub tax_credit_rating: Option<&'a str>,
    /// Sorted, `;`-joined.
    pub tags: &'a str,
}

/// The registry attributes that are facts of the dictionary: the twin of
/// [`Enterprise::scalar_facts`] over a row's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registry {
    Uscc,
    Name,
    RegisteredInZone,
    TaxRegisteredInZone,
    IndividualBusiness,
    MarketEntity,
    Tags,
    IndustryCode,
    EstablishedOn,
    TaxpayerType,
    TaxCreditRating,
}

impl Registry {
    fn of(fact: &str) -> Option<Registry> {
        Some(match fact {
            "uscc" => Registry::Uscc,
            "name" => Registry::Name,
            "registered_in_zone" => Registry::RegisteredInZone,
            "tax_registered_in_zone" => Registry::TaxRegisteredInZone,
            "is_individual_business" => Registry::IndividualBusiness,
            "is_market_entity" => Registry::MarketEntity,
            "tags" => Registry::Tags,
            "industry_code" => Registry::IndustryCode,
            "established_on" => Registry::EstablishedOn,
            "taxpayer_type" => Registry::TaxpayerType,
            "tax_credit_rating" => Registry::TaxCreditRating,
            _ => return None,
        })
    }
}

/// A requested stored fact: its index in the request, and whether its `num` column is read
/// (numbers, bools, dates) or its text (codes, tags, texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    pub index: u16,
    pub numeric: bool,
}

/// How a stored fact's row becomes a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    /// The `num` column when present, else the text (money or ratios not exact in it).
    Num,
    /// The `value` column.
    Text,
}

/// Builds a [`ScanPage`] from a backend's rows: first every enterprise of the range
/// ([`PageWriter::enterprise`], ids ascending), then the stored facts in any order
/// ([`PageWriter::fact`]). Shared by both backends, so they include the same enterprises and
/// encode the same cells.
pub struct PageWriter<'r> {
    request: &'r ScanRequest,
    registry: Vec<(u16, Registry)>,
    /// Fact id (its bytes) → (index in the request, how its row is read).
    stored: HashMap<&'r [u8], (u16, Stored)>,
    page: ScanPage,
    /// The row of the last enterprise a fact was written for.
    cursor: usize,
}

impl<'r> PageWriter<'r> {
    pub fn new(request: &'r ScanRequest, dict: &FactDictionary) -> PageWriter<'r> {
        let mut registry = Vec::new();
        let mut stored = HashMap::new();
        for (k, fact) in request.facts.iter().enumerate() {
            let k = u16::try_from(k).unwrap_or(u16::MAX);
            match Registry::of(fact) {
                Some(r) => registry.push((k, r)),
                None => {
                    let how = match dict.get(fact).map(|d| d.ty) {
                        Some(
                            FactType::Bool
                            | FactType::Integer
                            | FactType::Money
                            | FactType::Ratio
                            | FactType::Date,
                        ) => Stored::Num,
                        _ => Stored::Text,
                    };
                    stored.insert(fact.as_bytes(), (k, how));
                }
            }
        }
        PageWriter { request, registry, stored, page: ScanPage::default(), cursor: 0 }
    }

    /// Adds one enterprise of the range (in id order); returns whether it is included.
    pub fn enterprise(&mut self, e: &RegistryRow<'_>) -> bool {
        self.page.scanned += 1;
        if self.request.targets_only
            && !enterprise::assistance_target(e.uscc, e.registered_in_zone, e.tax_registered_in_zone)
        {
            return false;
        }
        let row = self.page.ids.len() as u32;
        self.page.ids.push(e.id);
        for k in 0..self.registry.len() {
            let (fact, r) = self.registry[k];
            let value = match r {
                Registry::Uscc => Some(self.text(e.uscc)),
                Registry::Name => Some(self.text(e.name)),
                Registry::RegisteredInZone => Some(CellValue::Int(i64::from(e.registered_in_zone))),
                Registry::TaxRegisteredInZone => Some(CellValue::Int(i64::from(e.tax_registered_in_zone))),
                Registry::IndividualBusiness => {
                    Some(CellValue::Int(i64::from(UnifiedCreditCode::is_individual_business_code(e.uscc))))
                }
                Registry::MarketEntity => {
                    Some(CellValue::Int(i64::from(UnifiedCreditCode::is_market_entity_code(e.uscc))))
                }
                Registry::Tags => Some(self.text(e.tags)),
                Registry::IndustryCode => e.industry_code.map(|c| self.text(c)),
                Registry::EstablishedOn => e.established_on.map(CellValue::Int),
                Registry::TaxpayerType => e.taxpayer_type.map(|t| self.text(t)),
                Registry::TaxCreditRating => e.tax_credit_rating.map(|t| self.text(t)),
            };
            if let Some(value) = value {
                self.page.cells.push(Cell { row, fact, year: SCALAR_YEAR, value });
            }
        }
        true
    }

    /// Whether stored facts named `fact` (its bytes, so that a backend need not check them as
    /// UTF-8) are requested, and how their rows are read: ask before reading the rest of a row.
    pub fn wanted(&self, fact: &[u8]) -> Option<Wanted> {
        self.stored.get(fact).map(|&(index, how)| Wanted { index, numeric: how == Stored::Num })
    }

    /// Adds a wanted stored fact by its exact integer form (the `num` column; only when
    /// [`Wanted::numeric`] and the column is not NULL). Facts may come in any order; one of an
    /// enterprise not included is skipped.
    pub fn push_num(&mut self, w: Wanted, enterprise_id: i64, year: i32, num: i64) {
        if let Some(row) = self.row_of(enterprise_id) {
            self.page.cells.push(Cell { row, fact: w.index, year, value: CellValue::Int(num) });
        }
    }

    /// Adds a wanted stored fact by its canonical text (the `value` column).
    pub fn push_text(&mut self, w: Wanted, enterprise_id: i64, year: i32, value: &str) {
        if let Some(row) = self.row_of(enterprise_id) {
            let value = self.text(value);
            self.page.cells.push(Cell { row, fact: w.index, year, value });
        }
    }

    /// Adds one stored fact row: [`PageWriter::wanted`], then the number or the text. A fact not requested, or of an enterprise not included, is skipped.
    pub fn fact(&mut self, enterprise_id: i64, fact: &str, year: i32, value: &str, num: Option<i64>) {
        let Some(w) = self.wanted(fact.as_bytes()) else { return };
        match num {
            Some(n) if w.numeric => self.push_num(w, enterprise_id, year, n),
            _ => self.push_text(w, enterprise_id, year, value),
        }
    }

    /// The page row of an included enterprise. Facts usually come in id order, so the row of
    /// the last one is tried first, then a binary search (a backend need not sort them: on
    /// PostgreSQL the sort of a page spilled to disk and cost more than the scan).
    fn row_of(&mut self, enterprise_id: i64) -> Option<u32> {
        let ids = &self.page.ids;
        if ids.get(self.cursor) != Some(&enterprise_id) {
            self.cursor = ids.binary_search(&enterprise_id).ok()?;
        }
        Some(self.cursor as u32)
    }

    /// Whether any requested fact is a stored one (not a registry column): if not, a backend
    /// need not read `enterprise_facts` at all.
    pub fn wants_stored_facts(&self) -> bool {
        !self.stored.is_empty()
    }

    /// The page written, its cells ordered by row (a stable counting sort: the registry
    /// cells were written with their enterprise, the stored facts after all of them).
    pub fn finish(mut self) -> ScanPage {
        let rows = self.page.ids.len();
        let mut start = vec![0usize; rows + 1];
        for c in &self.page.cells {
            start[c.row as usize + 1] += 1;
        }
        for r in 0..rows {
            start[r + 1] += start[r];
        }
        let mut sorted =
            vec![Cell { row: 0, fact: 0, year: 0, value: CellValue::Int(0) }; self.page.cells.len()];
        for c in &self.page.cells {
            let at = &mut start[c.row as usize];
            sorted[*at] = *c;
            *at += 1;
        }
        self.page.cells = sorted;
        self.page
    }

    fn text(&mut self, s: &str) -> CellValue {
        let start = self.page.text.len() as u32;
        self.page.text.push_str(s);
        CellValue::Text { start, len: s.len() as u32 }
    }
}

/// Days since 1970-01-01 of a stored `YYYY-MM-DD`, or `None` if it is not one. Read digit by
/// digit: a page reads one per enterprise, and chrono's format parser cost more than the row.
pub fn days_of_text(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    Some(crate::codec::days_since_epoch(date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use enterprise::{Enterprise, FactValue, Facts, IndustryCode, TaxCreditRating, TaxpayerType};

    fn request(facts: &[&str], targets_only: bool) -> ScanRequest {
        ScanRequest { facts: facts.iter().map(|s| s.to_string()).collect(), targets_only }
    }

    /// The cells of a page decoded back into facts, as the rules read them.
    fn decode(page: &ScanPage, req: &ScanRequest, row: u32) -> Facts {
        let dict = FactDictionary::official();
        let mut f = Facts::default();
        for c in page.cells.iter().filter(|c| c.row == row) {
            let fact = &req.facts[c.fact as usize];
            let ty = dict.get(fact).map(|d| d.ty).unwrap_or(FactType::Text);
            let v = match (ty, c.value) {
                (FactType::Bool, CellValue::Int(n)) => FactValue::Bool(n != 0),
                (FactType::Date, CellValue::Int(n)) => {
                    FactValue::Date(chrono::NaiveDate::default() + chrono::Duration::days(n))
                }
                (FactType::Integer, CellValue::Int(n)) => FactValue::Integer(n),
                (FactType::Money, CellValue::Int(n)) => FactValue::Money(rust_decimal::Decimal::new(n, 2)),
                (_, v) => FactValue::parse_text(ty, page.text_of(&v)).unwrap(),
            };
            if c.year == SCALAR_YEAR { f.set(fact, v) } else { f.set_year(fact, c.year, v) }
        }
        f
    }

    #[test]
    fn registry_cells_are_the_scalar_facts_of_the_enterprise() {
        let e = Enterprise {
            uscc: UnifiedCreditCode::from_parts('9', '2', "430100", "00000042").unwrap(),
            name: "个体户".into(),
            registered_in_zone: true,
            tax_registered_in_zone: true,
            industry_code: Some(IndustryCode::parse("C3511").unwrap()),
            established_on: chrono::NaiveDate::from_ymd_opt(2019, 5, 1),
            taxpayer_type: Some(TaxpayerType::SmallScale),
            tax_credit_rating: Some(TaxCreditRating::B),
            tags: ["专精特新".to_string(), "高新技术企业".to_string()].into(),
        };
        let mut want = Facts::default();
        e.scalar_facts(&mut want);
        let every: Vec<&str> = want.scalar.keys().map(String::as_str).collect();
        assert_eq!(every.len(), 11, "every registry fact of the dictionary: {every:?}");
        let req = request(&every, true);
        let mut w = PageWriter::new(&req, FactDictionary::official());
        let enc = crate::codec::EncodedEnterprise::new(&e);
        let row = RegistryRow {
            id: 7,
            uscc: &enc.uscc,
            name: &enc.name,
            registered_in_zone: enc.registered_in_zone,
            tax_registered_in_zone: enc.tax_registered_in_zone,
            industry_code: enc.industry_code.as_deref(),
            established_on: enc.established_on.map(crate::codec::days_since_epoch),
            taxpayer_type: enc.taxpayer_type,
            tax_credit_rating: enc.tax_credit_rating,
            tags: &enc.tags,
        };
        assert!(w.enterprise(&row));
        let page = w.finish();
        assert_eq!(page.ids, vec![7]);
        assert_eq!(decode(&page, &req, 0), want);
    }

    #[test]
    fn only_targets_are_included_when_asked_and_facts_follow_their_enterprise() {
        let req = request(&["registered_in_zone", "revenue", "taxpayer_type"], true);
        let mut w = PageWriter::new(&req, FactDictionary::official());
        let row = |id, a, b| RegistryRow {
            id,
            uscc: "91430100000000001X",
            name: "n",
            registered_in_zone: a,
            tax_registered_in_zone: b,
            industry_code: None,
            established_on: None,
            taxpayer_type: None,
            tax_credit_rating: None,
            tags: "",
        };
        assert!(w.enterprise(&row(1, true, true)));
        assert!(!w.enterprise(&row(2, true, false)), "tax-registered elsewhere: not a target");
        assert!(w.enterprise(&row(3, true, true)));
        // In any order (PostgreSQL does not sort a page's facts).
        w.fact(3, "revenue", 2021, "0.001", None);
        w.fact(1, "revenue", 2021, "100.5", Some(10_050));
        w.fact(1, "employees", 2021, "3", Some(3));
        w.fact(2, "revenue", 2021, "7", Some(700));
        // A registry attribute comes from the enterprise's row, never from a stored fact.
        w.fact(3, "taxpayer_type", SCALAR_YEAR, "general", None);
        let page = w.finish();
        assert!(page.cells.windows(2).all(|w| w[0].row <= w[1].row), "cells by row");
        assert_eq!((page.scanned, page.ids.clone()), (3, vec![1, 3]));
        let stored: Vec<(u32, u16, CellValue)> =
            page.cells.iter().filter(|c| c.fact != 0).map(|c| (c.row, c.fact, c.value)).collect();
        assert_eq!(stored.len(), 2, "{stored:?}");
        assert_eq!((stored[0].0, stored[0].2), (0, CellValue::Int(10_050)));
        assert_eq!((stored[1].0, page.text_of(&stored[1].2)), (1, "0.001"), "not exact in fen: the text");
        let all = request(&["registered_in_zone"], false);
        let mut w = PageWriter::new(&all, FactDictionary::official());
        assert!(w.enterprise(&row(2, true, false)), "every enterprise when targets are not asked for");
    }

    #[test]
    fn pages_cover_the_id_range_in_order() {
        let b = ScanBounds { min_id: 1, max_id: 10, count: 10 };
        assert_eq!(b.pages(4).collect::<Vec<_>>(), vec![(0, 4), (4, 8), (8, 10)]);
        let one = ScanBounds { min_id: 5, max_id: 5, count: 1 };
        assert_eq!(one.pages(100).collect::<Vec<_>>(), vec![(4, 5)]);
    }

    #[test]
    fn stored_dates_read_as_days() {
        assert_eq!(days_of_text("1970-01-02"), Some(1));
        assert_eq!(days_of_text("2022-04-27"), Some(19_109));
        assert_eq!(days_of_text("27/04/2022"), None);
        assert_eq!(days_of_text("2022-02-30"), None);
        assert_eq!(days_of_text("2022-4-27"), None);
    }
}
