//! Single-enterprise evaluation compiled once per library and date: what
//! [`Library::evaluate_all`](crate::Library::evaluate_all) runs for a page or a `policy eval`.
//!
//! [`Plan::compile`] turns every item in force on a date into flat nodes: each fact read
//! becomes a slot (the per-year index resolved for the date), each parameter its value and
//! the text an explanation shows for it, each condition its printed form, each named
//! definition one shared body, and `and`/`or` chains are flattened once. Evaluating an
//! enterprise then reads each slot once from its facts, evaluates each definition once
//! (its explanation subtree is reused by every item that uses it), and builds the
//! explanations from the prepared texts: no name lookups, no printing of expressions.
//!
//! The meaning is the tree-walking evaluator's ([`crate::eval`]), operator for operator (the
//! same Kleene helpers, the same `value` operators, the same explanation shape); a test and
//! the property test check that both give the same decisions, explanations included.

use crate::check::{Func, TExpr, TKind, Type};
use crate::eval::{self, Decision, Explanation, MissingFact, Val};
use crate::library::{Item, Program};
use crate::syntax::{BinOp, UnOp};
use crate::value::{self, Value};
use chrono::NaiveDate;
use enterprise::Facts;
use rust_decimal::prelude::ToPrimitive;
use std::collections::{BTreeMap, HashMap};

type Ix = u32;

/// A value-computing node.
#[derive(Debug)]
enum Node {
    /// A literal, `year`, `today`, an ill-typed node (unknown) or a per-year fact whose year
    /// has no value on the date: no read is recorded.
    Const(Val),
    /// A scalar parameter's value on the date, and the text a read shows.
    Param {
        name: String,
        value: Val,
        text: String,
    },
    Fact(u32),
    Def(u32),
    Not(Ix),
    Neg(Ix),
    And(Ix, Ix),
    Or(Ix, Ix),
    Bin(BinOp, Ix, Ix),
    In(Ix, Vec<Ix>, bool),
    Between(Ix, Ix, Ix),
    If(Ix, Ix, Ix),
    Call(Func, Vec<Ix>),
}

/// An explanation node: how [`eval::Evaluator::explain`] splits a condition.
#[derive(Debug)]
enum XNode {
    /// A condition explained as one line: its printed form and the values it read.
    Leaf {
        node: Ix,
        expr: String,
    },
    Chain {
        and: bool,
        parts: Vec<Ix>,
    },
    Not(Ix),
    Def(u32),
    If {
        bool_if: (Ix, Ix, Ix),
    },
}

#[derive(Debug)]
struct Slot {
    fact: String,
    year: Option<i32>,
    /// `revenue[2021]` or `registered_in_zone`: the key of the read in an explanation.
    read: String,
}

#[derive(Debug)]
struct DefPlan {
    name: String,
    /// `None` when the library has no such definition (never after a clean check).
    body: Option<(Ix, Ix)>,
}

#[derive(Debug)]
struct ItemPlan {
    when: Ix,
    amount: Option<Ix>,
}

/// Every item in force on one date, compiled for single-enterprise evaluation.
#[derive(Debug)]
pub struct Plan {
    date: NaiveDate,
    nodes: Vec<Node>,
    xnodes: Vec<XNode>,
    slots: Vec<Slot>,
    defs: Vec<DefPlan>,
    items: Vec<ItemPlan>,
}

struct Compiler<'a> {
    prog: &'a Program,
    plan: Plan,
    slot_of: HashMap<(String, Option<i32>), u32>,
    def_of: HashMap<String, u32>,
}

fn ix(n: usize) -> Ix {
    Ix::try_from(n).unwrap_or(Ix::MAX)
}

impl Plan {
    /// Compiles `items` (in this order) for evaluation on `date`.
    pub fn compile(prog: &Program, items: &[&Item], date: NaiveDate) -> Plan {
        let plan = Plan { date, nodes: vec![], xnodes: vec![], slots: vec![], defs: vec![], items: vec![] };
        let mut c = Compiler { prog, plan, slot_of: HashMap::new(), def_of: HashMap::new() };
        for item in items {
            let when = c.xnode(&item.when);
            let amount = item.amount.as_ref().map(|a| c.xnode(a));
            c.plan.items.push(ItemPlan { when, amount });
        }
        c.plan
    }

    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// Decides every compiled item for one enterprise; `items` are the items the plan was
    /// compiled from, in the same order.
    pub fn evaluate_all(&self, prog: &Program, items: &[&Item], facts: &Facts) -> Vec<Decision> {
        let mut run = Run::new(self, prog, facts);
        items.iter().zip(&self.items).map(|(item, p)| run.decide(item, p)).collect()
    }

    /// Decides the `k`-th compiled item for one enterprise.
    pub fn evaluate(&self, prog: &Program, k: usize, item: &Item, facts: &Facts) -> Option<Decision> {
        let p = self.items.get(k)?;
        Some(Run::new(self, prog, facts).decide(item, p))
    }
}

impl Compiler<'_> {
    fn push(&mut self, n: Node) -> Ix {
        self.plan.nodes.push(n);
        ix(self.plan.nodes.len() - 1)
    }

    fn xpush(&mut self, n: XNode) -> Ix {
        self.plan.xnodes.push(n);
        ix(self.plan.xnodes.len() - 1)
    }

    fn slot(&mut self, fact: &str, year: Option<i32>) -> u32 {
        let key = (fact.to_string(), year);
        if let Some(s) = self.slot_of.get(&key) {
            return *s;
        }
        let read = match year {
            Some(y) => format!("{fact}[{y}]"),
            None => fact.to_string(),
        };
        self.plan.slots.push(Slot { fact: fact.to_string(), year, read });
        let s = ix(self.plan.slots.len() - 1);
        self.slot_of.insert(key, s);
        s
    }

    fn def(&mut self, name: &str) -> u32 {
        if let Some(d) = self.def_of.get(name) {
            return *d;
        }
        let d = ix(self.plan.defs.len());
        self.plan.defs.push(DefPlan { name: name.to_string(), body: None });
        self.def_of.insert(name.to_string(), d);
        if let Some(body) = self.prog.defs.get(name) {
            let (n, x) = (self.node(body), self.xnode(body));
            self.plan.defs[d as usize].body = Some((n, x));
        }
        d
    }

    fn node(&mut self, e: &TExpr) -> Ix {
        let n = match &e.kind {
            TKind::Error => Node::Const(Val::none()),
            TKind::Const(v) => Node::Const(Val::Known(v.clone())),
            TKind::Year | TKind::Today => {
                let empty = Facts::default();
                Node::Const(eval::Evaluator::new(self.prog, &empty, self.plan.date).eval(e))
            }
            TKind::Fact(id) => Node::Fact(self.slot(id, None)),
            TKind::FactYear(id, idx) => {
                let empty = Facts::default();
                match eval::Evaluator::new(self.prog, &empty, self.plan.date).eval(idx) {
                    Val::Known(Value::Num(n)) => match n.to_i32() {
                        Some(y) => Node::Fact(self.slot(id, Some(y))),
                        None => Node::Const(Val::none()),
                    },
                    _ => Node::Const(Val::none()),
                }
            }
            TKind::Param(name) => {
                let value = Val::from_opt(self.prog.param_scalar(name, self.plan.date));
                Node::Param { name: name.clone(), text: eval::read_text(&value), value }
            }
            TKind::Def(name) => Node::Def(self.def(name)),
            TKind::Unary(UnOp::Not, a) => Node::Not(self.node(a)),
            TKind::Unary(UnOp::Neg, a) => Node::Neg(self.node(a)),
            TKind::Binary(BinOp::And, a, b) => Node::And(self.node(a), self.node(b)),
            TKind::Binary(BinOp::Or, a, b) => Node::Or(self.node(a), self.node(b)),
            TKind::Binary(op, a, b) => Node::Bin(*op, self.node(a), self.node(b)),
            TKind::In(v, list, neg) => {
                let v = self.node(v);
                Node::In(v, list.iter().map(|x| self.node(x)).collect(), *neg)
            }
            TKind::Between(v, l, h) => Node::Between(self.node(v), self.node(l), self.node(h)),
            TKind::If(c, t, f) => Node::If(self.node(c), self.node(t), self.node(f)),
            TKind::Call(func, args) => Node::Call(func.clone(), args.iter().map(|a| self.node(a)).collect()),
        };
        self.push(n)
    }

    fn xnode(&mut self, e: &TExpr) -> Ix {
        let x = match &e.kind {
            TKind::Binary(op @ (BinOp::And | BinOp::Or), ..) => {
                let mut parts = Vec::new();
                eval::flatten(e, *op, &mut parts);
                let parts = parts.into_iter().map(|p| self.xnode(p)).collect();
                XNode::Chain { and: *op == BinOp::And, parts }
            }
            TKind::Unary(UnOp::Not, a) => XNode::Not(self.xnode(a)),
            TKind::Def(name) => XNode::Def(self.def(name)),
            TKind::If(c, t, f) if e.ty == Type::Bool => {
                XNode::If { bool_if: (self.xnode(c), self.xnode(t), self.xnode(f)) }
            }
            _ => XNode::Leaf { node: self.node(e), expr: e.to_string() },
        };
        self.xpush(x)
    }
}

/// An operand: a fact slot read in place, or a computed value.
enum Opd {
    Slot(u32),
    Own(Val),
}

/// One enterprise's evaluation of a plan.
struct Run<'p> {
    plan: &'p Plan,
    prog: &'p Program,
    slots: Vec<Val>,
    /// The text of a slot's read, made on first use.
    slot_text: Vec<Option<String>>,
    def_val: Vec<Option<Val>>,
    def_x: Vec<Option<(Val, Explanation)>>,
    /// The reads of the condition line being explained.
    reads: Option<BTreeMap<String, String>>,
}

impl<'p> Run<'p> {
    fn new(plan: &'p Plan, prog: &'p Program, facts: &Facts) -> Run<'p> {
        let slots = plan
            .slots
            .iter()
            .map(|s| {
                let f = match s.year {
                    Some(y) => facts.get_year(&s.fact, y),
                    None => facts.get(&s.fact),
                };
                match f {
                    Some(f) => Val::Known(Value::from_fact(f)),
                    None => Val::Unknown([MissingFact { fact: s.fact.clone(), year: s.year }].into()),
                }
            })
            .collect();
        Run {
            plan,
            prog,
            slots,
            slot_text: vec![None; plan.slots.len()],
            def_val: vec![None; plan.defs.len()],
            def_x: vec![None; plan.defs.len()],
            reads: None,
        }
    }

    fn read_slot(&mut self, s: u32) {
        let Some(r) = &mut self.reads else { return };
        let s = s as usize;
        let text = self.slot_text[s].get_or_insert_with(|| eval::read_text(&self.slots[s]));
        r.insert(self.plan.slots[s].read.clone(), text.clone());
    }

    fn operand(&mut self, n: Ix) -> Opd {
        if let Node::Fact(s) = self.plan.nodes[n as usize] {
            self.read_slot(s);
            return Opd::Slot(s);
        }
        Opd::Own(self.eval(n))
    }

    fn get<'a>(&'a self, o: &'a Opd) -> &'a Val {
        match o {
            Opd::Slot(s) => &self.slots[*s as usize],
            Opd::Own(v) => v,
        }
    }

    fn strict(&self, x: &Opd, y: &Opd, op: BinOp) -> Val {
        eval::strict2_ref(self.get(x), self.get(y), |a, b| value::binary(op, a, b))
    }

    fn def_value(&mut self, d: u32) -> Val {
        let du = d as usize;
        let v = match &self.def_val[du] {
            Some(v) => v.clone(),
            None => {
                let Some((body, _)) = self.plan.defs[du].body else { return Val::none() };
                let saved = self.reads.take();
                let v = self.eval(body);
                self.reads = saved;
                self.def_val[du] = Some(v.clone());
                v
            }
        };
        if let Some(r) = &mut self.reads {
            r.insert(self.plan.defs[du].name.clone(), eval::read_text(&v));
        }
        v
    }

    fn eval(&mut self, n: Ix) -> Val {
        let plan = self.plan;
        match &plan.nodes[n as usize] {
            Node::Const(v) => v.clone(),
            Node::Param { name, value, text } => {
                if let Some(r) = &mut self.reads {
                    r.insert(name.clone(), text.clone());
                }
                value.clone()
            }
            Node::Fact(s) => {
                self.read_slot(*s);
                self.slots[*s as usize].clone()
            }
            Node::Def(d) => self.def_value(*d),
            Node::Not(a) => eval::kleene_not(self.eval(*a)),
            Node::Neg(a) => match self.eval(*a) {
                Val::Known(Value::Num(n)) => Val::Known(Value::Num(-n)),
                Val::Known(_) => Val::none(),
                u => u,
            },
            Node::And(a, b) => {
                let x = self.eval(*a);
                eval::kleene_and([x, self.eval(*b)])
            }
            Node::Or(a, b) => {
                let x = self.eval(*a);
                eval::kleene_or([x, self.eval(*b)])
            }
            Node::Bin(op, a, b) => {
                let x = self.operand(*a);
                let y = self.operand(*b);
                self.strict(&x, &y, *op)
            }
            Node::In(v, list, negated) => {
                let x = self.operand(*v);
                let mut eqs = Vec::with_capacity(list.len());
                for item in list {
                    let y = self.operand(*item);
                    eqs.push(self.strict(&x, &y, BinOp::Eq));
                }
                let r = eval::kleene_or(eqs);
                if *negated { eval::kleene_not(r) } else { r }
            }
            Node::Between(v, lo, hi) => {
                let x = self.operand(*v);
                let l = self.operand(*lo);
                let h = self.operand(*hi);
                let a = self.strict(&l, &x, BinOp::Le);
                let b = self.strict(&x, &h, BinOp::Le);
                eval::kleene_and([a, b])
            }
            Node::If(c, t, f) => match self.eval(*c) {
                Val::Known(Value::Bool(true)) => self.eval(*t),
                Val::Known(Value::Bool(false)) => self.eval(*f),
                Val::Known(_) => Val::none(),
                u => u,
            },
            Node::Call(func, args) => {
                let vals: Vec<Val> = args.iter().map(|a| self.eval(*a)).collect();
                eval::call_values(self.prog, func, vals, plan.date)
            }
        }
    }

    fn explain(&mut self, x: Ix) -> (Val, Explanation) {
        let plan = self.plan;
        let (v, expr, children) = match &plan.xnodes[x as usize] {
            XNode::Leaf { node, expr } => {
                let saved = self.reads.replace(BTreeMap::new());
                let v = self.eval(*node);
                let values = std::mem::replace(&mut self.reads, saved).unwrap_or_default();
                let outcome = v.label();
                return (v, Explanation { expr: expr.clone(), outcome, values, children: vec![] });
            }
            XNode::Chain { and, parts } => {
                let mut vals = Vec::with_capacity(parts.len());
                let mut children = Vec::with_capacity(parts.len());
                for p in parts {
                    let (v, x) = self.explain(*p);
                    vals.push(v);
                    children.push(x);
                }
                let (v, op) =
                    if *and { (eval::kleene_and(vals), "and") } else { (eval::kleene_or(vals), "or") };
                (v, op.to_string(), children)
            }
            XNode::Not(a) => {
                let (v, x) = self.explain(*a);
                (eval::kleene_not(v), "not".to_string(), vec![x])
            }
            XNode::Def(d) => {
                let du = *d as usize;
                if let Some((v, x)) = &self.def_x[du] {
                    return (v.clone(), x.clone());
                }
                let def = &plan.defs[du];
                let Some((_, body)) = def.body else {
                    return (Val::none(), Explanation::leaf(&def.name, "undetermined"));
                };
                let (v, x) = self.explain(body);
                self.def_val[du] = Some(v.clone());
                (v, def.name.clone(), vec![x])
            }
            XNode::If { bool_if: (c, t, f) } => {
                let (cv, cx) = self.explain(*c);
                let (v, bx) = match cv.truth() {
                    Some(true) => self.explain(*t),
                    Some(false) => self.explain(*f),
                    None => (cv.clone(), Explanation::leaf("(branch not taken)", "undetermined")),
                };
                (v, "if".to_string(), vec![cx, bx])
            }
        };
        let outcome = v.label();
        let out = Explanation { expr, outcome, values: BTreeMap::new(), children };
        if let XNode::Def(d) = &plan.xnodes[x as usize] {
            self.def_x[*d as usize] = Some((v.clone(), out.clone()));
        }
        (v, out)
    }

    fn decide(&mut self, item: &Item, p: &ItemPlan) -> Decision {
        let (cond, explanation) = self.explain(p.when);
        let amount = match (&cond, p.amount) {
            (Val::Known(Value::Bool(true)), Some(a)) => Some(self.explain(a)),
            _ => None,
        };
        eval::decision(item, self.plan.date, cond, explanation, amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Eligibility;
    use enterprise::FactDictionary;

    /// The plan decides exactly as the tree-walking evaluator, explanations included, for
    /// the synthetic library over enterprises with missing facts.
    #[test]
    fn the_plan_decides_as_the_tree_walker() {
        let dict = FactDictionary::official();
        let lib = crate::synth::library(60, 7, dict);
        let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
        let items = lib.items_in_force(date);
        let plan = Plan::compile(&lib.program, &items, date);
        let mut eligible = 0;
        let mut undetermined = 0;
        for f in crate::synth::enterprises(300, 11, 2022) {
            let got = plan.evaluate_all(&lib.program, &items, &f);
            for (item, d) in items.iter().zip(&got) {
                assert_eq!(d, &eval::evaluate(&lib.program, item, &f, date), "{}", item.id);
                eligible += usize::from(d.outcome == Eligibility::Eligible);
                undetermined += usize::from(d.outcome == Eligibility::Undetermined);
            }
        }
        // The population exercises every outcome.
        assert!(eligible > 0 && undetermined > 0, "{eligible} {undetermined}");
    }

    #[test]
    fn a_plan_reads_each_fact_slot_once() {
        let dict = FactDictionary::official();
        let lib = crate::synth::library(60, 7, dict);
        let date = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
        let plan = Plan::compile(&lib.program, &lib.items_in_force(date), date);
        let mut keys: Vec<_> = plan.slots.iter().map(|s| (&s.fact, s.year)).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
        // assistance_target is compiled once for the 60 items.
        assert_eq!(plan.defs.iter().filter(|d| d.name == "assistance_target").count(), 1);
    }
}
