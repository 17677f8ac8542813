//! Text analysis shared by the index, the query and the clustering: the jieba tokenizer (for
//! tantivy and as plain tokens), pinyin keys of titles, and document numbers (文号) in their
//! common written forms.
//!
//! What it leaves out: stemming and stop words for Chinese beyond a short list of function
//! words the clustering ignores (the index keeps every token: BM25 discounts common ones).

use jieba_rs::Jieba;
use pinyin::ToPinyin;
use std::sync::{Arc, OnceLock};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The one jieba instance (its dictionary takes a moment to load).
pub fn jieba() -> &'static Jieba {
    static J: OnceLock<Jieba> = OnceLock::new();
    J.get_or_init(|| {
        let mut j = Jieba::new();
        // Terms of the zone's programmes jieba's general dictionary splits or misses.
        for w in [
            "专精特新",
            "小巨人",
            "留抵",
            "留抵退税",
            "稳岗",
            "稳岗返还",
            "免申即享",
            "六税两费",
            "小规模纳税人",
            "小型微利企业",
            "加计抵减",
            "高新技术企业",
            "首贷",
            "转贷",
            "过桥",
            "续贷",
            "贴息",
            "信用修复",
            "水电气",
            "滞纳金",
            "纾困",
            "帮扶",
            "诉求",
            "办事指南",
            "政策解读",
            "典型案例",
            "研发费用",
            "加计扣除",
            "社保",
            "公积金",
            "营业执照",
            "行政处罚",
            "融资担保",
            "风险补偿",
        ] {
            j.add_word(w, Some(20000), None);
        }
        j
    })
}

/// A token with byte offsets into the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

/// The text's tokens in jieba's search mode (the words and, for long words, their parts),
/// lower-cased, without white space and punctuation.
pub fn words(text: &str) -> Vec<Word> {
    // jieba reports positions in characters; map them to bytes.
    let bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).chain(std::iter::once(text.len())).collect();
    let mut out = Vec::new();
    for t in jieba().cut_for_search(text, true) {
        if !t.word.chars().any(char::is_alphanumeric) {
            continue;
        }
        let (Some(&from), Some(&to)) = (bytes.get(t.start), bytes.get(t.end)) else { continue };
        out.push(Word { text: t.word.to_lowercase(), from, to });
    }
    // Search mode gives a long word's parts before the word itself; tantivy's snippets need
    // tokens in the order of their offsets.
    out.sort_by_key(|w| (w.from, w.to));
    out
}

/// The jieba tokenizer registered with tantivy as [`crate::JIEBA`].
#[derive(Clone, Default)]
pub struct JiebaTokenizer;

pub struct JiebaStream {
    tokens: Vec<Token>,
    at: usize,
}

impl TokenStream for JiebaStream {
    fn advance(&mut self) -> bool {
        if self.at < self.tokens.len() {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = JiebaStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> JiebaStream {
        let tokens = words(text)
            .into_iter()
            .enumerate()
            .map(|(i, w)| Token {
                offset_from: w.from,
                offset_to: w.to,
                position: i,
                text: w.text,
                position_length: 1,
            })
            .collect();
        JiebaStream { tokens, at: 0 }
    }
}

/// The pinyin keys of a title: for every run of 2 to 8 consecutive Chinese characters, its
/// full pinyin without tones (`liudi`) and its initials (`ld`), so that `zjtx` finds
/// 专精特新 and `liudi` finds 留抵 wherever they stand in the title.
pub fn pinyin_keys(title: &str) -> Vec<String> {
    let mut runs: Vec<Vec<(&'static str, &'static str)>> = vec![Vec::new()];
    for c in title.chars() {
        let mut buf = [0u8; 4];
        let s: &str = c.encode_utf8(&mut buf);
        match s.to_pinyin().next().flatten() {
            Some(p) => {
                if let Some(r) = runs.last_mut() {
                    r.push((p.plain(), p.first_letter()));
                }
            }
            None => runs.push(Vec::new()),
        }
    }
    let mut keys = std::collections::BTreeSet::new();
    for run in runs.iter().filter(|r| r.len() >= 2) {
        for start in 0..run.len() {
            for len in 2..=8.min(run.len() - start) {
                let w = &run[start..start + len];
                keys.insert(w.iter().map(|(p, _)| *p).collect::<String>());
                keys.insert(w.iter().map(|(_, i)| *i).collect::<String>());
            }
        }
    }
    keys.into_iter().collect()
}

/// Whether a query reads as pinyin: ASCII letters only (spaces allowed), 2 to 40 of them.
pub fn pinyin_query(q: &str) -> Option<String> {
    let letters: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    (letters.len() >= 2 && letters.len() <= 40 && letters.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| letters.to_ascii_lowercase())
}

/// The document numbers (文号) a text states, as keys `YEAR-NUMBER` (`2022-14`): found in
/// `财政部 税务总局公告2022年第14号`, `2022年第14号`, `2022年14号`, `〔2022〕14号`,
/// `[2022]14号`, `(2022)第14号`, `2022第14号`. A year is 1949–2099; the number 1–99999.
pub fn docno_keys(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= chars.len() {
        let year_here = chars[i..i + 4].iter().all(char::is_ascii_digit)
            && (i == 0 || !chars[i - 1].is_ascii_digit())
            && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
        if !year_here {
            i += 1;
            continue;
        }
        let year: u32 = chars[i..i + 4].iter().collect::<String>().parse().unwrap_or(0);
        let mut j = i + 4;
        // After the year: 年, a closing bracket, or nothing; then 第 optionally.
        if let Some(c) = chars.get(j)
            && matches!(c, '年' | '〕' | ']' | '）' | ')' | '】' | '］')
        {
            j += 1;
        }
        if chars.get(j) == Some(&'第') {
            j += 1;
        }
        let start = j;
        while chars.get(j).is_some_and(char::is_ascii_digit) {
            j += 1;
        }
        let has_no = j > start && j - start <= 5 && chars.get(j) == Some(&'号');
        if (1949..=2099).contains(&year) && has_no {
            let n: u32 = chars[start..j].iter().collect::<String>().parse().unwrap_or(0);
            if n > 0 {
                out.push(format!("{year}-{n}"));
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Function words and generic words of problem texts that say nothing about what a problem
/// is about (the clustering ignores them).
pub fn is_stop_word(w: &str) -> bool {
    const STOP: &[&str] = &[
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "是",
        "在",
        "对",
        "我们",
        "我司",
        "公司",
        "企业",
        "请问",
        "希望",
        "能否",
        "是否",
        "如何",
        "怎么",
        "一下",
        "相关",
        "问题",
        "需要",
        "进行",
        "目前",
        "已经",
        "没有",
        "一个",
        "有关",
        "情况",
        "关于",
        "为",
        "被",
        "把",
        "也",
        "都",
        "就",
        "还",
        "但",
        "而",
        "吗",
        "呢",
        "啊",
        "请",
        "帮助",
        "协调",
        "解决",
        "反映",
        "申请",
        "办理",
        "尽快",
        "处理",
        "部门",
        "影响",
        "正常",
        "经营",
        "本公司",
        "我厂",
        "我们企业",
        "我们公司",
        "希望",
        "帮忙",
        "协助解决",
        "请相关部门",
        "相关部门",
        "一直",
        "太",
        "很",
        "非常",
        "什么",
        "哪些",
        "能否",
        "可以",
        "不能",
        "无法",
        "为什么",
        "怎么办",
        "多久",
        "时候",
        "需要",
        "提供",
        "告知",
        "请求",
        "咨询",
    ];
    STOP.contains(&w)
}

/// A shared handle to the tokenizer (cheap to clone).
pub fn tokenizer() -> Arc<JiebaTokenizer> {
    Arc::new(JiebaTokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_numbers_in_every_common_form() {
        for form in [
            "财政部 税务总局公告2022年第14号",
            "财政部税务总局公告2022年第14号",
            "2022年第14号",
            "2022年14号",
            "〔2022〕14号",
            "[2022]14号",
            "（2022）第14号",
            "2022第14号",
            "公告 2022年第 14号".replace(' ', "").as_str(),
        ] {
            assert_eq!(docno_keys(form), vec!["2022-14".to_string()], "{form}");
        }
        assert_eq!(docno_keys("工信部联企业〔2011〕300号"), vec!["2011-300".to_string()]);
        assert!(docno_keys("营业收入 20224 万元").is_empty());
        assert!(docno_keys("2022年4月27日").is_empty());
        assert!(docno_keys("").is_empty());
    }

    #[test]
    fn pinyin_keys_have_full_spellings_and_initials_of_every_run() {
        let k = pinyin_keys("【示例】市级专精特新中小企业奖励");
        assert!(k.contains(&"zjtx".to_string()), "{k:?}");
        assert!(k.contains(&"zhuanjingtexin".to_string()));
        let k = pinyin_keys("小微企业增值税留抵退税");
        assert!(k.contains(&"liudi".to_string()) && k.contains(&"ldts".to_string()), "{k:?}");
        assert_eq!(pinyin_query("LiuDi"), Some("liudi".into()));
        assert_eq!(pinyin_query("留抵"), None);
        assert_eq!(pinyin_query("a"), None);
    }

    #[test]
    fn words_come_in_the_order_of_their_offsets() {
        let ws = words("小微企业增值税期末留抵退税政策实施力度");
        assert!(ws.windows(2).all(|p| (p[0].from, p[0].to) <= (p[1].from, p[1].to)), "{ws:?}");
    }

    #[test]
    fn words_carry_byte_offsets() {
        let text = "小微企业留抵退税怎么办";
        let ws = words(text);
        assert!(ws.iter().any(|w| w.text == "留抵"), "{ws:?}");
        for w in &ws {
            assert_eq!(&text[w.from..w.to].to_lowercase(), &w.text);
        }
    }
}
