//! Kinds of benefit, periods and `supersedes` in policy files: every kind parsed, a missing
//! or unknown kind refused with its position and the allowed values, periods and
//! supersedes checked.

use enterprise::FactDictionary;
use rules::{BenefitKind, Library, PeriodKind, SourceFile};

const HEAD: &str = "[policy]\nid = \"p\"\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"文号\"\nlevel = \"zone\"\nwindow = { from = \"2020-01-01\" }\n";

fn load(body: &str) -> (Library, Vec<rules::Diagnostic>) {
    let text = format!("{HEAD}{body}");
    Library::load(&[SourceFile { name: "p.toml".into(), text }], FactDictionary::official())
}

fn item(id: &str, extra: &str) -> String {
    format!("[[item]]\nid = \"{id}\"\ntitle = \"x\"\nclause = \"-\"\nwhen = 'registered_in_zone'\n{extra}")
}

/// `line:col key` of each diagnostic.
fn keys(diags: &[rules::Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            format!("{}:{} {}", d.location.line, d.location.column, i18n::Localized::message(&d.error).key)
        })
        .collect()
}

#[test]
fn every_kind_and_period_is_parsed() {
    let mut body = String::new();
    for (i, k) in BenefitKind::ALL.iter().enumerate() {
        let period = PeriodKind::ALL[i % PeriodKind::ALL.len()];
        body.push_str(&item(
            &format!("i{i}"),
            &format!("benefit_kind = \"{}\"\nperiod = \"{}\"\n", k.as_str(), period.as_str()),
        ));
    }
    let (lib, diags) = load(&body);
    assert!(diags.is_empty(), "{diags:?}");
    for (i, k) in BenefitKind::ALL.iter().enumerate() {
        let it = lib.item(&format!("i{i}")).unwrap();
        assert_eq!(it.benefit_kind, *k);
        assert_eq!(it.period, PeriodKind::ALL[i % PeriodKind::ALL.len()]);
        assert_eq!(it.no_application, *k == BenefitKind::AwardNoApplication);
    }
    // Without `period`, an item's periods are years.
    let (lib, diags) = load(&item("y", "benefit_kind = \"tax_relief_declared\"\n"));
    assert!(diags.is_empty());
    assert_eq!(lib.item("y").unwrap().period, PeriodKind::Year);
}

#[test]
fn an_item_without_a_kind_is_refused_at_its_id_with_the_allowed_values() {
    let (_, diags) = load(&item("x", ""));
    assert_eq!(keys(&diags), ["9:6 rules.benefit_kind_missing"]);
    let text = diags[0].render();
    assert!(text.starts_with("p.toml:9:6: "), "{text}");
    for k in BenefitKind::ALL {
        assert!(text.contains(k.as_str()), "{text}");
    }
    assert!(text.contains("申报享受的税收优惠") && text.contains("免申即享奖补"), "{text}");
    assert!(text.contains("has no benefit_kind"), "{text}");
}

#[test]
fn unknown_kinds_periods_and_contradicting_flags_are_refused() {
    let (_, diags) = load(&item("x", "benefit_kind = \"no_application\"\n"));
    assert_eq!(keys(&diags), ["13:16 rules.benefit_kind_unknown"]);
    assert!(diags[0].render().contains("tax_relief_declared"));
    let (_, diags) = load(&item("x", "benefit_kind = \"fee_waiver\"\nperiod = \"week\"\n"));
    assert_eq!(keys(&diags), ["14:10 rules.period_unknown"]);
    // The old flag is accepted when it agrees, refused when it does not.
    let (_, diags) = load(&item("x", "benefit_kind = \"award_no_application\"\nno_application = true\n"));
    assert!(diags.is_empty(), "{diags:?}");
    let (_, diags) = load(&item("x", "benefit_kind = \"tax_relief_declared\"\nno_application = true\n"));
    assert_eq!(keys(&diags), ["14:18 rules.no_application_conflict"]);
}

#[test]
fn supersedes_names_items_of_the_same_period_kind() {
    let old = item("old", "benefit_kind = \"tax_relief_declared\"\n");
    let ok =
        format!("{old}{}", item("new", "benefit_kind = \"tax_relief_declared\"\nsupersedes = \"old\"\n"));
    let (lib, diags) = load(&ok);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(lib.item("new").unwrap().supersedes, ["old"]);
    let list =
        format!("{old}{}", item("new", "benefit_kind = \"tax_relief_declared\"\nsupersedes = [\"old\"]\n"));
    assert!(load(&list).1.is_empty());

    let typo =
        format!("{old}{}", item("new", "benefit_kind = \"tax_relief_declared\"\nsupersedes = \"odl\"\n"));
    let (_, diags) = load(&typo);
    assert_eq!(keys(&diags), ["20:14 rules.supersedes_unknown_hint"]);
    assert!(diags[0].render().contains("did you mean 'old'"), "{}", diags[0].render());
    let itself = item("x", "benefit_kind = \"tax_relief_declared\"\nsupersedes = \"x\"\n");
    assert_eq!(keys(&load(&itself).1), ["14:14 rules.supersedes_itself"]);
    let months = format!(
        "{old}{}",
        item("new", "benefit_kind = \"tax_relief_declared\"\nperiod = \"month\"\nsupersedes = \"old\"\n")
    );
    assert_eq!(keys(&load(&months).1), ["21:14 rules.supersedes_period"]);
}

#[test]
fn every_shipped_item_states_its_kind_by_the_law() {
    let (lib, diags) = Library::load(&policy_files(), FactDictionary::official());
    assert!(diags.is_empty(), "{diags:?}");
    let kind = |id: &str| lib.item(id).unwrap_or_else(|| panic!("{id}")).benefit_kind;
    use BenefitKind::*;
    for id in
        ["six-taxes-two-fees-2022", "six-taxes-two-fees-2023", "slp-income-tax-2022", "slp-income-tax-2023"]
    {
        assert_eq!(kind(id), TaxReliefDeclared, "{id}");
    }
    for id in ["vat-super-deduction-services-2022", "small-scale-vat-exemption-2022"] {
        assert_eq!(kind(id), TaxReliefDeclared, "{id}");
    }
    assert_eq!(kind("vat-credit-refund-small-micro-2022"), TaxRefundApplied);
    assert_eq!(kind("utility-late-fee-waiver"), FeeWaiver);
    assert_eq!(kind("zone-first-hitech-award"), AwardNoApplication);
    assert_eq!(kind("zone-listing-award"), AwardApplication);
    // No tax item is a zone payout.
    for it in lib.items().filter(|i| i.level != rules::Level::Zone) {
        assert!(!it.benefit_kind.is_zone_payout(), "{}", it.id);
    }
    assert_eq!(lib.item("six-taxes-two-fees-2023").unwrap().supersedes, ["six-taxes-two-fees-2022"]);
    // 加计抵减 is claimed on the return after filing the 声明.
    for id in ["vat-super-deduction-services-2022", "vat-super-deduction-life-2023"] {
        let how = Library::how_claimed(lib.item(id).unwrap());
        assert!(how.contains("申报时自行享受") && how.contains("适用加计抵减政策的声明"), "{how}");
    }
    assert!(Library::how_claimed(lib.item("slp-income-tax-2022").unwrap()).ends_with("园区不支付"));
}

fn policy_files() -> Vec<SourceFile> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<SourceFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| SourceFile {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn facts(json: &str) -> enterprise::Facts {
    enterprise::Facts::from_json(FactDictionary::official(), &serde_json::from_str(json).unwrap()).unwrap()
}

/// The 2022 settlement, filed in May 2023: `tax_year = 2022` decides the 2022 annual items
/// (as of the end of 2022) and not the 2023 ones; without it the date's year is decided.
#[test]
fn a_tax_year_decides_the_annual_items_of_that_year() {
    let (lib, diags) = Library::load(&policy_files(), FactDictionary::official());
    assert!(diags.is_empty(), "{diags:?}");
    let f = facts(
        r#"{"restricted_industry": false, "taxable_income": {"2022": "2000000"},
            "employees": {"2022": 120}, "total_assets": {"2022": "30000000"}}"#,
    );
    let may = day("2023-05-20");
    let find = |ds: &[rules::Decision], id: &str| ds.iter().find(|d| d.item == id).cloned();
    let settled = lib.evaluate_all_for(&f, may, Some(2022));
    let slp = find(&settled, "slp-income-tax-2022").expect("the 2022 relief is decided for 2022");
    assert_eq!(slp.outcome, rules::Eligibility::Eligible);
    assert_eq!(slp.amount, Some("425000".parse().unwrap()));
    assert_eq!(slp.period.to_string(), "2022");
    assert!(find(&settled, "slp-income-tax-2023").is_none(), "2023 is not the tax year");
    // Without a tax year: the items in force on the date, for the date's year.
    let current = lib.evaluate_all_for(&f, may, None);
    assert_eq!(current, lib.evaluate_all(&f, may));
    assert!(find(&current, "slp-income-tax-2022").is_none());
    let d = find(&current, "slp-income-tax-2023").unwrap();
    assert_eq!((d.outcome, d.period.to_string()), (rules::Eligibility::Undetermined, "2023".into()));
    // The date's own year as the tax year decides what the date alone decides, for annual items.
    let same = lib.evaluate_all_for(&f, may, Some(2023));
    assert_eq!(find(&same, "slp-income-tax-2023"), Some(d));
    // A tax year after the date decides no annual item.
    assert!(lib.evaluate_all_for(&f, may, Some(2024)).iter().all(|d| d.period.kind() != PeriodKind::Year));
}

/// 六税两费 in 2023: 公告2023年第12号's item replaces 公告2022年第10号's for the same year;
/// both are decided and shown, the replaced one names its replacement.
#[test]
fn a_replaced_item_names_its_replacement_for_the_same_period() {
    let (lib, _) = Library::load(&policy_files(), FactDictionary::official());
    let f =
        facts(r#"{"taxpayer_type": "small_scale", "six_taxes_two_fees": {"2022": "800", "2023": "1000"}}"#);
    let ds = lib.evaluate_all(&f, day("2023-06-30"));
    let old = ds.iter().find(|d| d.item == "six-taxes-two-fees-2022").unwrap();
    let new = ds.iter().find(|d| d.item == "six-taxes-two-fees-2023").unwrap();
    assert_eq!((old.amount, new.amount), (Some("500".parse().unwrap()), Some("500".parse().unwrap())));
    assert_eq!(old.superseded_by.as_deref(), Some("six-taxes-two-fees-2023"));
    assert_eq!(new.superseded_by, None);
    let items: Vec<&rules::Item> = lib.items_in_force(day("2023-06-30"));
    let by = Library::superseded_among(&items);
    assert_eq!(by.get("six-taxes-two-fees-2022").map(String::as_str), Some("six-taxes-two-fees-2023"));
    // In 2022 nothing replaces it.
    let ds = lib.evaluate_all(&f, day("2022-06-30"));
    assert!(ds.iter().all(|d| d.superseded_by.is_none()));
    // The JSON of a decision carries the new fields.
    let json = serde_json::to_value(old).unwrap();
    assert_eq!(json["benefit_kind"], "tax_relief_declared");
    assert_eq!(json["period"], "2023");
    assert_eq!(json["amount_missing_facts"], serde_json::json!([]));
    assert_eq!(json["superseded_by"], "six-taxes-two-fees-2023");
}
