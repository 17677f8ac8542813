//! The index on a small library: document numbers, pinyin, synonyms, filters, access.

use super::*;

fn d(kind: Kind, id: &str, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        kind: Some(kind),
        id: id.into(),
        title: title.into(),
        body: body.into(),
        ..SearchDoc::default()
    }
}

fn library() -> SearchIndex {
    let ix = SearchIndex::in_memory().unwrap();
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let docs = vec![
        SearchDoc {
            docno: "财政部 税务总局公告2022年第14号".into(),
            level: "national".into(),
            ..d(
                Kind::Policy,
                "sta-2022-14",
                "关于进一步加大增值税期末留抵退税政策实施力度的公告",
                "财政部 税务总局公告2022年第14号 加大小微企业增值税期末留抵退税政策力度",
            )
        },
        SearchDoc {
            parent_docno: "财政部 税务总局公告2022年第14号".into(),
            level: "national".into(),
            benefit: "tax_refund".into(),
            valid_from: date("2022-04-01"),
            valid_to: date("2022-12-31"),
            ..d(
                Kind::Item,
                "small-micro-vat-refund",
                "小微企业增值税留抵退税（增量与存量）",
                "符合条件的小微企业，可以自2022年4月纳税申报期起向主管税务机关申请退还增量留抵税额",
            )
        },
        SearchDoc {
            docno: "财政部 税务总局公告2022年第13号".into(),
            level: "national".into(),
            ..d(
                Kind::Policy,
                "sta-2022-13",
                "关于进一步实施小微企业所得税优惠政策的公告",
                "财政部 税务总局公告2022年第13号 小型微利企业所得税",
            )
        },
        SearchDoc {
            level: "zone".into(),
            departments: vec!["经济发展局".into()],
            tags: vec!["专精特新".into()],
            benefit: "no_application".into(),
            valid_from: date("2022-01-01"),
            ..d(
                Kind::Item,
                "zjtx-city",
                "【示例】市级专精特新中小企业奖励",
                "对首次认定为市级专精特新中小企业的，给予一次性奖励",
            )
        },
        d(
            Kind::Faq,
            "faq-1",
            "企业如何申请稳岗返还？",
            "参保企业上年度未裁员或裁员率低于规定比例的，可申请失业保险稳岗返还。",
        ),
        d(Kind::Guide, "guide-1", "增值税留抵退税办事指南", "办理地点：主管税务机关办税服务厅或电子税务局。"),
        SearchDoc {
            access: vec!["enterprise:A".into(), "department:tax".into()],
            ..d(Kind::Problem, "1", "留抵退税迟迟未到账", "我司三月申请的留抵退税至今未到账")
        },
        SearchDoc {
            access: vec!["enterprise:B".into(), "department:tax".into()],
            ..d(Kind::Problem, "2", "留抵退税材料被退回", "申请材料被退回两次，不清楚缺什么")
        },
    ];
    ix.apply(&[], &[], &docs, &Watermarks::default()).unwrap();
    ix
}

fn ids(ix: &SearchIndex, q: SearchQuery) -> Vec<String> {
    ix.search(&q).unwrap().into_iter().map(|h| format!("{}:{}", h.kind.as_str(), h.id)).collect()
}

fn q(text: &str) -> SearchQuery {
    SearchQuery { text: text.into(), access: Some(vec![PUBLIC.into()]), ..SearchQuery::default() }
}

#[test]
fn every_document_number_form_finds_its_document_first() {
    let ix = library();
    for form in [
        "财政部 税务总局公告2022年第14号",
        "2022年第14号",
        "2022年14号",
        "〔2022〕14号",
        "税务总局公告2022年第14号",
    ] {
        let found = ids(&ix, q(form));
        assert_eq!(found.first().map(String::as_str), Some("policy:sta-2022-14"), "{form}: {found:?}");
        assert_eq!(
            found.get(1).map(String::as_str),
            Some("item:small-micro-vat-refund"),
            "{form}: {found:?}"
        );
    }
    assert_eq!(ids(&ix, q("2022年第13号")).first().map(String::as_str), Some("policy:sta-2022-13"));
}

#[test]
fn pinyin_full_and_initials_find_titles() {
    let ix = library();
    assert_eq!(ids(&ix, q("zjtx")).first().map(String::as_str), Some("item:zjtx-city"));
    assert_eq!(ids(&ix, q("zhuanjingtexin")).first().map(String::as_str), Some("item:zjtx-city"));
    let liudi = ids(&ix, q("liudi"));
    assert!(liudi.contains(&"item:small-micro-vat-refund".to_string()), "{liudi:?}");
    assert!(liudi.contains(&"guide:guide-1".to_string()), "{liudi:?}");
    assert!(ids(&ix, q("xyz")).is_empty());
}

#[test]
fn a_synonym_finds_what_its_group_names() {
    let ix = library();
    // Without the group, 岗位补贴 does not find the FAQ on 稳岗返还…
    let before = ids(&ix, q("岗位补贴"));
    assert!(!before.contains(&"faq:faq-1".to_string()), "{before:?}");
    // …with it, it does.
    ix.set_synonyms(vec![vec!["岗位补贴".into(), "稳岗返还".into()]]);
    let after = ids(&ix, q("岗位补贴"));
    assert_eq!(after.first().map(String::as_str), Some("faq:faq-1"), "{after:?}");
}

#[test]
fn in_force_on_a_date_leaves_out_expired_items() {
    let ix = library();
    let on = |date: &str| SearchQuery {
        date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok(),
        kinds: vec![Kind::Item],
        ..q("留抵退税")
    };
    assert_eq!(ids(&ix, on("2022-06-01")), vec!["item:small-micro-vat-refund".to_string()]);
    assert!(ids(&ix, on("2023-06-01")).is_empty(), "expired on 2022-12-31");
    assert!(ids(&ix, on("2022-03-31")).is_empty(), "not yet in force");
}

#[test]
fn filters_by_kind_level_department_tag_and_benefit() {
    let ix = library();
    let zone = SearchQuery { level: Some("zone".into()), ..q("奖励") };
    assert_eq!(ids(&ix, zone), vec!["item:zjtx-city".to_string()]);
    let dept = SearchQuery { department: Some("经济发展局".into()), ..q("专精特新") };
    assert_eq!(ids(&ix, dept), vec!["item:zjtx-city".to_string()]);
    let tag = SearchQuery { tags: vec!["专精特新".into()], ..q("奖励") };
    assert_eq!(ids(&ix, tag), vec!["item:zjtx-city".to_string()]);
    let benefit = SearchQuery { benefit: Some("tax_refund".into()), ..q("留抵") };
    assert_eq!(ids(&ix, benefit), vec!["item:small-micro-vat-refund".to_string()]);
    let guides = SearchQuery { kinds: vec![Kind::Guide], ..q("留抵退税") };
    assert_eq!(ids(&ix, guides), vec!["guide:guide-1".to_string()]);
}

#[test]
fn access_keys_hide_other_enterprises_problems() {
    let ix = library();
    let a = SearchQuery { access: Some(vec![PUBLIC.into(), "enterprise:A".into()]), ..q("留抵退税") };
    let found = ids(&ix, a);
    assert!(found.contains(&"problem:1".to_string()), "{found:?}");
    assert!(!found.contains(&"problem:2".to_string()), "{found:?}");
    let public = ids(&ix, q("留抵退税"));
    assert!(!public.iter().any(|h| h.starts_with("problem:")), "{public:?}");
    let tax = SearchQuery { access: Some(vec![PUBLIC.into(), "department:tax".into()]), ..q("留抵退税") };
    let found = ids(&ix, tax);
    assert!(found.contains(&"problem:1".to_string()) && found.contains(&"problem:2".to_string()));
    let all = SearchQuery { access: None, ..q("退回") };
    assert_eq!(ids(&ix, all), vec!["problem:2".to_string()]);
}

#[test]
fn snippets_are_escaped_and_highlighted() {
    let ix = library();
    ix.apply(
        &[],
        &[],
        &[d(Kind::Faq, "x", "标签<script>", "<script>alert(1)</script> 留抵退税怎么申请")],
        &Watermarks::default(),
    )
    .unwrap();
    let hits = ix.search(&q("留抵退税怎么申请")).unwrap();
    let h = hits.iter().find(|h| h.id == "x").unwrap();
    assert!(h.snippet.contains("<b>"), "{}", h.snippet);
    assert!(!h.snippet.contains("<script>"), "{}", h.snippet);
}

#[test]
fn replacing_a_kind_and_removing_one_document() {
    let ix = library();
    let n = ix.len();
    let mut w = Watermarks::default();
    w.sources.insert("content".into(), "7".into());
    ix.apply(&[Kind::Faq], &[(Kind::Guide, "guide-1".into())], &[], &w).unwrap();
    assert_eq!(ix.len(), n - 2);
    assert_eq!(ix.watermarks(), w);
}

#[test]
fn an_index_on_disk_keeps_its_watermarks_and_a_damaged_one_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Watermarks::default();
    w.sources.insert("problems".into(), "42".into());
    {
        let ix = SearchIndex::open(dir.path()).unwrap();
        ix.apply(&[], &[], &[d(Kind::Faq, "1", "稳岗返还", "")], &w).unwrap();
    }
    let ix = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(ix.watermarks(), w);
    assert_eq!(ix.len(), 1);
    drop(ix);
    std::fs::write(dir.path().join("meta.json"), "garbage").unwrap();
    let ix = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(ix.len(), 0);
    assert_eq!(ix.watermarks(), Watermarks::default());
}

#[test]
fn all_words_narrows_as_words_are_added_and_keeps_synonyms() {
    let ix = library();
    let all =
        |text: &str| SearchQuery { access: None, kinds: vec![Kind::Problem], all_words: true, ..q(text) };
    // Ranked search: any word; the filter: every word.
    assert_eq!(
        ids(&ix, SearchQuery { access: None, kinds: vec![Kind::Problem], ..q("留抵退税 到账") }).len(),
        2
    );
    assert_eq!(ids(&ix, all("留抵退税 到账")), vec!["problem:1".to_string()]);
    assert_eq!(ids(&ix, all("留抵退税 退回")), vec!["problem:2".to_string()]);
    assert!(ids(&ix, all("留抵退税 电费")).is_empty());
    // A word's synonym satisfies it.
    ix.set_synonyms(vec![vec!["拨付".into(), "到账".into()]]);
    assert_eq!(ids(&ix, all("留抵退税 拨付")), vec!["problem:1".to_string()]);
}
