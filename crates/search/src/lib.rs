//! Full-text search for huiqi: a tantivy index with a jieba tokenizer over what the
//! application gives it ([`SearchDoc`]s: policy documents and items, interpretations, FAQs,
//! service guides, exemplary cases, problems), queried with filters ([`SearchQuery`]) and
//! answered with highlighted snippets ([`Hit`]). Also: pinyin keys of titles, document
//! numbers in their common forms ([`text`]), synonym expansion, and the grouping of similar
//! problem texts ([`cluster`]).
//!
//! The index is derived data. It holds nothing the database does not: the application feeds
//! it, keeps it current, and rebuilds it from scratch when it is missing or damaged; deleting
//! its directory loses nothing. Each index records, in its commit payload, how far it has
//! followed each source ([`Watermarks`]), so a process opening an existing index catches up
//! from there.
//!
//! What it leaves out: who may see what (the application passes the principal's access keys,
//! [`SearchQuery::access`], and the index only filters by them), where documents come from,
//! logging. Its only I/O is the index directory.

pub mod cluster;
pub mod text;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, EmptyQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// The name the jieba tokenizer is registered under.
pub const JIEBA: &str = "jieba";

/// The public access key: documents every signed-in user may find.
pub const PUBLIC: &str = "public";

/// What a search result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Policy,
    Item,
    Interpretation,
    Faq,
    Guide,
    Case,
    Problem,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Kind::Policy, Kind::Item, Kind::Interpretation, Kind::Faq, Kind::Guide, Kind::Case, Kind::Problem];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Item => "item",
            Kind::Interpretation => "interpretation",
            Kind::Faq => "faq",
            Kind::Guide => "guide",
            Kind::Case => "case",
            Kind::Problem => "problem",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::Policy => "政策文件",
            Kind::Item => "政策条款",
            Kind::Interpretation => "政策解读",
            Kind::Faq => "常见问题",
            Kind::Guide => "办事指南",
            Kind::Case => "典型案例",
            Kind::Problem => "诉求",
        }
    }
}

/// One document to index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchDoc {
    pub kind: Option<Kind>,
    pub id: String,
    pub title: String,
    pub body: String,
    /// Text that states the document number (文号); its keys are indexed.
    pub docno: String,
    /// The document number of the document this one belongs to (an item's policy): found too,
    /// ranked after the document itself.
    pub parent_docno: String,
    /// `national`, `provincial`, `municipal`, `zone`.
    pub level: String,
    pub departments: Vec<String>,
    pub tags: Vec<String>,
    /// The benefit kind of a policy item (`no_application`, `tax_relief`, …).
    pub benefit: String,
    /// In force from (none: always).
    pub valid_from: Option<NaiveDate>,
    /// In force to, inclusive (none: open-ended).
    pub valid_to: Option<NaiveDate>,
    /// Who may find it: [`PUBLIC`] or keys the application chooses (`enterprise:…`,
    /// `department:…`). Empty means public.
    pub access: Vec<String>,
}

/// A search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    /// Only these kinds (empty: all).
    pub kinds: Vec<Kind>,
    pub level: Option<String>,
    pub department: Option<String>,
    /// In force on this date (documents without a window always are).
    pub date: Option<NaiveDate>,
    /// Every one of these tags.
    pub tags: Vec<String>,
    pub benefit: Option<String>,
    /// The searcher's access keys; `None`: sees everything (officials who see every problem).
    pub access: Option<Vec<String>>,
    pub limit: usize,
    /// Every space-separated part of the query must match (one of its words or of its
    /// synonyms' words, in the title or the text): a filter that narrows as parts are added
    /// (the problem queue's keyword box), rather than any word, ranked (the search page).
    pub all_words: bool,
}

/// A result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub kind: Kind,
    pub id: String,
    pub title: String,
    /// HTML: text escaped, matched words in `<b>`.
    pub snippet: String,
    pub score: f32,
}

/// How far the index has followed each source (stored in its commit payload).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermarks {
    /// Any text per source (`content`, `policies`, `problems`, …) that changes with it.
    pub sources: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(String),
}

pub type Result<T> = std::result::Result<T, SearchError>;

#[derive(Debug, Clone, Copy)]
struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    title: Field,
    body: Field,
    pinyin: Field,
    docno: Field,
    parent_docno: Field,
    level: Field,
    department: Field,
    tag: Field,
    benefit: Field,
    from: Field,
    to: Field,
    access: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let jieba = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(JIEBA)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let f = Fields {
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", jieba.clone()),
        body: b.add_text_field("body", jieba),
        pinyin: b.add_text_field("pinyin", STRING),
        docno: b.add_text_field("docno", STRING),
        parent_docno: b.add_text_field("parent_docno", STRING),
        level: b.add_text_field("level", STRING),
        department: b.add_text_field("department", STRING),
        tag: b.add_text_field("tag", STRING),
        benefit: b.add_text_field("benefit", STRING),
        from: b.add_i64_field("from", INDEXED | FAST),
        to: b.add_i64_field("to", INDEXED | FAST),
        access: b.add_text_field("access", STRING),
    };
    (b.build(), f)
}

fn days(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

use chrono::Datelike;

/// The search index.
pub struct SearchIndex {
    memory: bool,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    synonyms: RwLock<Vec<Vec<String>>>,
    watermarks: Mutex<Watermarks>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

/// Memory for the index writer (tantivy's minimum is 15 MB per thread).
const WRITER_MEMORY: usize = 64 << 20;

impl SearchIndex {
    /// An index in memory (tests, and a process that keeps none on disk).
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = schema();
        SearchIndex::with(Index::create_in_ram(schema), fields, true)
    }

    /// Whether the index lives in memory only.
    pub fn is_in_memory(&self) -> bool {
        self.memory
    }

    /// The index in `dir`, created if absent. An index that does not open (damaged, or of an
    /// older schema) is removed and created empty: it is derived data, and its empty
    /// watermarks make the application rebuild it.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let opened = Index::open_in_dir(dir).ok().filter(|i| i.schema() == schema);
        let index = match opened {
            Some(i) => i,
            None => {
                std::fs::remove_dir_all(dir)
                    .and_then(|_| std::fs::create_dir_all(dir))
                    .map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
                Index::create_in_dir(dir, schema)?
            }
        };
        SearchIndex::with(index, fields, false)
    }

    fn with(index: Index, fields: Fields, memory: bool) -> Result<SearchIndex> {
        index.tokenizers().register(JIEBA, text::JiebaTokenizer);
        let writer = index.writer(WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let payload = index.load_metas()?.payload;
        let watermarks = payload.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default();
        Ok(SearchIndex {
            memory,
            reader,
            writer: Mutex::new(writer),
            fields,
            synonyms: RwLock::new(Vec::new()),
            watermarks: Mutex::new(watermarks),
        })
    }

    /// The watermarks of the last commit.
    pub fn watermarks(&self) -> Watermarks {
        self.watermarks.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// The synonym groups queries are expanded with.
    pub fn set_synonyms(&self, groups: Vec<Vec<String>>) {
        if let Ok(mut g) = self.synonyms.write() {
            *g = groups;
        }
    }

    /// Applies a batch of changes and commits them with the new watermarks: every document of
    /// each kind in `replace_kinds` is removed first, then `remove` (kind, id) pairs, then
    /// `docs` are added (a document already present with the same kind and id is replaced).
    pub fn apply(
        &self,
        replace_kinds: &[Kind],
        remove: &[(Kind, String)],
        docs: &[SearchDoc],
        watermarks: &Watermarks,
    ) -> Result<()> {
        let mut w = self.writer.lock().map_err(|_| SearchError::Directory("writer lock poisoned".into()))?;
        for k in replace_kinds {
            w.delete_term(Term::from_field_text(self.fields.kind, k.as_str()));
        }
        for (k, id) in remove {
            w.delete_term(Term::from_field_text(self.fields.key, &key(*k, id)));
        }
        for d in docs {
            let Some(kind) = d.kind else { continue };
            w.delete_term(Term::from_field_text(self.fields.key, &key(kind, &d.id)));
            w.add_document(self.document(kind, d))?;
        }
        let json = serde_json::to_string(watermarks).unwrap_or_default();
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload(&json);
        prepared.commit()?;
        drop(w);
        self.reader.reload()?;
        if let Ok(mut m) = self.watermarks.lock() {
            *m = watermarks.clone();
        }
        Ok(())
    }

    /// Removes every document (a rebuild starts here).
    pub fn clear(&self) -> Result<()> {
        let mut w = self.writer.lock().map_err(|_| SearchError::Directory("writer lock poisoned".into()))?;
        w.delete_all_documents()?;
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload("{}");
        prepared.commit()?;
        drop(w);
        self.reader.reload()?;
        if let Ok(mut m) = self.watermarks.lock() {
            *m = Watermarks::default();
        }
        Ok(())
    }

    /// How many documents the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, kind: Kind, d: &SearchDoc) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, key(kind, &d.id));
        doc.add_text(f.kind, kind.as_str());
        doc.add_text(f.id, &d.id);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        for k in text::pinyin_keys(&d.title) {
            doc.add_text(f.pinyin, k);
        }
        for k in text::docno_keys(&d.docno) {
            doc.add_text(f.docno, k);
        }
        for k in text::docno_keys(&d.parent_docno) {
            doc.add_text(f.parent_docno, k);
        }
        if !d.level.is_empty() {
            doc.add_text(f.level, &d.level);
        }
        for x in &d.departments {
            doc.add_text(f.department, x);
        }
        for x in &d.tags {
            doc.add_text(f.tag, x);
        }
        if !d.benefit.is_empty() {
            doc.add_text(f.benefit, &d.benefit);
        }
        doc.add_i64(f.from, d.valid_from.map_or(i64::MIN, days));
        doc.add_i64(f.to, d.valid_to.map_or(i64::MAX, days));
        if d.access.is_empty() {
            doc.add_text(f.access, PUBLIC);
        }
        for a in &d.access {
            doc.add_text(f.access, a);
        }
        doc
    }

    /// The query text expanded with the synonyms of every group one of whose terms it
    /// contains.
    fn expanded(&self, text: &str) -> Vec<String> {
        let mut extra = Vec::new();
        if let Ok(groups) = self.synonyms.read() {
            for g in groups.iter() {
                if g.iter().any(|t: &String| !t.is_empty() && text.contains(String::as_str(t))) {
                    extra.extend(g.iter().filter(|t: &&String| !text.contains(String::as_str(t))).cloned());
                }
            }
        }
        extra
    }

    /// Searches: best first, at most `q.limit` (20 when 0).
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<Hit>> {
        let f = self.fields;
        let text = q.text.trim();
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let term = |field: Field, s: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, s), IndexRecordOption::WithFreqs))
        };
        let boosted = |qq: Box<dyn Query>, b: f32| -> Box<dyn Query> { Box::new(BoostQuery::new(qq, b)) };
        // Words of the query (and of its synonyms) in titles and bodies.
        let mut words: Vec<String> = text::words(text).into_iter().map(|w| w.text).collect();
        let synonym_words: Vec<String> =
            self.expanded(text).iter().flat_map(|s| text::words(s)).map(|w| w.text).collect();
        words.sort();
        words.dedup();
        for w in &words {
            should.push((Occur::Should, boosted(term(f.title, w), 3.0)));
            should.push((Occur::Should, term(f.body, w)));
        }
        for w in synonym_words.iter().filter(|w| !words.contains(w)) {
            should.push((Occur::Should, boosted(term(f.title, w), 2.0)));
            should.push((Occur::Should, boosted(term(f.body, w), 0.7)));
        }
        // A document number: the document first, then its items.
        for k in text::docno_keys(text) {
            should.push((Occur::Should, boosted(term(f.docno, &k), 1000.0)));
            should.push((Occur::Should, boosted(term(f.parent_docno, &k), 200.0)));
        }
        // Pinyin, full or initials.
        if let Some(p) = text::pinyin_query(text) {
            should.push((Occur::Should, boosted(term(f.pinyin, &p), 50.0)));
        }
        if should.is_empty() {
            return Ok(Vec::new());
        }
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(should)))];
        if q.all_words {
            // Each part the user separated by spaces: one of its words, or of its synonyms'
            // words, in the title or the text.
            for part in text.split_whitespace() {
                let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                let own = text::words(part).into_iter().map(|x| x.text);
                let synonyms = self
                    .expanded(part)
                    .iter()
                    .flat_map(|s| text::words(s))
                    .map(|x| x.text)
                    .collect::<Vec<_>>();
                for w in own.chain(synonyms) {
                    either.push((Occur::Should, term(f.title, &w)));
                    either.push((Occur::Should, term(f.body, &w)));
                }
                if !either.is_empty() {
                    must.push((Occur::Must, Box::new(BooleanQuery::new(either))));
                }
            }
        }
        if !q.kinds.is_empty() {
            let ks = q.kinds.iter().map(|k| (Occur::Should, term(f.kind, k.as_str()))).collect();
            must.push((Occur::Must, Box::new(BooleanQuery::new(ks))));
        }
        if let Some(l) = &q.level {
            must.push((Occur::Must, term(f.level, l)));
        }
        if let Some(d) = &q.department {
            must.push((Occur::Must, term(f.department, d)));
        }
        for t in &q.tags {
            must.push((Occur::Must, term(f.tag, t)));
        }
        if let Some(b) = &q.benefit {
            must.push((Occur::Must, term(f.benefit, b)));
        }
        if let Some(d) = q.date {
            let d = days(d);
            must.push((
                Occur::Must,
                Box::new(RangeQuery::new(Bound::Unbounded, Bound::Included(Term::from_field_i64(f.from, d)))),
            ));
            must.push((
                Occur::Must,
                Box::new(RangeQuery::new(Bound::Included(Term::from_field_i64(f.to, d)), Bound::Unbounded)),
            ));
        }
        if let Some(keys) = &q.access {
            let ks: Vec<(Occur, Box<dyn Query>)> =
                keys.iter().map(|k| (Occur::Should, term(f.access, k))).collect();
            let ks: Box<dyn Query> =
                if ks.is_empty() { Box::new(EmptyQuery) } else { Box::new(BooleanQuery::new(ks)) };
            must.push((Occur::Must, ks));
        }
        let query = BooleanQuery::new(must);
        let searcher = self.reader.searcher();
        let limit = if q.limit == 0 { 20 } else { q.limit.min(1000) };
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        // The snippet highlights the query's words (not the filters) in the body.
        let words_query: Box<dyn Query> = Box::new(BooleanQuery::new(
            words
                .iter()
                .chain(synonym_words.iter())
                .flat_map(|w| [(Occur::Should, term(f.body, w)), (Occur::Should, term(f.title, w))])
                .collect(),
        ));
        let mut body_snip = SnippetGenerator::create(&searcher, words_query.as_ref(), f.body)?;
        body_snip.set_max_num_chars(120);
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let get = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let Some(kind) = Kind::parse(&get(f.kind)) else { continue };
            let title = get(f.title);
            let mut snippet = body_snip.snippet_from_doc(&doc).to_html();
            if snippet.is_empty() {
                snippet = escape(&get(f.body).chars().take(120).collect::<String>());
            }
            out.push(Hit { kind, id: get(f.id), title, snippet, score });
        }
        Ok(out)
    }
}

fn key(kind: Kind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// HTML-escapes a text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
