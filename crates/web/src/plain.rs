//! Plain words for the rules' codes on zh-CN pages: a condition (`employees[year] <=
//! slp_employees_max`) becomes 从业人数（当年）≤ 小型微利企业从业人数上限, a value read
//! (`slp_employees_max = 300`) becomes 小型微利企业从业人数上限 = 300 人, from the labels the
//! rules already carry: the fact dictionary's Chinese names and codes, the parameters'
//! descriptions and units, the definitions' descriptions. English pages keep the rule text as
//! written (it is the policy language, whose names are English). A name without a label stays
//! as written (the zh test in `tests/it/zh.rs` finds it).

use crate::lang::Tr;
use enterprise::{FactDictionary, FactType, SizeClass};
use rules::Library;

/// Built-in functions of the policy language, in words.
fn function_zh(name: &str) -> Option<&'static str> {
    Some(match name {
        "year_of" => "年份",
        "min" => "较小值",
        "max" => "较大值",
        "size_class" => "企业规模",
        "vat_refund_size" => "留抵退税企业规模",
        "industry_section" => "行业门类",
        "industry_division" => "行业大类",
        "add_workdays" => "加工作日",
        _ => return None,
    })
}

/// The Chinese label of a code value (`small_scale`, `municipal`, `small`, …) from the fact
/// dictionary's closed lists and the size classes.
pub fn code_zh(code: &str) -> Option<String> {
    for def in FactDictionary::official().iter() {
        if let Some(c) = def.codes.iter().find(|c| c.code == code) {
            return Some(c.zh.clone());
        }
    }
    [SizeClass::Large, SizeClass::Medium, SizeClass::Small, SizeClass::Micro]
        .into_iter()
        .find(|s| s.as_str() == code)
        .map(|s| s.label_zh().to_string())
}

/// The label of one name of a condition: a fact, a parameter, a definition or a function.
fn name_zh(lib: &Library, name: &str) -> Option<String> {
    if let Some(d) = FactDictionary::official().get(name) {
        return Some(d.zh.clone());
    }
    if let Some(p) = lib.program.params.get(name)
        && !p.description.trim().is_empty()
    {
        return Some(p.description.clone());
    }
    if let Some(d) = lib.program.def_descriptions.get(name)
        && !d.trim().is_empty()
    {
        return Some(d.clone());
    }
    Some(
        match name {
            "and" => "且",
            "or" => "或",
            "not" => "非",
            "in" => "属于",
            "true" => "是",
            "false" => "否",
            "year" => "当年",
            "date" => "决定日",
            "today" => "决定日",
            "if" => "如果",
            "then" => "则",
            "else" => "否则",
            "eligible" => "符合条件",
            "amount" => "金额",
            "between" => "介于",
            "has" => "含有",
            other => return function_zh(other).map(str::to_string),
        }
        .to_string(),
    )
}

/// A condition as written, in the reader's language.
pub fn condition(lib: &Library, tr: Tr, expr: &str) -> String {
    if tr.is_en() {
        return expr.to_string();
    }
    let expr = expr.replace("year - 1", "上年").replace("year + 1", "下年");
    let mut out = String::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut lit = String::new();
            for d in chars.by_ref() {
                if d == '"' {
                    break;
                }
                lit.push(d);
            }
            out.push('“');
            out.push_str(&code_zh(&lit).unwrap_or(lit));
            out.push('”');
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut id = String::from(c);
            while let Some(&d) = chars.peek() {
                if d.is_ascii_alphanumeric() || d == '_' {
                    id.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push_str(&name_zh(lib, &id).unwrap_or(id));
        } else {
            match c {
                '<' | '>' | '=' | '!' if chars.peek() == Some(&'=') => {
                    chars.next();
                    out.push_str(match c {
                        '<' => "≤",
                        '>' => "≥",
                        '=' => "=",
                        _ => "≠",
                    });
                }
                '[' => out.push('（'),
                ']' => out.push('）'),
                '(' => out.push('（'),
                ')' => out.push('）'),
                c => out.push(c),
            }
        }
    }
    out
}

/// A person shown on a page: their display name, the system's own actors (`seed`, the shipped
/// texts; `demo`, the demo zone's generator; `cli`, the command line) in words, else the
/// username as recorded.
pub fn person(tr: Tr, people: &std::collections::BTreeMap<String, String>, username: &str) -> String {
    if let Some(name) = people.get(username) {
        return name.clone();
    }
    match username {
        "seed" => tr.t("ui.actor.seed"),
        "demo" => tr.t("ui.actor.demo"),
        "cli" => tr.t("ui.actor.cli"),
        "system" => tr.t("ui.actor.system"),
        other => other.to_string(),
    }
}

/// A benefit kind (`award_no_application`, `tax_relief_declared`, …) by its name.
pub fn benefit_kind(tr: Tr, code: &str) -> String {
    rules::BenefitKind::parse(code)
        .map(|k| tr.pick(k.name_zh(), k.name_en()).to_string())
        .unwrap_or_else(|| code.to_string())
}

/// An item's period kind (`year`, `quarter`, `month`, `day`, `status`) in words.
pub fn period_kind(tr: Tr, code: &str) -> String {
    if tr.is_en() {
        return code.to_string();
    }
    match code {
        "year" => "按年度",
        "quarter" => "按季度",
        "month" => "按月",
        "day" => "按日",
        "status" => "按状态（不分期间）",
        other => other,
    }
    .to_string()
}

/// Digits grouped by thousands (`3000000` → `3,000,000`), keeping a sign and decimals.
pub fn thousands(n: &str) -> String {
    let (sign, rest) = n.strip_prefix('-').map(|r| ("-", r)).unwrap_or(("", n));
    let (int, frac) = rest.split_once('.').map(|(i, f)| (i, Some(f))).unwrap_or((rest, None));
    if !int.chars().all(|c| c.is_ascii_digit()) {
        return n.to_string();
    }
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A value with its unit in words: money in 元 with thousands separators, ratios as
/// percentages, persons in 人, codes by their labels, `true`/`false` as 是/否.
fn value_zh(unit: &str, v: &str) -> String {
    let v = v.trim_matches('"');
    match (unit, v) {
        (_, "true") => "是".into(),
        (_, "false") => "否".into(),
        ("yuan", n) => format!("{} 元", thousands(n)),
        ("persons", n) => format!("{} 人", thousands(n)),
        ("count", n) => format!("{} 个", thousands(n)),
        ("years", n) => format!("{n} 年"),
        ("working days", n) => format!("{n} 个工作日"),
        ("ratio", n) => match n.parse::<rust_decimal::Decimal>() {
            Ok(d) => format!("{}%", (d * rust_decimal::Decimal::from(100)).normalize()),
            Err(_) => n.to_string(),
        },
        (_, n) => code_zh(n).unwrap_or_else(|| thousands(n)),
    }
}

/// One value a condition read (`employees[2026]`, `slp_employees_max`) and its value, in the
/// reader's language: the label with the year, the value with its unit.
pub fn value_read(lib: &Library, tr: Tr, key: &str, value: &str) -> (String, String) {
    if tr.is_en() {
        let v = if value == "missing" { tr.t("ui.node.missing") } else { value.to_string() };
        return (key.to_string(), v);
    }
    let (name, year) = match key.split_once('[') {
        Some((n, y)) => (n, Some(y.trim_end_matches(']'))),
        None => (key, None),
    };
    let label = name_zh(lib, name).unwrap_or_else(|| name.to_string());
    let label = match year {
        Some(y) => format!("{label}（{y} 年度）"),
        None => label,
    };
    if value == "missing" {
        return (label, tr.t("ui.node.missing"));
    }
    let unit = match FactDictionary::official().get(name).map(|d| d.ty) {
        Some(FactType::Money) => "yuan",
        Some(FactType::Ratio) => "ratio",
        Some(_) => "",
        None => lib.program.params.get(name).map(|p| p.unit.as_str()).unwrap_or(""),
    };
    (label, value_zh(unit, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_by_thousands_and_units_read_in_words() {
        assert_eq!(thousands("3000000"), "3,000,000");
        assert_eq!(thousands("-1234.50"), "-1,234.50");
        assert_eq!(thousands("300"), "300");
        assert_eq!(value_zh("yuan", "3000000"), "3,000,000 元");
        assert_eq!(value_zh("persons", "300"), "300 人");
        assert_eq!(value_zh("ratio", "0.05"), "5%");
        assert_eq!(value_zh("", "small_scale"), "小规模纳税人");
        assert_eq!(value_zh("", "true"), "是");
    }
}
