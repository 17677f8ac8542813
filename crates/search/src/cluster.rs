//! Common problems (共性问题): grouping similar problem texts by TF-IDF cosine similarity over
//! jieba tokens.
//!
//! Each text becomes a vector of its tokens (jieba's search mode, lower-cased, without stop
//! words, single characters and numbers), weighted by term frequency × inverse document
//! frequency over the texts given, cut to its [`Settings::terms`] heaviest terms and
//! normalised. Two texts are similar when the cosine of their vectors reaches
//! [`Settings::threshold`]. Groups are the connected components of "similar" among texts that
//! share one of their [`Settings::keys`] heaviest terms (candidates come from an inverted
//! index of those keys, so the work grows with the texts that share a key, not with the
//! square of all texts); a key held by more than [`Settings::max_postings`] texts is too
//! common to propose candidates. A group is kept when its members come from at least
//! [`Settings::min_owners`] different owners (enterprises).
//!
//! Why TF-IDF cosine rather than MinHash/LSH: problem texts are short (a title and a few
//! sentences), where shingled MinHash estimates are noisy, and the weights let rare shared
//! words (留抵, 限行) count more than common ones (申请, 企业). Measured on the labelled set in
//! `test_data/common_problems.tsv` (docs/SEARCH.md).

use std::collections::HashMap;

/// The clustering's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The least cosine similarity of two texts in one group.
    pub threshold: f32,
    /// Terms kept per text.
    pub terms: usize,
    /// The heaviest terms of a text that propose candidates.
    pub keys: usize,
    /// A key held by more texts than this proposes none.
    pub max_postings: usize,
    /// The least number of distinct owners in a group.
    pub min_owners: usize,
    /// The most similar pairs kept per text (its nearest neighbours at or above the threshold).
    pub neighbours: usize,
    /// The least number of texts in a group: two texts sharing a phrase (审批周期太长) are
    /// weak evidence of one problem; three are a pattern.
    pub min_members: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: 0.25,
            terms: 16,
            keys: 4,
            max_postings: 1_000,
            neighbours: 20,
            min_owners: 2,
            min_members: 4,
        }
    }
}

/// A text to group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// Who raised it (an enterprise's credit code).
    pub owner: String,
    pub text: String,
}

/// The tokens the clustering weighs.
pub fn terms(text: &str) -> Vec<String> {
    let words: Vec<String> = crate::text::words(text)
        .into_iter()
        .map(|w| w.text)
        .filter(|w| {
            w.chars().count() >= 2 && !crate::text::is_stop_word(w) && !w.chars().all(|c| c.is_ascii_digit())
        })
        .collect();
    // Character bigrams inside the words as well: 限行 in 限行时段, 补贴 in 房租补贴.
    let mut out = Vec::with_capacity(words.len() * 2);
    for w in &words {
        let cs: Vec<char> = w.chars().collect();
        if cs.len() > 2 {
            for p in cs.windows(2) {
                let b: String = p.iter().collect();
                if !crate::text::is_stop_word(&b) {
                    out.push(b);
                }
            }
        }
    }
    out.extend(words);
    out
}

struct Vector {
    /// (term id, weight), sorted by term id.
    entries: Vec<(u32, f32)>,
    keys: Vec<u32>,
}

fn cosine(a: &Vector, b: &Vector) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f32);
    while i < a.entries.len() && j < b.entries.len() {
        match a.entries[i].0.cmp(&b.entries[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a.entries[i].1 * b.entries[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// Groups similar texts: each group is a list of indices into `texts` (ascending), groups
/// ordered largest first (then by their first member). Texts in no group are left out.
pub fn group(texts: &[Text], s: &Settings) -> Vec<Vec<usize>> {
    let tokenised: Vec<Vec<String>> = texts.iter().map(|t| terms(&t.text)).collect();
    group_terms(texts, &tokenised, s)
}

/// [`group`] over texts already tokenised with [`terms`].
pub fn group_terms(texts: &[Text], tokenised: &[Vec<String>], s: &Settings) -> Vec<Vec<usize>> {
    let n = texts.len();
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut df: Vec<u32> = Vec::new();
    let mut tfs: Vec<Vec<(u32, f32)>> = Vec::with_capacity(n);
    for ts in tokenised {
        let mut tf: HashMap<u32, f32> = HashMap::new();
        for t in ts {
            let next = ids.len() as u32;
            let id = *ids.entry(t.as_str()).or_insert(next);
            if id as usize == df.len() {
                df.push(0);
            }
            *tf.entry(id).or_insert(0.0) += 1.0;
        }
        for id in tf.keys() {
            df[*id as usize] += 1;
        }
        tfs.push(tf.into_iter().collect());
    }
    let total = n.max(1) as f32;
    let vectors: Vec<Vector> = tfs
        .into_iter()
        .map(|tf| {
            let mut w: Vec<(u32, f32)> = tf
                .into_iter()
                .map(|(id, f)| (id, (1.0 + f.ln()) * (1.0 + total / df[id as usize] as f32).ln()))
                .collect();
            w.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            w.truncate(s.terms);
            let keys = w.iter().take(s.keys).map(|(id, _)| *id).collect();
            let norm = w.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                for e in &mut w {
                    e.1 /= norm;
                }
            }
            w.sort_by_key(|e| e.0);
            Vector { entries: w, keys }
        })
        .collect();
    let mut postings: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, v) in vectors.iter().enumerate() {
        for k in &v.keys {
            postings.entry(*k).or_default().push(i);
        }
    }
    // Candidate pairs at or above the threshold (each text's nearest neighbours), most
    // similar first.
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    let mut seen: Vec<usize> = vec![usize::MAX; n];
    let mut near: Vec<(f32, usize)> = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        near.clear();
        for k in &v.keys {
            let Some(list) = postings.get(k) else { continue };
            if list.len() > s.max_postings {
                continue;
            }
            for &j in list {
                if j <= i || seen[j] == i {
                    continue;
                }
                seen[j] = i;
                let c = cosine(v, &vectors[j]);
                if c >= s.threshold {
                    near.push((c, j));
                }
            }
        }
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        pairs.extend(near.iter().take(s.neighbours).map(|&(c, j)| (c, i, j)));
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    // Average linkage: two groups join when the mean similarity of their members' pairs
    // reaches the threshold (single linkage chained unrelated texts through one shared word).
    let mut parent: Vec<usize> = (0..n).collect();
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (_, i, j) in pairs {
        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
        if a == b {
            continue;
        }
        let sum: f32 = {
            let (sa, sb) = ([a], [b]);
            let ma: &[usize] = members.get(&a).map_or(&sa[..], Vec::as_slice);
            let mb: &[usize] = members.get(&b).map_or(&sb[..], Vec::as_slice);
            let mut sum = 0.0f32;
            for &x in ma {
                for &y in mb {
                    sum += cosine(&vectors[x], &vectors[y]);
                }
            }
            sum / (ma.len() * mb.len()) as f32
        };
        if sum >= s.threshold {
            let (root, other) = (a.min(b), a.max(b));
            parent[other] = root;
            let mut all = members.remove(&root).unwrap_or_else(|| vec![root]);
            all.extend(members.remove(&other).unwrap_or_else(|| vec![other]));
            members.insert(root, all);
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups
        .into_values()
        .filter(|g| {
            let mut owners: Vec<&str> = g.iter().map(|&i| texts[i].owner.as_str()).collect();
            owners.sort_unstable();
            owners.dedup();
            g.len() >= s.min_members.max(2) && owners.len() >= s.min_owners
        })
        .collect();
    for g in &mut out {
        g.sort_unstable();
    }
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    out
}

/// Pairwise precision and recall of predicted groups against labels (texts labelled `None`
/// belong to no group).
pub fn pair_quality(groups: &[Vec<usize>], labels: &[Option<String>]) -> (f64, f64, u64, u64) {
    let mut predicted = 0u64;
    let mut correct = 0u64;
    for g in groups {
        for (x, &i) in g.iter().enumerate() {
            for &j in &g[x + 1..] {
                predicted += 1;
                if labels[i].is_some() && labels[i] == labels[j] {
                    correct += 1;
                }
            }
        }
    }
    let mut by_label: HashMap<&str, u64> = HashMap::new();
    for l in labels.iter().flatten() {
        *by_label.entry(l.as_str()).or_default() += 1;
    }
    let actual: u64 = by_label.values().map(|c| c * (c - 1) / 2).sum();
    let precision = if predicted == 0 { 1.0 } else { correct as f64 / predicted as f64 };
    let recall = if actual == 0 { 1.0 } else { correct as f64 / actual as f64 };
    (precision, recall, predicted, actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(owner: &str, text: &str) -> Text {
        Text { owner: owner.into(), text: text.into() }
    }

    #[test]
    fn similar_texts_of_different_owners_group_and_others_do_not() {
        let texts = vec![
            t("a", "园区道路货车限行，原材料运不进厂"),
            t("b", "货车限行导致原材料无法运进工厂"),
            t("c", "申请留抵退税一个月了还没有到账"),
            t("a", "园区道路货车限行影响送货"),
            t("d", "食堂用工招聘困难"),
            t("e", "货车限行，原材料运不进工厂"),
        ];
        let pairs = Settings { min_members: 2, ..Settings::default() };
        let g = group(&texts, &pairs);
        assert_eq!(g.len(), 1, "{g:?}");
        assert!(g[0].contains(&0) && g[0].contains(&1) && g[0].contains(&5), "{g:?}");
        assert!(!g[0].contains(&2) && !g[0].contains(&4));
        // One owner's repeats alone are not a common problem.
        let same = vec![t("a", "货车限行导致原材料无法运进工厂"); 5];
        assert!(group(&same, &pairs).is_empty());
    }

    /// The labelled set: at least 300 synthetic problems written for this test (not by the
    /// demo generator), each with its topic or `-` for a problem of its own.
    #[test]
    fn quality_on_the_labelled_set() {
        let data = include_str!("../test_data/common_problems.tsv");
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for line in data.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 4, "{line}");
            labels.push((cols[0] != "-").then(|| cols[0].to_string()));
            texts.push(t(cols[1], &format!("{} {}", cols[2], cols[3])));
        }
        assert!(texts.len() >= 300, "{}", texts.len());
        let groups = group(&texts, &Settings::default());
        let (precision, recall, predicted, actual) = pair_quality(&groups, &labels);
        eprintln!(
            "common problems on {} labelled texts: {} groups, pairwise precision {precision:.3} ({predicted} pairs), recall {recall:.3} (of {actual})",
            texts.len(),
            groups.len()
        );
        assert!(precision >= 0.9, "precision {precision:.3}");
        // Recall is reported (docs/SEARCH.md): the set's phrasings of one topic share few words.
        assert!(recall >= 0.1, "recall {recall:.3}");
    }

    #[test]
    fn pair_quality_counts_pairs() {
        let labels = vec![Some("x".to_string()), Some("x".to_string()), Some("y".to_string()), None];
        let (p, r, predicted, actual) = pair_quality(&[vec![0, 1, 2]], &labels);
        assert_eq!((predicted, actual), (3, 1));
        assert!((p - 1.0 / 3.0).abs() < 1e-9 && (r - 1.0).abs() < 1e-9);
    }
}
#[cfg(test)]
mod sweep {
    /// `cargo test -p search sweep -- --ignored --nocapture`: precision and recall on the
    /// labelled set over thresholds and group sizes, with the mixed groups at 0.45 (how the
    /// defaults were chosen; docs/SEARCH.md).
    #[test]
    #[ignore]
    fn sweep_thresholds() {
        use super::*;
        let data = include_str!("../test_data/common_problems.tsv");
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for line in data.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            labels.push((cols[0] != "-").then(|| cols[0].to_string()));
            texts.push(Text { owner: cols[1].into(), text: format!("{} {}", cols[2], cols[3]) });
        }
        for th in [0.2f32, 0.25, 0.3, 0.35, 0.4, 0.45] {
            for mm in [2usize, 3, 4] {
                let s = Settings { threshold: th, min_members: mm, ..Settings::default() };
                let g = group(&texts, &s);
                let (p, r, _, _) = pair_quality(&g, &labels);
                eprintln!("th {th} min {mm}: groups {} p {p:.3} r {r:.3}", g.len());
                if th > 0.44 && mm == 3 {
                    for gr in &g {
                        let ls: Vec<String> = gr
                            .iter()
                            .map(|&i| {
                                format!("{}:{}", labels[i].clone().unwrap_or("-".into()), texts[i].text)
                            })
                            .collect();
                        if ls
                            .iter()
                            .map(|l| l.split(':').next().unwrap_or(""))
                            .collect::<std::collections::BTreeSet<_>>()
                            .len()
                            > 1
                        {
                            eprintln!("  MIXED {ls:?}");
                        }
                    }
                }
            }
        }
    }
}
