//! Compiles an item's condition to SQL (SQLite and PostgreSQL) over the store's fact table,
//! so that a deployment too large for one machine can match inside its database.
//!
//! Schema read: `enterprises(id, …)` aliased `e`, and by default `enterprise_facts(enterprise_id,
//! fact, year (0 for scalar facts), value (canonical text), num (money in fen, integers,
//! bools 0/1, dates as days since 1970-01-01; NULL otherwise), …)`. [`FactsSource`] names
//! another table or view with those columns (e.g. the store's `rule_facts` view, which adds
//! the registry attributes), and its column names; [`compile_condition_from`] reads it. A fact is a scalar
//! sub-query, NULL when absent, and SQL's own three-valued logic is Kleene's: the compiled
//! condition is TRUE (eligible), FALSE (ineligible) or NULL (undetermined), exactly as the
//! in-memory evaluator decides; a property test runs both on SQLite.
//!
//! Only what SQL computes exactly is compiled: booleans, integers, money as integer fen
//! (+, −, × an integer), dates as day numbers, codes, tag membership, comparisons, `in`,
//! `between`, `if`, `min`, `max`, `year_of`. Anything else (division, ratios, rounding,
//! working days, size classes, tiered tables over facts) is refused with
//! [`Error::NotSqlCompilable`]: those items run in the batch engine. Parameters, `year` and
//! `today` are fixed by the evaluation date at compile time. Amounts are not compiled: they
//! are computed in memory for the eligible rows.

use crate::check::{Func, TExpr, TKind, Type};
use crate::error::Error;
use crate::eval::{Evaluator, Val};
use crate::library::{Item, Program};
use crate::syntax::{BinOp, UnOp};
use crate::value::Value;
use chrono::NaiveDate;
use enterprise::Facts;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// What a compiled SQL expression holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    /// Money in fen.
    Fen,
    /// Days since 1970-01-01.
    Days,
    Text,
    Tags,
}

/// The table or view the compiled SQL reads facts from, and its columns. The default is the
/// store's `enterprise_facts(enterprise_id, fact, year, value, num)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactsSource {
    /// A table or view, optionally schema-qualified (`rule_facts`, `huiqi.rule_facts`).
    pub table: String,
    /// The enterprise's id (compared with `e.id`).
    pub enterprise_id: String,
    /// The fact id (`revenue`).
    pub fact: String,
    /// The year of a per-year fact; 0 for a scalar fact.
    pub year: String,
    /// The canonical text (codes; tags `;`-joined).
    pub value: String,
    /// Numbers: money in fen, integers, bools 0/1, dates as days since 1970-01-01.
    pub num: String,
}

impl Default for FactsSource {
    fn default() -> Self {
        FactsSource {
            table: "enterprise_facts".into(),
            enterprise_id: "enterprise_id".into(),
            fact: "fact".into(),
            year: "year".into(),
            value: "value".into(),
            num: "num".into(),
        }
    }
}

impl FactsSource {
    /// The default columns in another table or view.
    pub fn table(name: &str) -> FactsSource {
        FactsSource { table: name.to_string(), ..FactsSource::default() }
    }

    /// Every name is a plain SQL identifier (letters, digits, `_`, not starting with a digit;
    /// the table may carry one `schema.` prefix): names are written into SQL as they are.
    pub fn validate(&self) -> Result<(), Error> {
        fn ident(s: &str) -> bool {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        let table_ok = match self.table.split_once('.') {
            Some((schema, t)) => ident(schema) && ident(t),
            None => ident(&self.table),
        };
        let bad = |role: &str, name: &str| Error::SqlName { role: role.into(), name: name.into() };
        if !table_ok {
            return Err(bad("table", &self.table));
        }
        for (role, name) in [
            ("enterprise_id column", &self.enterprise_id),
            ("fact column", &self.fact),
            ("year column", &self.year),
            ("value column", &self.value),
            ("num column", &self.num),
        ] {
            if !ident(name) {
                return Err(bad(role, name));
            }
        }
        Ok(())
    }
}

struct Compiler<'a> {
    prog: &'a Program,
    date: NaiveDate,
    dialect: Dialect,
    source: &'a FactsSource,
    depth: usize,
}

fn not_sql(what: impl Into<String>) -> Error {
    Error::NotSqlCompilable { what: what.into() }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn days(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)).num_days()
}

/// The SQL boolean expression (TRUE / FALSE / NULL) of an item's condition on `date`, reading
/// `enterprise_facts`.
pub fn compile_condition(
    prog: &Program,
    item: &Item,
    date: NaiveDate,
    dialect: Dialect,
) -> Result<String, Error> {
    compile_condition_from(prog, item, date, dialect, &FactsSource::default())
}

/// [`compile_condition`] reading facts from `source` (a table or view and its columns).
pub fn compile_condition_from(
    prog: &Program,
    item: &Item,
    date: NaiveDate,
    dialect: Dialect,
    source: &FactsSource,
) -> Result<String, Error> {
    source.validate()?;
    let mut c = Compiler { prog, date, dialect, source, depth: 0 };
    let (s, k) = c.expr(&item.when)?;
    if k != Kind::Bool {
        return Err(not_sql("a condition that is not a boolean"));
    }
    Ok(s)
}

/// A query giving every enterprise's outcome for a compiled condition: 1 eligible,
/// 0 ineligible, NULL undetermined.
pub fn outcome_query(condition: &str) -> String {
    format!(
        "SELECT e.id, CASE WHEN {condition} THEN 1 WHEN NOT ({condition}) THEN 0 END AS outcome \
         FROM enterprises e ORDER BY e.id"
    )
}

impl<'a> Compiler<'a> {
    fn constant(&self, e: &TExpr) -> Result<(String, Kind), Error> {
        let empty = Facts::default();
        let v = Evaluator::new(self.prog, &empty, self.date).eval(e);
        let kind = match e.ty {
            Type::Bool => Kind::Bool,
            Type::Integer => Kind::Int,
            Type::Money => Kind::Fen,
            Type::Date => Kind::Days,
            Type::Code => Kind::Text,
            _ => return Err(not_sql(format!("a constant of type {}", e.ty))),
        };
        let text = match v {
            Val::Unknown(_) => match kind {
                Kind::Bool => "(NULL = 1)".to_string(),
                _ => "NULL".to_string(),
            },
            Val::Known(v) => self.literal(&v, kind)?,
        };
        Ok((text, kind))
    }

    fn literal(&self, v: &Value, kind: Kind) -> Result<String, Error> {
        Ok(match (v, kind) {
            (Value::Bool(b), _) => if *b { "(1 = 1)" } else { "(1 = 0)" }.to_string(),
            (Value::Num(n), Kind::Fen) => integral(*n * Decimal::from(100))
                .ok_or_else(|| not_sql(format!("the amount {n} (not a whole number of fen)")))?,
            (Value::Num(n), _) => {
                integral(*n).ok_or_else(|| not_sql(format!("the number {n} (not whole)")))?
            }
            (Value::Date(d), _) => days(*d).to_string(),
            (Value::Str(s), _) => quote(s),
            (Value::Tags(_), _) => return Err(not_sql("a tag-set constant")),
        })
    }

    fn fact(&self, id: &str, year: i32, ty: Type) -> Result<(String, Kind), Error> {
        let src = self.source;
        let (col, kind) = match ty {
            Type::Bool => (&src.num, Kind::Bool),
            Type::Integer => (&src.num, Kind::Int),
            Type::Money => (&src.num, Kind::Fen),
            Type::Date => (&src.num, Kind::Days),
            Type::Code => (&src.value, Kind::Text),
            Type::Tags => (&src.value, Kind::Tags),
            _ => return Err(not_sql(format!("the {} fact {id} (no exact numeric column)", ty))),
        };
        let sub = format!(
            "(SELECT f.{col} FROM {} f WHERE f.{} = e.id AND f.{} = {} AND f.{} = {year})",
            src.table,
            src.enterprise_id,
            src.fact,
            quote(id),
            src.year
        );
        Ok(if kind == Kind::Bool { (format!("({sub} = 1)"), kind) } else { (sub, kind) })
    }

    fn expr(&mut self, e: &TExpr) -> Result<(String, Kind), Error> {
        self.depth += 1;
        if self.depth > 200 {
            return Err(not_sql("an expression nested too deeply"));
        }
        let r = self.expr_inner(e);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, e: &TExpr) -> Result<(String, Kind), Error> {
        if e.is_static() {
            return self.constant(e);
        }
        match &e.kind {
            TKind::Const(_) | TKind::Param(_) | TKind::Year | TKind::Today => self.constant(e),
            TKind::Error => Err(not_sql("an ill-typed expression")),
            TKind::Fact(id) => self.fact(id, 0, e.ty),
            TKind::FactYear(id, idx) => {
                let empty = Facts::default();
                let y = match Evaluator::new(self.prog, &empty, self.date).eval(idx) {
                    Val::Known(Value::Num(n)) => integral(n).and_then(|s| s.parse::<i32>().ok()),
                    _ => None,
                };
                match y {
                    Some(y) => self.fact(id, y, e.ty),
                    None => Ok(("NULL".into(), Kind::Int)),
                }
            }
            TKind::Def(name) => {
                let body = self.prog.defs.get(name).ok_or_else(|| not_sql(format!("definition {name}")))?;
                self.expr(body)
            }
            TKind::Unary(UnOp::Not, a) => {
                let (s, _) = self.expr(a)?;
                Ok((format!("(NOT {s})"), Kind::Bool))
            }
            TKind::Unary(UnOp::Neg, a) => {
                let (s, k) = self.expr(a)?;
                Ok((format!("(-{s})"), k))
            }
            TKind::Binary(op, a, b) => self.binary(*op, a, b),
            TKind::In(v, list, negated) => {
                let (vs, vk) = self.expr(v)?;
                let mut parts = Vec::new();
                for x in list {
                    let (xs, xk) = self.expr(x)?;
                    let (l, r) = self.align((vs.clone(), vk), (xs, xk), x)?;
                    parts.push(format!("{l} = {r}"));
                }
                let any = if parts.is_empty() {
                    "(1 = 0)".to_string()
                } else {
                    format!("({})", parts.join(" OR "))
                };
                Ok((if *negated { format!("(NOT {any})") } else { any }, Kind::Bool))
            }
            TKind::Between(v, l, h) => {
                let (vs, vk) = self.expr(v)?;
                let (ls, lk) = self.expr(l)?;
                let (hs, hk) = self.expr(h)?;
                let (a, b) = self.align((ls, lk), (vs.clone(), vk), l)?;
                let (c, d) = self.align((vs, vk), (hs, hk), h)?;
                Ok((format!("({a} <= {b} AND {c} <= {d})"), Kind::Bool))
            }
            TKind::If(c, t, f) => {
                let (cs, _) = self.expr(c)?;
                let (ts, tk) = self.expr(t)?;
                let (fs, fk) = self.expr(f)?;
                if tk != fk {
                    return Err(not_sql("an if whose branches have different kinds"));
                }
                Ok((format!("(CASE WHEN {cs} THEN {ts} WHEN NOT {cs} THEN {fs} END)"), tk))
            }
            TKind::Call(func, args) => match func {
                Func::Min | Func::Max => {
                    let mut acc = self.expr(&args[0])?;
                    for a in &args[1..] {
                        let (s, k) = self.expr(a)?;
                        if k != acc.1 {
                            return Err(not_sql("min/max over mixed integers and money"));
                        }
                        let cmp = if *func == Func::Min { "<=" } else { ">=" };
                        let (x, y) = (acc.0, s);
                        acc = (
                            format!(
                                "(CASE WHEN {x} IS NULL OR {y} IS NULL THEN NULL WHEN {x} {cmp} {y} THEN {x} ELSE {y} END)"
                            ),
                            k,
                        );
                    }
                    Ok(acc)
                }
                Func::YearOf => {
                    let (d, _) = self.expr(&args[0])?;
                    Ok((
                        match self.dialect {
                            Dialect::Sqlite => {
                                format!("CAST(strftime('%Y', ({d}) * 86400, 'unixepoch') AS INTEGER)")
                            }
                            Dialect::Postgres => {
                                format!(
                                    "CAST(EXTRACT(YEAR FROM DATE '1970-01-01' + CAST({d} AS INTEGER)) AS INTEGER)"
                                )
                            }
                        },
                        Kind::Int,
                    ))
                }
                other => Err(not_sql(format!("the function {}", func_name(other)))),
            },
        }
    }

    /// Brings two operands to the same unit: a number literal next to money is yuan.
    fn align(&self, a: (String, Kind), b: (String, Kind), _at: &TExpr) -> Result<(String, String), Error> {
        match (a.1, b.1) {
            (x, y) if x == y => Ok((a.0, b.0)),
            (Kind::Fen, Kind::Int) => Ok((a.0, format!("({} * 100)", b.0))),
            (Kind::Int, Kind::Fen) => Ok((format!("({} * 100)", a.0), b.0)),
            _ => Err(not_sql("operands of different kinds")),
        }
    }

    fn binary(&mut self, op: BinOp, a: &TExpr, b: &TExpr) -> Result<(String, Kind), Error> {
        let (x, y) = (self.expr(a)?, self.expr(b)?);
        match op {
            BinOp::And | BinOp::Or => {
                Ok((format!("({} {} {})", x.0, op.as_str().to_uppercase(), y.0), Kind::Bool))
            }
            BinOp::Has => {
                let f = match self.dialect {
                    Dialect::Sqlite => "instr",
                    Dialect::Postgres => "strpos",
                };
                let needle = format!("';' || {} || ';'", y.0);
                Ok((format!("({f}(';' || {} || ';', {needle}) > 0)", x.0), Kind::Bool))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if matches!((x.1, y.1), (Kind::Bool, Kind::Bool)) && !matches!(op, BinOp::Eq | BinOp::Ne) {
                    return Err(not_sql("ordering of booleans"));
                }
                let sym = match op {
                    BinOp::Eq => "=",
                    BinOp::Ne => "<>",
                    other => other.as_str(),
                };
                let (l, r) = self.align(x, y, b)?;
                Ok((format!("({l} {sym} {r})"), Kind::Bool))
            }
            BinOp::Add | BinOp::Sub => {
                let kind = match (x.1, y.1) {
                    (Kind::Days, Kind::Days) => Kind::Int,
                    (Kind::Days, Kind::Int) => Kind::Days,
                    (k, _) if k == Kind::Fen || y.1 == Kind::Fen => Kind::Fen,
                    (Kind::Int, Kind::Int) => Kind::Int,
                    _ => return Err(not_sql("this arithmetic")),
                };
                let (l, r) = if kind == Kind::Fen { self.align(x, y, b)? } else { (x.0, y.0) };
                Ok((format!("({l} {} {r})", op.as_str()), kind))
            }
            BinOp::Mul => match (x.1, y.1) {
                (Kind::Int, Kind::Int) => Ok((format!("({} * {})", x.0, y.0), Kind::Int)),
                (Kind::Fen, Kind::Int) | (Kind::Int, Kind::Fen) => {
                    Ok((format!("({} * {})", x.0, y.0), Kind::Fen))
                }
                _ => Err(not_sql("multiplication by a ratio (inexact in SQL)")),
            },
            BinOp::Div => Err(not_sql("division (inexact in SQL)")),
        }
    }
}

fn integral(n: Decimal) -> Option<String> {
    (n.fract().is_zero()).then(|| n.trunc().normalize().to_string())
}

fn func_name(f: &Func) -> String {
    match f {
        Func::Table(n) => format!("{n} (a tiered table over facts)"),
        other => format!("{other:?}").to_lowercase(),
    }
}
