//! From rows of cells to enterprise records: validation of each cell, the merge of several
//! rows of one enterprise (one per year, say), and the checks across rows.
//!
//! What a record states: a registry field whose column the file lacks is kept as stored
//! ([`enterprise::RecordScope::keep`]), and so is one whose cells are all empty, unless
//! [`Options::clear_empty`] is set (then it is cleared); with that option an empty fact cell
//! of a known year clears the stored fact ([`enterprise::RecordScope::clear`]).
//!
//! Merge rules: an empty registry cell states nothing. A stated value must agree with the
//! value stated by an earlier row of the same enterprise, else the later row is in error
//! naming the field. The required fields (name and both registrations) must be stated by
//! at least one row; the error then points at the enterprise's first row. A fact may be
//! given once per enterprise and year. A record's facts come out sorted by fact id and
//! year, whatever the order of columns and rows.

use crate::Options;
use crate::cells::{self, Cell};
use crate::columns::{Column, Field, Kind};
use crate::error::RowError;
use chrono::NaiveDate;
use enterprise::{
    Enterprise, EnterpriseRecord, FactRecord, FactSource, IndustryCode, RecordScope, TaxCreditRating,
    TaxpayerType, UnifiedCreditCode,
};
use i18n::{Localized, Message};
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// A row as the readers hand it over: cells by column index.
pub(crate) trait RowCells {
    fn len(&self) -> usize;
    fn cell(&self, i: usize) -> Cell<'_>;
}

/// A value stated by a row, remembered with the row for conflict reports.
#[derive(Debug)]
struct Stated<T> {
    value: T,
    row: u32,
}

/// One enterprise being assembled.
#[derive(Debug)]
struct State {
    uscc: UnifiedCreditCode,
    first_row: u32,
    bad: bool,
    /// Fields whose cell was in error in some row: not reported again as missing.
    bad_fields: u32,
    name: Option<Stated<String>>,
    registered: Option<Stated<bool>>,
    tax_registered: Option<Stated<bool>>,
    industry: Option<Stated<IndustryCode>>,
    established: Option<Stated<NaiveDate>>,
    taxpayer: Option<Stated<TaxpayerType>>,
    rating: Option<Stated<TaxCreditRating>>,
    tags: Option<Stated<BTreeSet<String>>>,
    facts: Vec<FactRecord>,
    /// The row of each fact, for duplicate reports.
    fact_rows: Vec<u32>,
    /// Facts stated empty (only with [`Options::clear_empty`]): cleared unless another row
    /// of the enterprise states a value.
    clears: Vec<(&'static str, Option<i32>)>,
}

/// The values one row states.
#[derive(Debug, Default)]
struct RowValues {
    uscc: Option<UnifiedCreditCode>,
    uscc_bad: bool,
    /// Fields (as bits) whose cell was in error.
    bad_fields: u32,
    name: Option<String>,
    registered: Option<bool>,
    tax_registered: Option<bool>,
    industry: Option<IndustryCode>,
    established: Option<NaiveDate>,
    taxpayer: Option<TaxpayerType>,
    rating: Option<TaxCreditRating>,
    tags: Option<BTreeSet<String>>,
    year: Option<i32>,
    year_bad: bool,
    source: Option<FactSource>,
    as_of: Option<NaiveDate>,
}

pub(crate) struct Builder<'o> {
    options: &'o Options,
    columns: Vec<Column>,
    field_cols: Vec<usize>,
    fact_cols: Vec<usize>,
    blank_cols: Vec<usize>,
    states: Vec<State>,
    /// Code (18 ASCII bytes) → index in `states`.
    index: HashMap<[u8; 18], usize, BuildHasherDefault<FxHasher>>,
    /// The errors kept (the first [`Options::max_errors`]).
    errors: Vec<RowError>,
    /// Every error found, kept or not.
    error_count: usize,
    rows: usize,
    scratch: Vec<(usize, FactRecord)>,
    /// Facts stated empty by the current row (only with [`Options::clear_empty`]).
    scratch_clears: Vec<(&'static str, Option<i32>)>,
}

impl<'o> Builder<'o> {
    pub(crate) fn new(options: &'o Options, columns: Vec<Column>) -> Builder<'o> {
        let mut b = Builder {
            options,
            columns: Vec::new(),
            field_cols: Vec::new(),
            fact_cols: Vec::new(),
            blank_cols: Vec::new(),
            states: Vec::new(),
            index: HashMap::default(),
            errors: Vec::new(),
            error_count: 0,
            rows: 0,
            scratch: Vec::new(),
            scratch_clears: Vec::new(),
        };
        for c in columns {
            b.add_column(c);
        }
        b
    }

    /// Adds a column (JSON lines discover theirs as they go); returns its index.
    pub(crate) fn add_column(&mut self, c: Column) -> usize {
        let i = self.columns.len();
        match c.kind {
            Kind::Field(_) => self.field_cols.push(i),
            Kind::Fact { .. } => self.fact_cols.push(i),
            Kind::Blank => self.blank_cols.push(i),
        }
        self.columns.push(c);
        i
    }

    pub(crate) fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Makes room for about `enterprises` more enterprises, so the tables do not grow
    /// (and copy) step by step on a large file.
    pub(crate) fn reserve(&mut self, enterprises: usize) {
        self.states.reserve(enterprises);
        self.index.reserve(enterprises);
    }

    /// Records a problem that concerns the row as a whole (bad JSON, wrong field count).
    pub(crate) fn row_error(&mut self, row: usize, column: &str, value: String, reason: Message) {
        self.push_error(RowError { row, column: column.to_string(), value, reason });
    }

    /// Counts an error, hands it to the options' error log, and keeps it if fewer than
    /// [`Options::max_errors`] are kept: a file whose every row fails costs the first errors'
    /// memory, not a million's.
    fn push_error(&mut self, e: RowError) {
        self.error_count += 1;
        if let Some(log) = &self.options.log {
            log.record(&e);
        }
        if self.errors.len() < self.options.max_errors {
            self.errors.push(e);
        }
    }

    /// Counts a row that could not be read at all (it is in error).
    pub(crate) fn count_row(&mut self) {
        self.rows += 1;
    }

    fn err(&mut self, row: usize, col: usize, cell: &Cell, reason: Message) {
        let column = self.columns[col].header.clone();
        self.push_error(RowError { row, column, value: cell.display(), reason });
    }

    /// Validates one row and merges it into its enterprise. Rows with no content are
    /// skipped and not counted.
    pub(crate) fn row<R: RowCells>(&mut self, row: usize, r: &R) {
        let n = r.len().min(self.columns.len());
        if (0..n).all(|i| r.cell(i).is_empty()) {
            return;
        }
        self.rows += 1;
        let errors_before = self.error_count;
        let mut v = RowValues::default();
        let mut seen: u32 = 0;

        for k in 0..self.blank_cols.len() {
            let i = self.blank_cols[k];
            let c = cell_at(r, i);
            if !c.is_empty() {
                self.err(row, i, &c, Message::new("import.no_header"));
            }
        }
        for k in 0..self.field_cols.len() {
            let i = self.field_cols[k];
            let c = cell_at(r, i);
            let Kind::Field(f) = self.columns[i].kind else { continue };
            if c.is_empty() {
                continue;
            }
            let bit = 1u32 << (f as u32);
            if seen & bit != 0 {
                let other = self
                    .field_cols
                    .iter()
                    .find(|&&j| j != i && self.columns[j].kind == Kind::Field(f))
                    .map(|&j| self.columns[j].header.clone())
                    .unwrap_or_default();
                self.err(row, i, &c, Message::new("import.duplicate_cell").arg("other", other));
                continue;
            }
            seen |= bit;
            if let Err(m) = read_field(f, &c, &mut v) {
                v.bad_fields |= bit;
                match f {
                    Field::Year => v.year_bad = true,
                    Field::Uscc => v.uscc_bad = true,
                    _ => {}
                }
                self.err(row, i, &c, m);
            }
        }

        if v.uscc.is_none() && !v.uscc_bad {
            let column = self.header_of(Field::Uscc);
            self.push_error(RowError {
                row,
                column,
                value: String::new(),
                reason: Message::new("import.required"),
            });
        }

        // Facts, once the row's year, source and date are known.
        let row_year = v.year.or(self.options.default_year);
        let source = v.source.unwrap_or(self.options.source);
        let as_of = v.as_of.unwrap_or(self.options.as_of);
        self.scratch.clear();
        self.scratch_clears.clear();
        for k in 0..self.fact_cols.len() {
            let i = self.fact_cols[k];
            let c = cell_at(r, i);
            if c.is_empty() {
                if self.options.clear_empty
                    && let Kind::Fact { fact, year } = self.columns[i].kind
                {
                    // An empty cell clears the fact of its year, when the year is known.
                    match (fact.per_year, year.or(row_year)) {
                        (false, _) => self.scratch_clears.push((fact.id.as_str(), None)),
                        (true, Some(y)) => self.scratch_clears.push((fact.id.as_str(), Some(y))),
                        (true, None) => {}
                    }
                }
                continue;
            }
            let Kind::Fact { fact, year } = self.columns[i].kind else { continue };
            let year = if fact.per_year {
                match year.or(row_year) {
                    Some(y) => Some(y),
                    None => {
                        if !v.year_bad {
                            let column = self.columns[i].header.clone();
                            self.err(row, i, &c, Message::new("import.no_year").arg("column", column));
                        }
                        continue;
                    }
                }
            } else {
                None
            };
            match cells::fact(fact, &c) {
                Ok(value) => {
                    self.scratch.push((i, FactRecord { fact: fact.id.clone(), year, value, source, as_of }))
                }
                Err(m) => self.err(row, i, &c, m),
            }
        }

        let row_bad = self.error_count > errors_before;
        if let Some(uscc) = v.uscc.take() {
            self.merge(row, uscc, v, row_bad);
        }
    }

    /// The header of a field's column as written, or its canonical English name.
    fn header_of(&self, f: Field) -> String {
        self.columns
            .iter()
            .find(|c| c.kind == Kind::Field(f))
            .map(|c| c.header.clone())
            .unwrap_or_else(|| f.english().to_string())
    }

    fn merge(&mut self, row: usize, uscc: UnifiedCreditCode, v: RowValues, row_bad: bool) {
        let key = code_key(uscc.as_str());
        let idx = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.states.len();
                self.index.insert(key, i);
                self.states.push(State {
                    uscc,
                    first_row: row32(row),
                    bad: false,
                    bad_fields: 0,
                    name: None,
                    registered: None,
                    tax_registered: None,
                    industry: None,
                    established: None,
                    taxpayer: None,
                    rating: None,
                    tags: None,
                    facts: Vec::with_capacity(self.scratch.len()),
                    fact_rows: Vec::with_capacity(self.scratch.len()),
                    clears: Vec::new(),
                });
                i
            }
        };
        let mut conflicts: Vec<Conflict> = Vec::new();
        {
            let s = &mut self.states[idx];
            s.bad |= row_bad;
            s.bad_fields |= v.bad_fields;
            agree(&mut s.name, v.name, row, Field::Name, &mut conflicts, |x| x.clone());
            agree(&mut s.registered, v.registered, row, Field::RegisteredInZone, &mut conflicts, show_bool);
            agree(
                &mut s.tax_registered,
                v.tax_registered,
                row,
                Field::TaxRegisteredInZone,
                &mut conflicts,
                show_bool,
            );
            agree(&mut s.industry, v.industry, row, Field::IndustryCode, &mut conflicts, |x| x.to_string());
            agree(&mut s.established, v.established, row, Field::EstablishedOn, &mut conflicts, |x| {
                x.to_string()
            });
            agree(&mut s.taxpayer, v.taxpayer, row, Field::TaxpayerType, &mut conflicts, |x| {
                x.label_zh().to_string()
            });
            agree(&mut s.rating, v.rating, row, Field::TaxCreditRating, &mut conflicts, |x| {
                x.as_str().to_string()
            });
            agree(&mut s.tags, v.tags, row, Field::Tags, &mut conflicts, |x| {
                x.iter().cloned().collect::<Vec<_>>().join(";")
            });
        }
        for Conflict { field, first_row, first_value, value } in conflicts {
            let column = self.header_of(field);
            self.push_error(RowError {
                row,
                column: column.clone(),
                value,
                reason: Message::new("import.conflict")
                    .arg("field", column)
                    .arg("first_row", first_row)
                    .arg("first_value", first_value),
            });
            self.states[idx].bad = true;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        for (col, fr) in scratch.drain(..) {
            let s = &self.states[idx];
            let dup = s.facts.iter().position(|x| x.fact == fr.fact && x.year == fr.year);
            match dup {
                Some(p) => {
                    let first_row = s.fact_rows[p];
                    let reason = match fr.year {
                        Some(y) => {
                            Message::new("import.duplicate_fact").arg("year", y).arg("first_row", first_row)
                        }
                        None => Message::new("import.duplicate_scalar").arg("first_row", first_row),
                    };
                    let column = self.columns[col].header.clone();
                    self.push_error(RowError { row, column, value: fr.value.to_text(), reason });
                    self.states[idx].bad = true;
                }
                None => {
                    let s = &mut self.states[idx];
                    s.facts.push(fr);
                    s.fact_rows.push(row32(row));
                }
            }
        }
        self.scratch = scratch;
        if !self.scratch_clears.is_empty() {
            let s = &mut self.states[idx];
            for c in self.scratch_clears.drain(..) {
                if !s.clears.contains(&c) {
                    s.clears.push(c);
                }
            }
        }
    }

    /// The records of error-free enterprises, in order of first appearance, and every
    /// error, by row.
    pub(crate) fn finish(mut self) -> (usize, Vec<EnterpriseRecord>, Vec<RowError>) {
        let mut records = Vec::with_capacity(self.states.len());
        let states = std::mem::take(&mut self.states);
        // Each optional registry field: its dictionary id, and whether the file has its column.
        let optional = [
            Field::IndustryCode,
            Field::EstablishedOn,
            Field::TaxpayerType,
            Field::TaxCreditRating,
            Field::Tags,
        ]
        .map(|f| {
            let present = self.field_cols.iter().any(|&i| self.columns[i].kind == Kind::Field(f));
            (f.id().unwrap_or_default(), present)
        });
        for s in states {
            let mut missing = Vec::new();
            for (f, stated) in [
                (Field::Name, s.name.is_some()),
                (Field::RegisteredInZone, s.registered.is_some()),
                (Field::TaxRegisteredInZone, s.tax_registered.is_some()),
            ] {
                if !stated && s.bad_fields & (1 << f as u32) == 0 {
                    missing.push(f);
                }
            }
            for f in &missing {
                let column = self.header_of(*f);
                self.push_error(RowError {
                    row: s.first_row as usize,
                    column,
                    value: String::new(),
                    reason: Message::new("import.required"),
                });
            }
            if s.bad || s.bad_fields != 0 || !missing.is_empty() {
                continue;
            }
            let mut facts = s.facts;
            // A canonical order, whatever the order of columns and rows.
            facts.sort_by(|a, b| (&a.fact, a.year).cmp(&(&b.fact, b.year)));
            let (Some(name), Some(registered), Some(tax_registered)) =
                (s.name, s.registered, s.tax_registered)
            else {
                continue;
            };
            // What the record states: a registry field whose column the file lacks is kept as
            // stored; one whose cells are all empty too, unless empty cells clear.
            let mut keep = BTreeSet::new();
            let stated = [
                s.industry.is_some(),
                s.established.is_some(),
                s.taxpayer.is_some(),
                s.rating.is_some(),
                s.tags.is_some(),
            ];
            for ((id, present), stated) in optional.iter().zip(stated) {
                if !stated && (!present || !self.options.clear_empty) && !id.is_empty() {
                    keep.insert((*id).to_string());
                }
            }
            let clear: Vec<(String, Option<i32>)> = s
                .clears
                .into_iter()
                .filter(|(fact, year)| !facts.iter().any(|f| f.fact == *fact && f.year == *year))
                .map(|(fact, year)| (fact.to_string(), year))
                .collect();
            records.push(EnterpriseRecord {
                enterprise: Enterprise {
                    uscc: s.uscc,
                    name: name.value,
                    registered_in_zone: registered.value,
                    tax_registered_in_zone: tax_registered.value,
                    industry_code: s.industry.map(|x| x.value),
                    established_on: s.established.map(|x| x.value),
                    taxpayer_type: s.taxpayer.map(|x| x.value),
                    tax_credit_rating: s.rating.map(|x| x.value),
                    tags: s.tags.map(|x| x.value).unwrap_or_default(),
                },
                facts,
                scope: RecordScope { keep, clear },
            });
        }
        self.errors.sort_by_key(|e| e.row);
        (self.rows, records, self.errors)
    }
}

/// Row numbers are kept as `u32` in the per-enterprise state to keep it small; a file of
/// more than four billion rows saturates.
fn row32(row: usize) -> u32 {
    u32::try_from(row).unwrap_or(u32::MAX)
}

/// A valid code is exactly 18 ASCII characters: its bytes are the key.
fn code_key(code: &str) -> [u8; 18] {
    let mut k = [0u8; 18];
    for (d, s) in k.iter_mut().zip(code.bytes()) {
        *d = s;
    }
    k
}

/// The Fx hash (rustc's) with a finaliser: fast on short keys. Keys are validated credit codes from a file
/// an administrator imports, so hash flooding is not a concern here.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    /// Mixes the high bits into the low ones (MurmurHash3's finaliser): the table picks
    /// buckets by the low bits, and codes differ in few bit positions.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

fn cell_at<'r, R: RowCells>(r: &'r R, i: usize) -> Cell<'r> {
    if i < r.len() { r.cell(i) } else { Cell::Empty }
}

fn show_bool(b: &bool) -> String {
    if *b { "是".into() } else { "否".into() }
}

/// A registry field stated differently by two rows of one enterprise.
struct Conflict {
    field: Field,
    first_row: u32,
    first_value: String,
    value: String,
}

fn agree<T: PartialEq>(
    slot: &mut Option<Stated<T>>,
    new: Option<T>,
    row: usize,
    field: Field,
    conflicts: &mut Vec<Conflict>,
    show: impl Fn(&T) -> String,
) {
    let Some(new) = new else { return };
    match slot {
        None => *slot = Some(Stated { value: new, row: row32(row) }),
        Some(old) if old.value == new => {}
        Some(old) => conflicts.push(Conflict {
            field,
            first_row: old.row,
            first_value: show(&old.value),
            value: show(&new),
        }),
    }
}

fn read_field(f: Field, c: &Cell, v: &mut RowValues) -> Result<(), Message> {
    match f {
        Field::Uscc => {
            if matches!(c, Cell::Number(_) | Cell::Int(_)) {
                return Err(Message::new("import.uscc_number"));
            }
            let t = c.text()?;
            v.uscc = Some(UnifiedCreditCode::parse(&t).map_err(|e| e.message())?);
        }
        Field::Name => v.name = Some(c.text()?.into_owned()),
        Field::RegisteredInZone => v.registered = Some(cells::boolean(c)?),
        Field::TaxRegisteredInZone => v.tax_registered = Some(cells::boolean(c)?),
        Field::IndustryCode => {
            let t = c.text()?;
            v.industry = Some(IndustryCode::parse(&t).map_err(|e| e.message())?);
        }
        Field::EstablishedOn => v.established = Some(cells::date(c)?),
        Field::TaxpayerType => v.taxpayer = Some(cells::taxpayer_type(c)?),
        Field::TaxCreditRating => v.rating = Some(cells::rating(c)?),
        Field::Tags => v.tags = Some(cells::tags(c)?),
        Field::Year => v.year = Some(cells::year(c)?),
        Field::Source => v.source = Some(cells::source(c)?),
        Field::AsOf => v.as_of = Some(cells::date(c)?),
    }
    Ok(())
}
