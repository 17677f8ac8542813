//! Column names: from a header cell (Chinese or English) to the field or fact it carries.
//!
//! Registry fields, their names (id, aliases, Chinese label) and which are required come
//! from the fact dictionary (`registry = true`, `required`); the row attributes year, source
//! and as-of are fixed ([`ROW_FIELDS`]). Every fact of the dictionary that is not a registry
//! field and not derived is a column too, under its id and its Chinese label, so a new fact
//! in `data/facts.toml` needs no code change here. A per-year fact column may
//! carry its year in its name: `revenue_2021`, `营业收入_2021`, `营业收入(2021)`,
//! `营业收入（2021年）`.

use crate::error::ImportError;
use enterprise::{FactDef, FactDictionary, FactSource};
use std::collections::HashMap;

/// A registry field or row attribute with a fixed column name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Uscc,
    Name,
    RegisteredInZone,
    TaxRegisteredInZone,
    IndustryCode,
    EstablishedOn,
    TaxpayerType,
    TaxCreditRating,
    Tags,
    Year,
    Source,
    AsOf,
}

/// The row attributes: field, English name, Chinese names. They are not facts of an
/// enterprise but of the row (which year, which source, as of when).
pub(crate) const ROW_FIELDS: &[(Field, &str, &[&str])] = &[
    (Field::Year, "year", &["年度"]),
    (Field::Source, "source", &["数据来源"]),
    (Field::AsOf, "as_of", &["数据日期"]),
];

impl Field {
    /// The field of a registry fact of the dictionary (`registry = true`), by its id: how the
    /// importer reads each registry field's cells. Which registry fields exist, their column
    /// names and which are required come from the dictionary; a test checks that every
    /// registry field has a reader here.
    pub(crate) fn of_registry(id: &str) -> Option<Field> {
        Some(match id {
            "uscc" => Field::Uscc,
            "name" => Field::Name,
            "registered_in_zone" => Field::RegisteredInZone,
            "tax_registered_in_zone" => Field::TaxRegisteredInZone,
            "industry_code" => Field::IndustryCode,
            "established_on" => Field::EstablishedOn,
            "taxpayer_type" => Field::TaxpayerType,
            "tax_credit_rating" => Field::TaxCreditRating,
            "tags" => Field::Tags,
            _ => return None,
        })
    }

    /// The dictionary entry of a registry field (`None` for a row attribute).
    pub(crate) fn def(self) -> Option<&'static FactDef> {
        FactDictionary::official().registry_fields().find(|d| Field::of_registry(&d.id) == Some(self))
    }

    /// The dictionary id of a registry field (`None` for a row attribute).
    pub(crate) fn id(self) -> Option<&'static str> {
        self.def().map(|d| d.id.as_str())
    }

    pub(crate) fn english(self) -> &'static str {
        match self.def() {
            Some(d) => d.id.as_str(),
            None => ROW_FIELDS.iter().find(|f| f.0 == self).map(|f| f.1).unwrap_or(""),
        }
    }
}

/// What a column carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Field(Field),
    /// A dictionary fact; `year` when the column name carries it.
    Fact {
        fact: &'static FactDef,
        year: Option<i32>,
    },
    /// A header cell left empty: its cells must be empty too.
    Blank,
}

/// One column of the file.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// The header cell as written (trimmed).
    pub header: String,
    pub kind: Kind,
}

/// Resolves column names. Built once per file.
pub(crate) struct Names {
    /// Normalised name → kind, years excluded.
    exact: HashMap<String, Kind>,
    /// Every accepted name, for hints.
    all: Vec<String>,
}

impl Names {
    pub(crate) fn new(dict: &'static FactDictionary) -> Names {
        let mut exact = HashMap::new();
        let mut all = Vec::new();
        // Registry fields, from the dictionary: the id, the aliases, then the label.
        for def in dict.registry_fields() {
            let Some(f) = Field::of_registry(&def.id) else { continue };
            for name in std::iter::once(&def.id).chain(&def.aliases).chain(std::iter::once(&def.zh)) {
                exact.insert(name.to_ascii_lowercase(), Kind::Field(f));
                all.push(name.clone());
            }
        }
        for (f, en, zhs) in ROW_FIELDS {
            exact.insert((*en).to_string(), Kind::Field(*f));
            all.push((*en).to_string());
            for zh in *zhs {
                exact.insert((*zh).to_string(), Kind::Field(*f));
                all.push((*zh).to_string());
            }
        }
        // Every other fact is a column under its id and label (derived ones are refused
        // when named).
        for def in dict.iter() {
            if def.registry {
                continue;
            }
            for name in [def.id.clone(), def.zh.clone()] {
                exact.entry(name.clone()).or_insert(Kind::Fact { fact: def, year: None });
                all.push(name);
            }
        }
        Names { exact, all }
    }

    /// Maps one header cell. Names are trimmed, English ones compared case-insensitively.
    pub(crate) fn resolve(&self, header: &str, line: Option<usize>) -> Result<Kind, ImportError> {
        let name = normalise(header);
        if name.is_empty() {
            return Ok(Kind::Blank);
        }
        if let Some(k) = self.exact.get(&name) {
            return self.importable(*k, header);
        }
        if let Some((base, year)) = split_year(&name)
            && let Some(Kind::Fact { fact, .. }) = self.exact.get(base)
            && fact.per_year
        {
            return self.importable(Kind::Fact { fact, year: Some(year) }, header);
        }
        let base = split_year(&name).map(|(b, _)| b).unwrap_or(&name);
        let hint = self.nearest(base);
        Err(ImportError::UnknownColumn { column: header.trim().to_string(), hint, line })
    }

    fn importable(&self, k: Kind, header: &str) -> Result<Kind, ImportError> {
        if let Kind::Fact { fact, .. } = k
            && fact.source == FactSource::Derived
        {
            return Err(ImportError::DerivedColumn { column: header.trim().to_string() });
        }
        Ok(k)
    }

    /// The accepted name nearest to `name` ([`i18n::suggest::nearest_one`]), or "" when
    /// none is close.
    fn nearest(&self, name: &str) -> String {
        i18n::suggest::nearest_one(name, self.all.iter().map(String::as_str)).unwrap_or_default().to_string()
    }
}

/// Trims, drops a byte-order mark and lowercases ASCII letters (Chinese is unchanged).
fn normalise(header: &str) -> String {
    header.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()
}

/// Splits a year suffix: `x_2021`, `x(2021)`, `x（2021）`, `x_2021年`, `x（2021年）`.
fn split_year(name: &str) -> Option<(&str, i32)> {
    let (rest, closed) = if let Some(r) = name.strip_suffix(')') {
        (r, Some('('))
    } else if let Some(r) = name.strip_suffix('）') {
        (r, Some('（'))
    } else {
        (name, None)
    };
    let rest = rest.strip_suffix('年').unwrap_or(rest);
    if rest.len() < 4 || !rest.is_char_boundary(rest.len() - 4) {
        return None;
    }
    let (head, digits) = rest.split_at(rest.len() - 4);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = digits.parse().ok()?;
    let base = match closed {
        Some(open) => head.strip_suffix(open)?,
        None => head.strip_suffix('_')?,
    };
    let base = base.trim_end();
    if base.is_empty() { None } else { Some((base, year)) }
}

/// The columns of a file, checked: every name known, no field twice, required fields
/// present.
pub(crate) fn map_header<'a>(
    names: &Names,
    headers: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Column>, ImportError> {
    let mut cols: Vec<Column> = Vec::new();
    for h in headers {
        let kind = names.resolve(h, None)?;
        if kind != Kind::Blank
            && let Some(prev) = cols.iter().find(|c| same_target(c.kind, kind))
        {
            return Err(ImportError::DuplicateColumn {
                first: prev.header.clone(),
                second: h.trim().to_string(),
            });
        }
        cols.push(Column { header: h.trim_start_matches('\u{feff}').trim().to_string(), kind });
    }
    if cols.iter().all(|c| c.kind == Kind::Blank) {
        return Err(ImportError::Empty);
    }
    for def in FactDictionary::official().registry_fields().filter(|d| d.required) {
        let Some(f) = Field::of_registry(&def.id) else { continue };
        if !cols.iter().any(|c| c.kind == Kind::Field(f)) {
            return Err(ImportError::MissingColumn { zh: def.zh.clone(), en: def.id.clone() });
        }
    }
    Ok(cols)
}

/// Whether two columns fill the same slot of a row.
pub(crate) fn same_target(a: Kind, b: Kind) -> bool {
    match (a, b) {
        (Kind::Fact { fact: f, year: y }, Kind::Fact { fact: g, year: z }) => f.id == g.id && y == z,
        (Kind::Blank, _) | (_, Kind::Blank) => false,
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names::new(FactDictionary::official())
    }

    #[test]
    fn every_registry_field_of_the_dictionary_has_a_column() {
        let n = names();
        for def in FactDictionary::official().registry_fields() {
            let f = Field::of_registry(&def.id).unwrap_or_else(|| panic!("no reader for {}", def.id));
            assert_eq!(f.id(), Some(def.id.as_str()));
            for name in std::iter::once(&def.id).chain(&def.aliases).chain(std::iter::once(&def.zh)) {
                assert_eq!(n.resolve(name, None), Ok(Kind::Field(f)), "{name}");
            }
        }
        assert_eq!(n.resolve("行业代码", None), Ok(Kind::Field(Field::IndustryCode)));
        assert_eq!(n.resolve("标签", None), Ok(Kind::Field(Field::Tags)));
    }

    #[test]
    fn year_suffixes() {
        assert_eq!(split_year("revenue_2021"), Some(("revenue", 2021)));
        assert_eq!(split_year("营业收入(2021)"), Some(("营业收入", 2021)));
        assert_eq!(split_year("营业收入（2021年）"), Some(("营业收入", 2021)));
        assert_eq!(split_year("营业收入_2021年"), Some(("营业收入", 2021)));
        assert_eq!(split_year("高新技术产品（服务）收入（2022）"), Some(("高新技术产品（服务）收入", 2022)));
        assert_eq!(split_year("revenue2021"), None);
        assert_eq!(split_year("_2021"), None);
        assert_eq!(split_year("2021"), None);
    }

    #[test]
    fn resolves_both_languages_and_years() {
        let n = names();
        assert_eq!(n.resolve(" USCC ", None), Ok(Kind::Field(Field::Uscc)));
        assert_eq!(n.resolve("统一社会信用代码", None), Ok(Kind::Field(Field::Uscc)));
        match n.resolve("高新技术产品（服务）收入（2022）", None) {
            Ok(Kind::Fact { fact, year }) => {
                assert_eq!(fact.id, "high_tech_revenue");
                assert_eq!(year, Some(2022));
            }
            other => panic!("{other:?}"),
        }
        match n.resolve("Employees", None) {
            Ok(Kind::Fact { fact, year: None }) => assert_eq!(fact.id, "employees"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_names_get_the_nearest_hint() {
        let n = names();
        match n.resolve("revenu_2021", None) {
            Err(ImportError::UnknownColumn { hint, .. }) => assert_eq!(hint, "revenue"),
            other => panic!("{other:?}"),
        }
        match n.resolve("营业收人", None) {
            Err(ImportError::UnknownColumn { hint, .. }) => assert_eq!(hint, "营业收入"),
            other => panic!("{other:?}"),
        }
        // A year on a field that has none is not a column.
        assert!(matches!(n.resolve("name_2021", None), Err(ImportError::UnknownColumn { .. })));
        assert!(matches!(n.resolve("个体工商户", None), Err(ImportError::DerivedColumn { .. })));
    }
}
