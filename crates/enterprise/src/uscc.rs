//! The unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! Eighteen characters from the 31-character set `0-9 A-H J-N P-R T U W-Y` (no I, O, Z, S,
//! V): position 1 the registration authority (登记管理部门代码), 2 the entity category
//! (机构类别代码), 3–8 the administrative division (登记管理机关行政区划码), 9–17 the
//! organisation code (主体标识码, GB 11714, with its own check character), 18 the check
//! character (校验码) computed with weights 3^(i) mod 31.
//!
//! [`UnifiedCreditCode::parse`] is the only constructor: a value of the type is always valid.

use std::fmt;

/// The code's alphabet in value order (a character's value is its index).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1..17 for the check character (3^(i-1) mod 31).
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// GB 11714 weights of the organisation code's first eight characters.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Registration authorities and the entity categories each may register (GB 32100-2015
/// 附录 A).
const AUTHORITIES: &[(u8, &[u8])] = &[
    (b'1', b"1239"),     // 机构编制: 机关, 事业单位, 中央编办直接管理的群众团体, 其他
    (b'2', b"19"),       // 外交
    (b'3', b"12345679"), // 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, …
    (b'4', b"19"),       // 文化
    (b'5', b"1239"),     // 民政: 社会团体, 民办非企业单位, 基金会, 其他
    (b'6', b"129"),      // 旅游
    (b'7', b"129"),      // 宗教
    (b'8', b"19"),       // 工会
    (b'9', b"123"),      // 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
    (b'A', b"19"),       // 中央军委改革和编制办公室
    (b'N', b"1239"),     // 农业
    (b'Y', b"1"),        // 其他
];

/// Province-level prefixes of administrative division codes (GB/T 2260), plus `10` used for
/// registrations by national authorities (100000).
const PROVINCES: &[&str] = &[
    "10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81",
    "82",
];

/// A valid unified social credit code.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct UnifiedCreditCode(String);

/// Why a string is not a valid code. Positions are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum UsccError {
    #[error("length is {len}, not 18")]
    Length { len: usize },
    #[error("position {pos}: '{ch}' is a lowercase letter")]
    Lowercase { pos: usize, ch: char },
    #[error("position {pos}: '{ch}' is not in the code's character set")]
    Character { pos: usize, ch: char },
    #[error("position 1: '{ch}' is not a registration authority code")]
    Authority { ch: char },
    #[error("position 2: '{ch}' is not a category of authority '{authority}'")]
    Category { authority: char, ch: char },
    #[error("positions 3-8: '{region}' is not an administrative division code")]
    Region { region: String },
    #[error("positions 9-17: organisation code check character is '{found}', expected '{expected}'")]
    OrgCheck { found: char, expected: char },
    #[error("position 18: check character is '{found}', expected '{expected}'")]
    Check { found: char, expected: char },
}

impl i18n::Localized for UsccError {
    fn message(&self) -> i18n::Message {
        use i18n::Message;
        match self {
            UsccError::Length { len } => Message::new("uscc.length").arg("len", len),
            UsccError::Lowercase { pos, ch } => Message::new("uscc.lowercase").arg("pos", pos).arg("ch", ch),
            UsccError::Character { pos, ch } => Message::new("uscc.character").arg("pos", pos).arg("ch", ch),
            UsccError::Authority { ch } => Message::new("uscc.authority").arg("ch", ch),
            UsccError::Category { authority, ch } => {
                Message::new("uscc.category").arg("authority", authority).arg("ch", ch)
            }
            UsccError::Region { region } => Message::new("uscc.region").arg("region", region),
            UsccError::OrgCheck { found, expected } => {
                Message::new("uscc.org_check").arg("found", found).arg("expected", expected)
            }
            UsccError::Check { found, expected } => {
                Message::new("uscc.check").arg("found", found).arg("expected", expected)
            }
        }
    }
    fn catalog(&self) -> &'static i18n::Catalog {
        crate::catalog()
    }
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character (position 18) for the first 17 characters, which must be in the
/// alphabet.
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let v = (31 - sum % 31) % 31;
    Some(ALPHABET[v as usize] as char)
}

/// The GB 11714 check character of an organisation code's first eight characters (digits or
/// capital letters, A = 10 … Z = 35).
pub fn org_check_character(first8: &[u8]) -> Option<char> {
    if first8.len() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (c, w) in first8.iter().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        v => char::from(b'0' + v as u8),
    })
}

impl UnifiedCreditCode {
    /// Validates a code. Leading and trailing whitespace is ignored; nothing else is
    /// normalised (a lowercase letter is an error, as the standard uses capitals only).
    pub fn parse(input: &str) -> Result<UnifiedCreditCode, UsccError> {
        let s = input.trim();
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(UsccError::Length { len: chars.len() });
        }
        for (i, &ch) in chars.iter().enumerate() {
            if ch.is_ascii_lowercase() {
                return Err(UsccError::Lowercase { pos: i + 1, ch });
            }
            if !ch.is_ascii() || value_of(ch as u8).is_none() {
                return Err(UsccError::Character { pos: i + 1, ch });
            }
        }
        let b = s.as_bytes();
        let Some((_, cats)) = AUTHORITIES.iter().find(|(a, _)| *a == b[0]) else {
            return Err(UsccError::Authority { ch: chars[0] });
        };
        if !cats.contains(&b[1]) {
            return Err(UsccError::Category { authority: chars[0], ch: chars[1] });
        }
        let region = &s[2..8];
        if !region.bytes().all(|c| c.is_ascii_digit()) || !PROVINCES.contains(&&region[..2]) {
            return Err(UsccError::Region { region: region.to_string() });
        }
        let expected_org = org_check_character(&b[8..16]).unwrap_or('?');
        if b[16] as char != expected_org {
            return Err(UsccError::OrgCheck { found: chars[16], expected: expected_org });
        }
        let expected = check_character(&b[..17]).unwrap_or('?');
        if chars[17] != expected {
            return Err(UsccError::Check { found: chars[17], expected });
        }
        Ok(UnifiedCreditCode(s.to_string()))
    }

    /// Builds a valid code from its parts: authority, category, six-digit region and the
    /// first eight characters of the organisation code (both check characters computed).
    /// Used by the demo zone and tests; returns `None` for parts that cannot form a code.
    pub fn from_parts(
        authority: char,
        category: char,
        region: &str,
        org8: &str,
    ) -> Option<UnifiedCreditCode> {
        let mut body = String::with_capacity(18);
        body.push(authority);
        body.push(category);
        body.push_str(region);
        body.push_str(org8);
        body.push(org_check_character(org8.as_bytes())?);
        let check = check_character(body.as_bytes())?;
        body.push(check);
        UnifiedCreditCode::parse(&body).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the code registers an individual business (个体工商户: authority 9,
    /// category 2).
    pub fn is_individual_business(&self) -> bool {
        UnifiedCreditCode::is_individual_business_code(&self.0)
    }

    /// The rule of [`UnifiedCreditCode::is_individual_business`] over a stored code's text,
    /// for a reader that does not parse every code again (the match's column scan).
    pub fn is_individual_business_code(code: &str) -> bool {
        code.starts_with("92")
    }

    /// Whether the code registers a market entity (市场主体): registration authority 9
    /// (市场监管) with category 1 (企业), 2 (个体工商户) or 3 (农民专业合作社). Codes of other
    /// authorities (机关, 事业单位, 社会团体, 律师事务所, …) are valid registry rows but never
    /// assistance targets ([`crate::assistance_target`]).
    pub fn is_market_entity(&self) -> bool {
        UnifiedCreditCode::is_market_entity_code(&self.0)
    }

    /// The rule of [`UnifiedCreditCode::is_market_entity`] over a stored code's text, for a
    /// reader that does not parse every code again (the match's column scan).
    pub fn is_market_entity_code(code: &str) -> bool {
        let b = code.as_bytes();
        b.first() == Some(&b'9') && matches!(b.get(1), Some(b'1' | b'2' | b'3'))
    }

    /// The six-digit administrative division of the registering authority.
    pub fn region(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for UnifiedCreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UnifiedCreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

impl std::str::FromStr for UnifiedCreditCode {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UnifiedCreditCode::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for UnifiedCreditCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        UnifiedCreditCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use i18n::Localized;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_published_codes() {
        // Published codes of well-known enterprises.
        for c in ["914403001922038216", "91110108551385082Q"] {
            let r = UnifiedCreditCode::parse(c);
            assert!(r.is_ok(), "{c}: {r:?}");
        }
    }

    #[test]
    fn rejects_with_the_reason() {
        use UsccError::*;
        let cases: &[(&str, UsccError)] = &[
            ("91440300192203821", Length { len: 17 }),
            ("91440300192203821I", Character { pos: 18, ch: 'I' }),
            ("91440300192203821o", Lowercase { pos: 18, ch: 'o' }),
            ("914403001922038217", Check { found: '7', expected: '6' }),
            ("914403001922038316", OrgCheck { found: '1', expected: 'X' }),
            ("B14403001922038216", Authority { ch: 'B' }),
            ("95440300192203821X", Category { authority: '9', ch: '5' }),
            ("91990300192203821X", Region { region: "990300".into() }),
            ("91中403001922038216", Character { pos: 3, ch: '中' }),
        ];
        for (input, expected) in cases {
            assert_eq!(&UnifiedCreditCode::parse(input).unwrap_err(), expected, "{input}");
        }
    }

    /// One sample of each variant: a new variant fails to compile here until it has one.
    fn sample(d: UsccErrorDiscriminants) -> UsccError {
        use UsccErrorDiscriminants as D;
        match d {
            D::Length => UsccError::Length { len: 3 },
            D::Lowercase => UsccError::Lowercase { pos: 1, ch: 'a' },
            D::Character => UsccError::Character { pos: 1, ch: 'I' },
            D::Authority => UsccError::Authority { ch: 'B' },
            D::Category => UsccError::Category { authority: '9', ch: '5' },
            D::Region => UsccError::Region { region: "990000".into() },
            D::OrgCheck => UsccError::OrgCheck { found: '1', expected: '2' },
            D::Check => UsccError::Check { found: '1', expected: '2' },
        }
    }

    #[test]
    fn every_error_has_both_languages() {
        use strum::IntoEnumIterator;
        i18n::assert_all_bilingual(&UsccErrorDiscriminants::iter().map(sample).collect::<Vec<_>>());
        let check = sample(UsccErrorDiscriminants::Check).render(i18n::Lang::Zh);
        assert!(check.contains("校验码"), "{check}");
    }

    proptest! {
        #[test]
        fn built_codes_parse_and_one_changed_character_is_caught(
            org in "[0-9A-HJ-NP-RTUW-Y]{8}", pos in 0usize..18, repl in 0usize..31
        ) {
            let code = UnifiedCreditCode::from_parts('9', '1', "430100", &org).unwrap();
            prop_assert_eq!(UnifiedCreditCode::parse(code.as_str()), Ok(code.clone()));
            let mut bytes = code.as_str().as_bytes().to_vec();
            let new = ALPHABET[repl];
            prop_assume!(bytes[pos] != new);
            bytes[pos] = new;
            let changed = String::from_utf8(bytes).unwrap();
            // The check character catches every single-character substitution.
            prop_assert!(UnifiedCreditCode::parse(&changed).is_err());
        }
    }
}
