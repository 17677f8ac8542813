//! Financing (三.5, 三.8): enterprises post demands; banks and guarantee institutions publish
//! products; huiqi matches each demand to the products whose terms fit it and whose
//! eligibility, written in the rule language over the enterprise's facts, holds.
//!
//! A product's eligibility is an expression of the policy language (the same facts, functions
//! and shared definitions as the zone's policies: `size_class(2021) in ["small", "micro"]`,
//! `tax_credit_rating in ["A", "B"]`, `assistance_target`). [`ProductBook::compile`] turns the
//! products into one generated policy file, loads it with the zone's policy files, and keeps
//! each product's diagnostics; [`ProductBook::match_demands`] decides every (demand, product)
//! pair with the batch engine over the demands' enterprises, then checks the terms. An
//! undetermined eligibility is reported with the missing facts, never as a match.
//!
//! A demand's life: open → matched (products found) → responded (an institution accepted or
//! declined with a reason) → granted (a loan with amount and date) or closed (withdrawn,
//! declined by all, or no product): [`DemandState`] and [`DemandAction`].

use chrono::NaiveDate;
use enterprise::{FactDictionary, Facts};
use i18n::Localized;
use rules::batch::{Compiled, Snapshot};
use rules::{Eligibility, Library, MissingFact, SourceFile};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use crate::Error;

pub mod special;

/// What kind of financing a demand asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum DemandKind {
    /// 贷款 (信用贷款、抵押贷款…).
    Loan,
    /// 风险补偿贷款 (三.5: the government fund shares the bank's loss).
    RiskCompensation,
    /// 转贷过桥 (三.5: bridge money to repay a loan before it is renewed).
    BridgeLoan,
    /// 股权融资 (三.5).
    Equity,
}

impl DemandKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<DemandKind> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            DemandKind::Loan => "贷款",
            DemandKind::RiskCompensation => "风险补偿贷款",
            DemandKind::BridgeLoan => "转贷过桥",
            DemandKind::Equity => "股权融资",
        }
    }
}

/// What the enterprise can pledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Collateral {
    Property,
    Equipment,
    Receivables,
    IntellectualProperty,
    Guarantor,
}

impl Collateral {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<Collateral> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Collateral::Property => "房产",
            Collateral::Equipment => "设备",
            Collateral::Receivables => "应收账款",
            Collateral::IntellectualProperty => "知识产权",
            Collateral::Guarantor => "第三方担保",
        }
    }
}

/// An enterprise's financing demand, as matching reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demand {
    pub id: i64,
    pub enterprise_id: i64,
    pub kind: DemandKind,
    /// Yuan.
    pub amount: Decimal,
    pub term_months: u32,
    /// What it can pledge; empty: nothing (a credit loan is what fits).
    pub collateral: Vec<Collateral>,
}

/// A financial institution's product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// Lowercase letters, digits and `-`: the generated item is `product-<id>`.
    pub id: String,
    pub institution: String,
    pub name: String,
    pub kinds: Vec<DemandKind>,
    pub amount_min: Decimal,
    pub amount_max: Decimal,
    pub term_min_months: u32,
    pub term_max_months: u32,
    /// Annual rate range, percent.
    pub rate_min: Decimal,
    pub rate_max: Decimal,
    /// Any one of these is required; empty: none (credit).
    pub requires_collateral: Vec<Collateral>,
    /// Eligibility in the rule language; empty: every enterprise.
    pub eligibility: String,
}

/// Why a product's terms do not fit a demand, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Misfit {
    Kind,
    Amount,
    Term,
    Collateral,
}

impl Misfit {
    pub fn label_zh(self) -> &'static str {
        match self {
            Misfit::Kind => "融资类型不符",
            Misfit::Amount => "金额不在产品额度范围内",
            Misfit::Term => "期限不在产品期限范围内",
            Misfit::Collateral => "缺少产品要求的担保方式",
        }
    }
}

impl Product {
    /// Checks the product's own fields (not its eligibility: [`ProductBook::compile`] does).
    pub fn check(&self) -> Result<(), Error> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 40
            && self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(Error::BadProduct { field: "id", reason: "id" });
        }
        if self.kinds.is_empty() {
            return Err(Error::BadProduct { field: "kinds", reason: "empty" });
        }
        if self.amount_min < Decimal::ZERO || self.amount_min > self.amount_max {
            return Err(Error::BadProduct { field: "amount", reason: "range" });
        }
        if self.term_min_months > self.term_max_months || self.term_max_months == 0 {
            return Err(Error::BadProduct { field: "term", reason: "range" });
        }
        if self.rate_min < Decimal::ZERO || self.rate_min > self.rate_max {
            return Err(Error::BadProduct { field: "rate", reason: "range" });
        }
        Ok(())
    }

    /// The first term of the product that does not fit the demand.
    pub fn misfit(&self, d: &Demand) -> Option<Misfit> {
        if !self.kinds.contains(&d.kind) {
            Some(Misfit::Kind)
        } else if d.amount < self.amount_min || d.amount > self.amount_max {
            Some(Misfit::Amount)
        } else if d.term_months < self.term_min_months || d.term_months > self.term_max_months {
            Some(Misfit::Term)
        } else if !self.requires_collateral.is_empty()
            && !d.collateral.iter().any(|c| self.requires_collateral.contains(c))
        {
            Some(Misfit::Collateral)
        } else {
            None
        }
    }

    fn item_id(&self) -> String {
        format!("product-{}", self.id)
    }
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The generated file's name: diagnostics in it belong to products.
pub const PRODUCTS_FILE: &str = "financing-products.toml";

/// The products compiled with the zone's policies.
pub struct ProductBook {
    pub products: Vec<Product>,
    library: Library,
    /// Per product id: why it is refused (its fields, or its eligibility does not compile),
    /// each message in Chinese and English. Such a product matches nobody.
    pub errors: BTreeMap<String, Vec<String>>,
}

/// One (demand, product) decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    pub demand: i64,
    pub product: String,
    pub outcome: MatchOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum MatchOutcome {
    /// Terms fit and eligibility holds.
    Matched,
    /// Terms fit; eligibility cannot be decided: these facts are missing.
    Undetermined { missing: Vec<String> },
}

impl ProductBook {
    /// Compiles `products` against the zone's policy files (whose definitions their
    /// eligibility may use). Products that fail [`Product::check`] or whose expression does
    /// not compile are kept with their errors and match nobody.
    pub fn compile(zone: &[SourceFile], products: Vec<Product>, dict: &FactDictionary) -> ProductBook {
        let mut text = String::from(
            "[policy]\nid = \"financing-products\"\ntitle = \"金融产品准入条件\"\nissuer = \"金融机构\"\n\
             document = \"金融产品准入条件（机构发布）\"\nlevel = \"zone\"\nwindow = { from = \"2000-01-01\" }\n",
        );
        let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // The first line of each product's block, to give a diagnostic to its product.
        let mut starts: Vec<(usize, &str)> = Vec::new();
        for p in &products {
            if let Err(e) = p.check() {
                errors.entry(p.id.clone()).or_default().push(e.bilingual());
                continue;
            }
            let when = if p.eligibility.trim().is_empty() { "true" } else { p.eligibility.trim() };
            starts.push((text.lines().count() + 1, p.id.as_str()));
            text.push_str(&format!(
                "\n[[item]]\nid = {}\ntitle = {}\nbenefit_kind = \"status\"\nperiod = \"day\"\nclause = {}\nwhen = {}\n",
                quoted(&p.item_id()),
                quoted(&p.name),
                quoted(&p.institution),
                quoted(when),
            ));
        }
        let mut files = zone.to_vec();
        files.push(SourceFile { name: PRODUCTS_FILE.into(), text });
        let (library, diags) = Library::load(&files, dict);
        for d in diags.into_iter().filter(|d| d.location.file == PRODUCTS_FILE) {
            let owner = starts
                .iter()
                .rev()
                .find(|(line, _)| *line <= d.location.line)
                .map_or("(products)", |(_, id)| id);
            errors.entry(owner.to_string()).or_default().push(d.error.bilingual());
        }
        ProductBook { products, library, errors }
    }

    /// Products that match nobody because of errors.
    pub fn broken(&self) -> impl Iterator<Item = &str> {
        self.errors.keys().map(String::as_str)
    }

    /// Decides every demand against every product on `date`. `facts` holds each demand's
    /// enterprise (by enterprise id). Output: matched and undetermined pairs, demands in
    /// the given order, products in catalogue order.
    pub fn match_demands(
        &self,
        demands: &[Demand],
        facts: &HashMap<i64, Facts>,
        date: NaiveDate,
    ) -> Vec<Match> {
        let usable: Vec<(&Product, &rules::Item)> = self
            .products
            .iter()
            .filter(|p| !self.errors.contains_key(&p.id))
            .filter_map(|p| self.library.item(&p.item_id()).map(|i| (p, i)))
            .collect();
        // One row per distinct enterprise.
        let mut rows: HashMap<i64, usize> = HashMap::new();
        let mut all: Vec<Facts> = Vec::new();
        for d in demands {
            if let Some(f) = facts.get(&d.enterprise_id)
                && !rows.contains_key(&d.enterprise_id)
            {
                rows.insert(d.enterprise_id, all.len());
                all.push(f.clone());
            }
        }
        let items: Vec<&rules::Item> = usable.iter().map(|(_, i)| *i).collect();
        let snap = Snapshot::from_facts(&all, FactDictionary::official());
        let result = Compiled::new(&self.library.program, &items, date).run(&snap);
        // What each product reads: an undetermined pair names those of them the enterprise
        // lacks (the single evaluator, in `explain`, narrows it to the ones the decision
        // waited on).
        let reads: Vec<Vec<MissingFact>> = items
            .iter()
            .map(|item| {
                Compiled::new(&self.library.program, &[*item], date)
                    .facts()
                    .map(|(f, y)| MissingFact { fact: f.to_string(), year: y })
                    .collect()
            })
            .collect();
        let mut out = Vec::new();
        for d in demands {
            let Some(&row) = rows.get(&d.enterprise_id) else { continue };
            for (k, ((p, _), r)) in usable.iter().zip(&result.items).enumerate() {
                if p.misfit(d).is_some() {
                    continue;
                }
                let outcome = match r.outcome(row) {
                    Eligibility::Eligible => MatchOutcome::Matched,
                    Eligibility::Undetermined => MatchOutcome::Undetermined {
                        missing: reads[k]
                            .iter()
                            .filter(|m| snap.column(&m.fact, m.year).is_none_or(|c| c.get(row).is_none()))
                            .map(ToString::to_string)
                            .collect(),
                    },
                    Eligibility::Ineligible => continue,
                };
                out.push(Match { demand: d.id, product: p.id.clone(), outcome });
            }
        }
        out
    }

    /// Why a product fits (or not) one enterprise's demand: the terms, then the eligibility
    /// decision with its explanation, from the single evaluator.
    pub fn explain(
        &self,
        product: &str,
        demand: &Demand,
        facts: &Facts,
        date: NaiveDate,
    ) -> Option<Explained> {
        let p = self.products.iter().find(|p| p.id == product)?;
        let decision = self.library.item(&p.item_id()).map(|item| self.library.evaluate(item, facts, date));
        Some(Explained { misfit: p.misfit(demand), decision })
    }
}

/// [`ProductBook::explain`]'s answer.
#[derive(Debug, Clone)]
pub struct Explained {
    pub misfit: Option<Misfit>,
    /// None when the product's eligibility does not compile.
    pub decision: Option<rules::Decision>,
}

/// Where a demand is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum DemandState {
    /// Posted, not yet matched (待匹配).
    Open,
    /// Products found and sent to their institutions (已匹配).
    Matched,
    /// An institution accepted it and is processing (受理中).
    Accepted,
    /// Financing granted (已放款): final.
    Granted,
    /// Withdrawn, declined by every institution, or nothing fits (已关闭): final.
    Closed,
}

impl DemandState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn parse(s: &str) -> Option<DemandState> {
        s.parse().ok()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            DemandState::Open => "待匹配",
            DemandState::Matched => "已匹配",
            DemandState::Accepted => "受理中",
            DemandState::Granted => "已放款",
            DemandState::Closed => "已关闭",
        }
    }
    pub fn is_final(self) -> bool {
        matches!(self, DemandState::Granted | DemandState::Closed)
    }
}

/// What can happen to a demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum DemandAction {
    /// Matching found products (or none: the demand stays open for the officer).
    Match,
    /// An institution accepts it.
    Accept,
    /// An institution declines (with a reason); when every matched institution has
    /// declined, the officer may close or re-match.
    Decline,
    /// A loan or investment was granted (amount, date).
    Grant,
    /// The enterprise withdraws or the officer closes it (with a reason).
    Close,
}

impl DemandAction {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            DemandAction::Match => "匹配",
            DemandAction::Accept => "受理",
            DemandAction::Decline => "婉拒",
            DemandAction::Grant => "放款",
            DemandAction::Close => "关闭",
        }
    }
}

/// The state after `action` from `state`, or why not.
pub fn next(state: DemandState, action: DemandAction) -> Result<DemandState, Error> {
    use DemandAction as A;
    use DemandState as S;
    let to = match (state, action) {
        (S::Open | S::Matched, A::Match) => S::Matched,
        (S::Matched, A::Accept) => S::Accepted,
        (S::Matched | S::Accepted, A::Decline) => S::Matched,
        (S::Accepted, A::Grant) => S::Granted,
        (s, A::Close) if !s.is_final() => S::Closed,
        _ => {
            return Err(Error::DemandTransition { state: state.label_zh(), action: action.label_zh() });
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use enterprise::FactValue;
    use rust_decimal_macros::dec;

    pub(super) fn product(id: &str, eligibility: &str) -> Product {
        Product {
            id: id.into(),
            institution: "长沙银行高新支行".into(),
            name: format!("产品{id}"),
            kinds: vec![DemandKind::Loan, DemandKind::RiskCompensation],
            amount_min: dec!(100000),
            amount_max: dec!(5000000),
            term_min_months: 6,
            term_max_months: 36,
            rate_min: dec!(3.45),
            rate_max: dec!(4.35),
            requires_collateral: vec![],
            eligibility: eligibility.into(),
        }
    }

    fn demand(id: i64, enterprise_id: i64, amount: Decimal) -> Demand {
        Demand { id, enterprise_id, kind: DemandKind::Loan, amount, term_months: 12, collateral: vec![] }
    }

    fn facts(rating: Option<&str>) -> Facts {
        let mut f = Facts::default();
        if let Some(r) = rating {
            f.set("tax_credit_rating", FactValue::Text(r.into()));
        }
        f
    }

    #[test]
    fn terms_then_eligibility_then_missing_facts() {
        let book = ProductBook::compile(
            &[],
            vec![
                product("good-credit", "tax_credit_rating in [\"A\", \"B\"]"),
                product("anyone", ""),
                product("broken", "credit_rating == \"A\""),
            ],
            FactDictionary::official(),
        );
        assert_eq!(book.broken().collect::<Vec<_>>(), vec!["broken"]);
        let mut fs = HashMap::new();
        fs.insert(1, facts(Some("A")));
        fs.insert(2, facts(Some("C")));
        fs.insert(3, facts(None));
        let d = [
            demand(10, 1, dec!(1000000)),
            demand(20, 2, dec!(1000000)),
            demand(30, 3, dec!(1000000)),
            demand(40, 1, dec!(50000)),
        ];
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let matched = book.match_demands(&d, &fs, day);
        let got: Vec<(i64, &str, bool)> = matched
            .iter()
            .map(|m| (m.demand, m.product.as_str(), m.outcome == MatchOutcome::Matched))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, "good-credit", true),
                (10, "anyone", true),
                (20, "anyone", true),
                (30, "good-credit", false),
                (30, "anyone", true)
            ]
        );
        let m = book.match_demands(&d[2..3], &fs, day);
        assert_eq!(m[0].outcome, MatchOutcome::Undetermined { missing: vec!["tax_credit_rating".into()] });
        // Demand 40 is below every product's amount.
        assert_eq!(book.products[0].misfit(&d[3]), Some(Misfit::Amount));
        let e = book.explain("good-credit", &d[1], &fs[&2], day).unwrap();
        assert_eq!(e.misfit, None);
        assert_eq!(e.decision.unwrap().outcome, Eligibility::Ineligible);
    }

    /// The batch path and the single evaluator agree on every (demand, product) pair of a
    /// synthetic zone, and an undetermined pair names every fact the evaluator waited on.
    #[test]
    fn batch_matching_agrees_with_the_single_evaluator() {
        let day = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
        let ents = rules::synth::enterprises(300, 3, 2022);
        let pool = [
            "",
            "size_class(2021) in [\"small\", \"micro\"]",
            "tax_credit_rating in [\"A\", \"B\"]",
            "industry_section(industry_code) == \"C\" or revenue[2021] >= 20000000",
            "revenue[2021] >= 5000000 and tax_credit_rating != \"D\"",
        ];
        let products: Vec<Product> =
            pool.iter().enumerate().map(|(i, e)| product(&format!("p{i}"), e)).collect();
        let book = ProductBook::compile(&[], products, FactDictionary::official());
        assert_eq!(book.broken().count(), 0, "{:?}", book.errors);
        let demands: Vec<Demand> = (0..300).map(|i| demand(i, i, dec!(1000000))).collect();
        let fs: HashMap<i64, Facts> = ents.iter().cloned().enumerate().map(|(i, f)| (i as i64, f)).collect();
        let got: HashMap<(i64, String), MatchOutcome> = book
            .match_demands(&demands, &fs, day)
            .into_iter()
            .map(|m| ((m.demand, m.product), m.outcome))
            .collect();
        let mut seen = [0usize; 3];
        for d in &demands {
            for p in &book.products {
                let e = book.explain(&p.id, d, &fs[&d.enterprise_id], day).unwrap();
                let dec = e.decision.unwrap();
                let batch = got.get(&(d.id, p.id.clone()));
                match dec.outcome {
                    Eligibility::Eligible => {
                        seen[0] += 1;
                        assert_eq!(batch, Some(&MatchOutcome::Matched), "{} {}", d.id, p.id);
                    }
                    Eligibility::Ineligible => {
                        seen[1] += 1;
                        assert_eq!(batch, None, "{} {}", d.id, p.id);
                    }
                    Eligibility::Undetermined => {
                        seen[2] += 1;
                        let Some(MatchOutcome::Undetermined { missing }) = batch else {
                            panic!("{} {}: {batch:?}", d.id, p.id)
                        };
                        for m in &dec.missing_facts {
                            assert!(missing.contains(&m.to_string()), "{m} in {missing:?}");
                        }
                    }
                }
            }
        }
        assert!(seen.iter().all(|n| *n > 0), "every outcome occurs: {seen:?}");
    }

    #[test]
    fn a_product_cannot_smuggle_toml() {
        let p = product("tricky", "true\"\n[[item]]\nid = \"x");
        let book = ProductBook::compile(&[], vec![p], FactDictionary::official());
        assert!(book.errors.contains_key("tricky"), "{:?}", book.errors);
        assert!(book.library.item("x").is_none());
    }

    #[test]
    fn collateral_and_checks() {
        let mut p = product("pledge", "");
        p.requires_collateral = vec![Collateral::Property, Collateral::Receivables];
        let mut d = demand(1, 1, dec!(200000));
        assert_eq!(p.misfit(&d), Some(Misfit::Collateral));
        d.collateral = vec![Collateral::Receivables];
        assert_eq!(p.misfit(&d), None);
        d.kind = DemandKind::Equity;
        assert_eq!(p.misfit(&d), Some(Misfit::Kind));
        p.amount_min = dec!(6000000);
        assert!(p.check().is_err());
        let mut q = product("Bad Id", "");
        assert!(q.check().is_err());
        q.id = "ok-1".into();
        assert!(q.check().is_ok());
    }

    #[test]
    fn demand_machine() {
        use DemandAction as A;
        use DemandState as S;
        assert_eq!(next(S::Open, A::Match), Ok(S::Matched));
        assert_eq!(next(S::Matched, A::Accept), Ok(S::Accepted));
        assert_eq!(next(S::Accepted, A::Grant), Ok(S::Granted));
        assert!(next(S::Open, A::Grant).is_err());
        assert!(next(S::Granted, A::Close).is_err());
        assert_eq!(next(S::Accepted, A::Decline), Ok(S::Matched));
        assert_eq!(next(S::Open, A::Close), Ok(S::Closed));
    }
}
