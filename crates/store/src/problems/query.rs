//! The problem list's SQL, shared by both dialects: the texts of the problem tables
//! ([`sql`]) and the query a [`ProblemFilter`] becomes ([`problem_list`]).

use super::*;

pub mod sql {
    //! Shared texts of the problem tables (see `crate::sql` for the placeholder rule).

    pub const CHAIN_HEAD: &str = "SELECT seq, hash FROM audit_chain_head WHERE id = 1";
    pub const CHAIN_HEAD_FOR_UPDATE: &str = "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE";
    pub const SET_CHAIN_HEAD: &str = "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1";
    pub const INSERT_PROBLEM: &str = "INSERT INTO problems (enterprise_id, category, title, description, \
         channel, urgency, confidential, received_at, state, lead_department, cooperating, handler, \
         accept_by, answer_by, yellow_at, red_at, escalations, round, visit_id, last_seq, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21) RETURNING id";
    pub const UPDATE_PROBLEM: &str = "UPDATE problems SET state = $1, lead_department = $2, \
         cooperating = $3, handler = $4, accept_by = $5, answer_by = $6, yellow_at = $7, red_at = $8, \
         escalations = $9, round = $10, last_seq = $11, updated_at = $12 WHERE id = $13";
    pub const INSERT_EVENT: &str = "INSERT INTO problem_events (chain_seq, problem_id, seq, at, actor, role, \
         actor_department, actor_enterprise, action, from_state, to_state, note, payload, recorded_at, \
         prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
    macro_rules! event_columns {
        () => {
            "e.chain_seq, e.problem_id, e.seq, e.at, e.actor, e.role, e.actor_department, \
             e.actor_enterprise, e.action, e.from_state, e.to_state, e.note, e.payload, e.recorded_at, \
             e.prev_hash, e.hash"
        };
    }
    pub const EVENTS_OF: &str =
        concat!("SELECT ", event_columns!(), " FROM problem_events e WHERE e.problem_id = $1 ORDER BY e.seq");
    pub const ALL_EVENTS_IN_CHAIN_ORDER: &str =
        concat!("SELECT ", event_columns!(), " FROM problem_events e ORDER BY e.chain_seq");
    pub const ALL_EVENTS_BY_PROBLEM: &str =
        concat!("SELECT ", event_columns!(), " FROM problem_events e ORDER BY e.problem_id, e.seq");
    /// `('submitted', 'accepted', …)`: the open states ([`handling::State::OPEN`]) as an SQL
    /// list, generated from the one definition of an open problem.
    pub fn open_states() -> &'static str {
        static S: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        S.get_or_init(|| {
            let names: Vec<String> =
                handling::State::OPEN.iter().map(|s| format!("'{}'", s.as_str())).collect();
            format!("({})", names.join(", "))
        })
    }
    /// Problems with an event in [$1, $2) or still open: what a period's KPIs need.
    pub fn events_for_period() -> &'static str {
        static S: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        S.get_or_init(|| {
            format!(
                "SELECT {} FROM problem_events e JOIN problems p ON p.id = e.problem_id \
                 WHERE (p.updated_at >= $1 AND p.received_at < $2) OR p.state IN {} \
                 ORDER BY e.problem_id, e.seq",
                event_columns!(),
                open_states()
            )
        })
    }
    macro_rules! problem_columns {
        () => {
            "p.id, en.uscc, en.name, p.category, p.title, p.description, p.channel, p.urgency, \
             p.confidential, p.received_at, p.state, p.lead_department, p.cooperating, p.handler, \
             p.accept_by, p.answer_by, p.yellow_at, p.red_at, p.escalations, p.round, p.visit_id, \
             p.last_seq, p.updated_at"
        };
    }
    pub const PROBLEM_FROM: &str = concat!(
        "SELECT ",
        problem_columns!(),
        " FROM problems p JOIN enterprises en ON en.id = p.enterprise_id"
    );
    pub const PROBLEM_BY_ID: &str = concat!(
        "SELECT ",
        problem_columns!(),
        " FROM problems p JOIN enterprises en ON en.id = p.enterprise_id WHERE p.id = $1"
    );
    pub const VISIT_EXISTS: &str = "SELECT id FROM visits WHERE id = $1";
    pub const INSERT_VISIT: &str = "INSERT INTO visits (enterprise_id, date, cadre, findings, recorded_at, \
         recorded_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    pub const VISITS_FROM: &str = "SELECT v.id, en.uscc, v.date, v.cadre, v.findings, v.recorded_at, \
         v.recorded_by FROM visits v JOIN enterprises en ON en.id = v.enterprise_id";
    /// Each enterprise with a cadre link: cadre, credit code, name.
    pub const CADRE_ENTERPRISES: &str = "SELECT l.cadre_username, en.uscc, en.name FROM three_links l \
         JOIN enterprises en ON en.id = l.enterprise_id WHERE l.cadre_username IS NOT NULL \
         ORDER BY l.cadre_username, en.id";
    /// One cadre's enterprises: cadre, credit code, name.
    pub const ENTERPRISES_OF_CADRE: &str = "SELECT l.cadre_username, en.uscc, en.name FROM three_links l \
         JOIN enterprises en ON en.id = l.enterprise_id WHERE l.cadre_username = $1 ORDER BY en.id";

    pub const ALL: &[&str] = &[
        CHAIN_HEAD,
        SET_CHAIN_HEAD,
        INSERT_PROBLEM,
        UPDATE_PROBLEM,
        INSERT_EVENT,
        EVENTS_OF,
        ALL_EVENTS_IN_CHAIN_ORDER,
        ALL_EVENTS_BY_PROBLEM,
        PROBLEM_FROM,
        PROBLEM_BY_ID,
        VISIT_EXISTS,
        INSERT_VISIT,
        VISITS_FROM,
        CADRE_ENTERPRISES,
        ENTERPRISES_OF_CADRE,
    ];
}

/// A parameter of a built query, bound by each backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QParam {
    Text(String),
    Int(i64),
    Time(DateTime<FixedOffset>),
}

/// A built list query: the count (bound with `params`), the page (bound with `params`, then
/// `order_params`, then LIMIT and OFFSET) and the parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemListQuery {
    pub count_sql: String,
    pub page_sql: String,
    pub params: Vec<QParam>,
    /// The parameters of the ORDER BY clause (the queue's moment), after `params`.
    pub order_params: Vec<QParam>,
}

impl ProblemListQuery {
    /// Every parameter of the page query but LIMIT and OFFSET, in order.
    pub fn page_params(&self) -> impl Iterator<Item = &QParam> {
        self.params.iter().chain(self.order_params.iter())
    }
}

/// Builds the problem list query of a filter, in both dialects.
pub fn problem_list(f: &ProblemFilter) -> ProblemListQuery {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<QParam> = Vec::new();
    let next = |params: &mut Vec<QParam>, p: QParam| {
        params.push(p);
        format!("${}", params.len())
    };
    if let Some(s) = f.state {
        let a = next(&mut params, QParam::Text(s.as_str().into()));
        conds.push(format!("p.state = {a}"));
    }
    if let Some(d) = f.department.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        let a = next(&mut params, QParam::Text(d.to_string()));
        let b = next(&mut params, QParam::Text(format!("%\"{}\"%", crate::sql::like_escape(d))));
        conds.push(format!("(p.lead_department = {a} OR p.cooperating LIKE {b} ESCAPE '\\')"));
    }
    if let Some(e) = &f.enterprise {
        let a = next(&mut params, QParam::Text(e.to_string()));
        conds.push(format!("en.uscc = {a}"));
    }
    if let Some(c) = f.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let a = next(&mut params, QParam::Text(c.to_string()));
        conds.push(format!("p.category = {a}"));
    }
    if let Some((light, now)) = f.light {
        let a = next(&mut params, QParam::Time(china_seconds(now)));
        conds.push(match light {
            LightFilter::Red => format!("p.red_at <= {a}"),
            LightFilter::Warned => format!("(p.yellow_at <= {a} OR p.red_at <= {a})"),
            LightFilter::Yellow => format!("(p.yellow_at <= {a} AND (p.red_at IS NULL OR p.red_at > {a}))"),
        });
    }
    if let Some((from, to)) = f.received {
        let a = next(&mut params, QParam::Time(start_of_day(from)));
        let b = next(&mut params, QParam::Time(start_of_day(to + Duration::days(1))));
        conds.push(format!("(p.received_at >= {a} AND p.received_at < {b})"));
    }
    if let Some(open) = f.open {
        let not = if open { "" } else { "NOT " };
        conds.push(format!("p.state {not}IN {}", sql::open_states()));
    }
    if let Some(c) = f.cadre.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let a = next(&mut params, QParam::Text(c.to_string()));
        conds.push(format!(
            "p.enterprise_id IN (SELECT l.enterprise_id FROM three_links l WHERE l.cadre_username = {a})"
        ));
    }
    if let Some(u) = f.raised_by.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        let a = next(&mut params, QParam::Text(u.to_string()));
        conds.push(format!(
            "p.id IN (SELECT e.problem_id FROM problem_events e WHERE e.seq = 1 AND e.actor = {a})"
        ));
    }
    if let Some(t) = &f.text {
        let mut words = Vec::new();
        for w in t.words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            let pattern = format!("%{}%", crate::sql::like_escape(&w.to_ascii_lowercase()));
            let a = next(&mut params, QParam::Text(pattern));
            words.push(format!(
                "(LOWER(p.title) LIKE {a} ESCAPE '\\' OR LOWER(p.description) LIKE {a} ESCAPE '\\')"
            ));
        }
        if !words.is_empty() {
            let mut either = format!("({})", words.join(" AND "));
            if !t.found.is_empty() {
                // Integers from the index, written as literals (no text reaches the SQL).
                let ids: Vec<String> = t.found.iter().map(i64::to_string).collect();
                either = format!("({either} OR p.id IN ({}))", ids.join(","));
            }
            if !t.in_confidential {
                either = format!("(NOT p.confidential AND {either})");
            }
            conds.push(either);
        }
    }
    let where_clause =
        if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    let mut order_params = Vec::new();
    let order = match f.order {
        ProblemOrder::Id => "p.id".to_string(),
        ProblemOrder::Queue(now) => {
            order_params.push(QParam::Time(china_seconds(now)));
            let a = format!("${}", params.len() + 1);
            format!(
                "CASE WHEN p.state IN {} THEN 0 ELSE 1 END, \
                 CASE WHEN p.red_at <= {a} THEN 0 WHEN p.yellow_at <= {a} THEN 1 ELSE 2 END, \
                 CASE WHEN p.urgency = 'urgent' THEN 0 ELSE 1 END, p.answer_by, p.id",
                sql::open_states()
            )
        }
    };
    let n = params.len() + order_params.len();
    ProblemListQuery {
        count_sql: format!(
            "SELECT COUNT(*) FROM problems p JOIN enterprises en ON en.id = p.enterprise_id{where_clause}"
        ),
        page_sql: format!(
            "{}{where_clause} ORDER BY {order} LIMIT ${} OFFSET ${}",
            sql::PROBLEM_FROM,
            n + 1,
            n + 2
        ),
        params,
        order_params,
    }
}

/// The first instant of a date in China time (a period's bound).
pub fn day_start(d: NaiveDate) -> DateTime<FixedOffset> {
    start_of_day(d)
}
