//! Industry codes of GB/T 4754-2017 (国民经济行业分类).
//!
//! A code is a section letter (门类, A–T) and/or up to four digits: division (大类, 2),
//! group (中类, 3), class (小类, 4). `C3511`, `3511`, `C35` and `C` are all accepted; the
//! section is inferred from the division when absent, and must agree with it when given.
//! Only the structure is checked: the standard's full list of classes is not embedded.

use std::fmt;

/// Sections and their inclusive division ranges.
pub const SECTIONS: &[(char, u8, u8, &str)] = &[
    ('A', 1, 5, "农、林、牧、渔业"),
    ('B', 6, 12, "采矿业"),
    ('C', 13, 43, "制造业"),
    ('D', 44, 46, "电力、热力、燃气及水生产和供应业"),
    ('E', 47, 50, "建筑业"),
    ('F', 51, 52, "批发和零售业"),
    ('G', 53, 60, "交通运输、仓储和邮政业"),
    ('H', 61, 62, "住宿和餐饮业"),
    ('I', 63, 65, "信息传输、软件和信息技术服务业"),
    ('J', 66, 69, "金融业"),
    ('K', 70, 70, "房地产业"),
    ('L', 71, 72, "租赁和商务服务业"),
    ('M', 73, 75, "科学研究和技术服务业"),
    ('N', 76, 79, "水利、环境和公共设施管理业"),
    ('O', 80, 82, "居民服务、修理和其他服务业"),
    ('P', 83, 83, "教育"),
    ('Q', 84, 85, "卫生和社会工作"),
    ('R', 86, 90, "文化、体育和娱乐业"),
    ('S', 91, 96, "公共管理、社会保障和社会组织"),
    ('T', 97, 97, "国际组织"),
];

/// A structurally valid GB/T 4754-2017 code.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndustryCode {
    section: char,
    /// 0, 2, 3 or 4 digits.
    digits: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum IndustryError {
    #[error("'{input}' is not a GB/T 4754 code")]
    Malformed { input: String },
    #[error("'{input}': division {division} does not exist")]
    Division { input: String, division: u8 },
    #[error("'{input}': division {division} belongs to section {expected}, not {section}")]
    Section { input: String, division: u8, section: char, expected: char },
}

impl i18n::Localized for IndustryError {
    fn message(&self) -> i18n::Message {
        use i18n::Message;
        match self {
            IndustryError::Malformed { input } => Message::new("industry.malformed").arg("input", input),
            IndustryError::Division { input, division } => Message::new("industry.division")
                .arg("input", input)
                .arg("division", format!("{division:02}")),
            IndustryError::Section { input, division, section, expected } => Message::new("industry.section")
                .arg("input", input)
                .arg("division", format!("{division:02}"))
                .arg("section", section)
                .arg("expected", expected),
        }
    }
    fn catalog(&self) -> &'static i18n::Catalog {
        crate::catalog()
    }
}

fn section_of(division: u8) -> Option<char> {
    SECTIONS.iter().find(|(_, lo, hi, _)| (*lo..=*hi).contains(&division)).map(|s| s.0)
}

impl IndustryCode {
    pub fn parse(input: &str) -> Result<IndustryCode, IndustryError> {
        let s = input.trim();
        let malformed = || IndustryError::Malformed { input: input.to_string() };
        let (letter, digits) = match s.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => (Some(c.to_ascii_uppercase()), &s[1..]),
            Some(_) => (None, s),
            None => return Err(malformed()),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) || ![0, 2, 3, 4].contains(&digits.len()) {
            return Err(malformed());
        }
        if digits.is_empty() {
            let l = letter.ok_or_else(malformed)?;
            if !SECTIONS.iter().any(|x| x.0 == l) {
                return Err(malformed());
            }
            return Ok(IndustryCode { section: l, digits: String::new() });
        }
        let division: u8 = digits[..2].parse().map_err(|_| malformed())?;
        let expected = section_of(division)
            .ok_or_else(|| IndustryError::Division { input: input.to_string(), division })?;
        if let Some(l) = letter
            && l != expected
        {
            return Err(IndustryError::Section { input: input.to_string(), division, section: l, expected });
        }
        Ok(IndustryCode { section: expected, digits: digits.to_string() })
    }

    pub fn section(&self) -> char {
        self.section
    }

    /// The two-digit division, when given.
    pub fn division(&self) -> Option<u8> {
        self.digits.get(..2).and_then(|d| d.parse().ok())
    }

    /// The digits as given (empty for a bare section).
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The section's Chinese name.
    pub fn section_name(&self) -> &'static str {
        SECTIONS.iter().find(|s| s.0 == self.section).map(|s| s.3).unwrap_or("")
    }
}

impl fmt::Display for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.section, self.digits)
    }
}

impl fmt::Debug for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Industry({self})")
    }
}

impl serde::Serialize for IndustryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for IndustryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        IndustryCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_a_code() {
        for (input, shown) in [
            ("C3511", "C3511"),
            ("3511", "C3511"),
            ("c35", "C35"),
            ("K", "K"),
            ("7010", "K7010"),
            ("01", "A01"),
        ] {
            assert_eq!(IndustryCode::parse(input).unwrap().to_string(), shown);
        }
        assert_eq!(IndustryCode::parse("C3511").unwrap().division(), Some(35));
    }

    #[test]
    fn bad_codes() {
        assert!(matches!(IndustryCode::parse("A35"), Err(IndustryError::Section { expected: 'C', .. })));
        assert!(matches!(IndustryCode::parse("98"), Err(IndustryError::Division { division: 98, .. })));
        assert!(matches!(IndustryCode::parse("C35111"), Err(IndustryError::Malformed { .. })));
        assert!(matches!(IndustryCode::parse("Z"), Err(IndustryError::Malformed { .. })));
        assert!(matches!(IndustryCode::parse(""), Err(IndustryError::Malformed { .. })));
        assert!(matches!(IndustryCode::parse("3"), Err(IndustryError::Malformed { .. })));
    }

    /// One sample of each variant: a new variant fails to compile here until it has one.
    fn sample(d: IndustryErrorDiscriminants) -> IndustryError {
        use IndustryErrorDiscriminants as D;
        match d {
            D::Malformed => IndustryError::Malformed { input: "C35111".into() },
            D::Division => IndustryError::Division { input: "98".into(), division: 98 },
            D::Section => {
                IndustryError::Section { input: "A35".into(), division: 35, section: 'A', expected: 'C' }
            }
        }
    }

    #[test]
    fn every_error_has_both_languages() {
        use strum::IntoEnumIterator;
        i18n::assert_all_bilingual(&IndustryErrorDiscriminants::iter().map(sample).collect::<Vec<_>>());
    }
}
