//! The surface syntax of the rule language: lexer, parser and printer.
//!
//! An expression is one string of a policy file (an item's `when` or `amount`, a
//! definition). Parsing never fails and never panics: it returns a tree (with
//! [`ExprKind::Error`] nodes where the text made no sense) plus every problem found, each
//! with its byte span in the expression text (the first [`MAX_ERRORS`] of them); the policy
//! loader maps spans to file, line and column. Names are not resolved here: that is the type checker's job.
//!
//! ```text
//! expr    := or
//! or      := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | cmp
//! cmp     := sum [ ("=="|"!="|"<"|"<="|">"|">=") sum | ["not"] "in" "[" expr,* "]"
//!                | "between" sum "and" sum | "has" sum ]
//! sum     := product (("+"|"-") product)*
//! product := unary (("*"|"/") unary)*
//! unary   := "-" unary | postfix
//! postfix := primary ["[" expr "]"]
//! primary := number | "string" | true | false | year | today | name | name "(" expr,* ")"
//!          | "(" expr ")" | "if" expr "then" expr "else" expr
//! ```

use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// A byte range in an expression's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
pub enum BinOp {
    #[strum(serialize = "and")]
    And,
    #[strum(serialize = "or")]
    Or,
    #[strum(serialize = "==")]
    Eq,
    #[strum(serialize = "!=")]
    Ne,
    #[strum(serialize = "<")]
    Lt,
    #[strum(serialize = "<=")]
    Le,
    #[strum(serialize = ">")]
    Gt,
    #[strum(serialize = ">=")]
    Ge,
    #[strum(serialize = "+")]
    Add,
    #[strum(serialize = "-")]
    Sub,
    #[strum(serialize = "*")]
    Mul,
    #[strum(serialize = "/")]
    Div,
    /// Tag membership: `tags has "专精特新"`.
    #[strum(serialize = "has")]
    Has,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    fn prec(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Has => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }
    pub fn is_comparison(self) -> bool {
        self.prec() == 4 && self != BinOp::Has
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Str(String),
    /// A fact, parameter or definition; resolved by the checker.
    Name(String),
    /// The year of the evaluation date.
    Year,
    /// The evaluation date.
    Today,
    /// Per-year access: `revenue[year - 1]`.
    Index(Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        value: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    /// Where the text could not be parsed; a diagnostic says why.
    Error,
}

/// A syntax problem, with its span in the expression text.
#[derive(Debug, Clone, PartialEq, Eq, strum::EnumDiscriminants)]
#[strum_discriminants(derive(strum::EnumIter))]
pub enum SyntaxError {
    UnexpectedChar {
        ch: char,
        span: Span,
    },
    UnterminatedString {
        span: Span,
    },
    BadNumber {
        text: String,
        span: Span,
    },
    Expected {
        expected: &'static str,
        found: String,
        span: Span,
    },
    /// Nested deeper than [`MAX_NESTING`].
    TooDeep {
        span: Span,
    },
    /// A tree taller than [`MAX_HEIGHT`] (a chain of thousands of `+` or `and`, say).
    TooTall {
        span: Span,
    },
}

impl SyntaxError {
    pub fn span(&self) -> Span {
        match self {
            SyntaxError::UnexpectedChar { span, .. }
            | SyntaxError::UnterminatedString { span }
            | SyntaxError::BadNumber { span, .. }
            | SyntaxError::Expected { span, .. }
            | SyntaxError::TooDeep { span }
            | SyntaxError::TooTall { span } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Dec(Decimal),
    Str(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// A lone `=`, reported with a hint.
    Assign,
    /// A character the lexer rejected (already reported); parses as an error value.
    Bad,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Int(i) => i.to_string(),
            Tok::Dec(d) => d.to_string(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::Comma => "','".into(),
            Tok::Plus => "'+'".into(),
            Tok::Minus => "'-'".into(),
            Tok::Star => "'*'".into(),
            Tok::Slash => "'/'".into(),
            Tok::Eq => "'=='".into(),
            Tok::Ne => "'!='".into(),
            Tok::Lt => "'<'".into(),
            Tok::Le => "'<='".into(),
            Tok::Gt => "'>'".into(),
            Tok::Ge => "'>='".into(),
            Tok::Assign => "'=' (use '==')".into(),
            Tok::Bad => "an invalid character".into(),
            Tok::Eof => "end of expression".into(),
        }
    }
}

fn lex(src: &str, errors: &mut Vec<SyntaxError>) -> Vec<(Tok, Span)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    let at = |i: usize| chars.get(i).map(|c| c.0).unwrap_or(src.len());
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            // comment to end of line
            while i < chars.len() && chars[i].1 != '\n' {
                i += 1;
            }
            continue;
        }
        let start = pos;
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_ascii_digit() || chars[j].1 == '_' || chars[j].1 == '.') {
                j += 1;
            }
            let text: String = src[start..at(j)].chars().filter(|c| *c != '_').collect();
            let span = Span { start, end: at(j) };
            let tok = if text.contains('.') {
                Decimal::from_str(&text).ok().filter(|_| !text.ends_with('.')).map(Tok::Dec)
            } else {
                text.parse::<i64>().ok().map(Tok::Int)
            };
            match tok {
                Some(t) => out.push((t, span)),
                None => {
                    if errors.len() < MAX_ERRORS {
                        errors.push(SyntaxError::BadNumber { text: src[start..at(j)].to_string(), span });
                    }
                    out.push((Tok::Int(0), span));
                }
            }
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_' || chars[j].1 == '.')
            {
                j += 1;
            }
            out.push((Tok::Ident(src[start..at(j)].to_string()), Span { start, end: at(j) }));
            i = j;
            continue;
        }
        if c == '"' || c == '“' {
            let close = if c == '"' { '"' } else { '”' };
            let mut j = i + 1;
            let mut s = String::new();
            while j < chars.len() && chars[j].1 != close && chars[j].1 != '\n' {
                s.push(chars[j].1);
                j += 1;
            }
            if j < chars.len() && chars[j].1 == close {
                out.push((Tok::Str(s), Span { start, end: at(j + 1) }));
                i = j + 1;
            } else {
                if errors.len() < MAX_ERRORS {
                    errors.push(SyntaxError::UnterminatedString { span: Span { start, end: at(j) } });
                }
                out.push((Tok::Str(s), Span { start, end: at(j) }));
                i = j;
            }
            continue;
        }
        let next = chars.get(i + 1).map(|c| c.1);
        let (tok, len) = match (c, next) {
            ('(', _) | ('（', _) => (Tok::LParen, 1),
            (')', _) | ('）', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBracket, 1),
            (']', _) => (Tok::RBracket, 1),
            (',', _) | ('，', _) => (Tok::Comma, 1),
            ('+', _) => (Tok::Plus, 1),
            ('-', _) => (Tok::Minus, 1),
            ('*', _) | ('×', _) => (Tok::Star, 1),
            ('/', _) | ('÷', _) => (Tok::Slash, 1),
            ('=', Some('=')) => (Tok::Eq, 2),
            ('!', Some('=')) => (Tok::Ne, 2),
            ('<', Some('=')) => (Tok::Le, 2),
            ('>', Some('=')) => (Tok::Ge, 2),
            ('<', _) => (Tok::Lt, 1),
            ('>', _) => (Tok::Gt, 1),
            ('≤', _) => (Tok::Le, 1),
            ('≥', _) => (Tok::Ge, 1),
            ('≠', _) => (Tok::Ne, 1),
            ('=', _) => (Tok::Assign, 1),
            _ => {
                let span = Span { start, end: at(i + 1) };
                if errors.len() < MAX_ERRORS {
                    errors.push(SyntaxError::UnexpectedChar { ch: c, span });
                }
                out.push((Tok::Bad, span));
                i += 1;
                continue;
            }
        };
        out.push((tok, Span { start, end: at(i + len) }));
        i += len;
    }
    out.push((Tok::Eof, Span { start: src.len(), end: src.len() }));
    out
}

/// The most syntax problems reported for one expression: the first ones, in order (a
/// megabyte of garbage would otherwise be a million diagnostics).
pub const MAX_ERRORS: usize = 100;

/// The deepest the parser nests: brackets, `if`, arguments, indexes, `not` and `-` each
/// count one level. Deeper text is reported ([`SyntaxError::TooDeep`]), not followed.
pub const MAX_NESTING: usize = 64;

/// The tallest tree an expression may make: every operator, call, index, list and `if`
/// adds a level above its tallest operand, so a chain `a + b + … ` of n terms is n levels
/// high. Taller text is reported ([`SyntaxError::TooTall`]) and not built, so that every
/// walk over a tree (checker, evaluators, printers, `Clone`, `Drop`) recurses at most this
/// deep. The checker applies the same limit to an expression with the definitions it uses
/// written out (`check::MAX_EXPANDED_HEIGHT`).
pub const MAX_HEIGHT: usize = 128;

struct Parser {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    errors: Vec<SyntaxError>,
    depth: usize,
}

/// A parsed sub-expression and the height of its tree (a leaf is 1).
type Node = (Expr, usize);

/// Parses one expression: always a tree, plus every syntax problem found.
pub fn parse(src: &str) -> (Expr, Vec<SyntaxError>) {
    let mut errors = Vec::new();
    let toks = lex(src, &mut errors);
    let mut p = Parser { toks, pos: 0, errors, depth: 0 };
    let (e, _) = p.expr();
    if p.peek() != &Tok::Eof {
        let (t, span) = p.toks[p.pos].clone();
        p.errors.push(SyntaxError::Expected {
            expected: "an operator or the end of the expression",
            found: t.describe(),
            span,
        });
    }
    p.errors.truncate(MAX_ERRORS);
    (e, p.errors)
}

fn keyword(t: &Tok, k: &str) -> bool {
    matches!(t, Tok::Ident(s) if s == k)
}

const KEYWORDS: &[&str] =
    &["and", "or", "not", "in", "between", "has", "if", "then", "else", "true", "false", "year", "today"];

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn span(&self) -> Span {
        self.toks[self.pos].1
    }
    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn is_kw(&self, k: &str) -> bool {
        keyword(self.peek(), k)
    }
    fn expect(&mut self, tok: Tok, what: &'static str) -> Span {
        if *self.peek() == tok {
            self.bump().1
        } else {
            let span = self.span();
            self.errors.push(SyntaxError::Expected { expected: what, found: self.peek().describe(), span });
            span
        }
    }
    fn expect_kw(&mut self, k: &str, what: &'static str) {
        if self.is_kw(k) {
            self.bump();
        } else {
            let span = self.span();
            self.errors.push(SyntaxError::Expected { expected: what, found: self.peek().describe(), span });
        }
    }

    /// Skips the rest of the text: nothing sensible can be built past a limit.
    fn give_up(&mut self, span: Span) -> Node {
        self.pos = self.toks.len() - 1;
        (Expr { kind: ExprKind::Error, span }, 1)
    }

    /// A node over children of height `below`: reported and not built when it would be
    /// taller than [`MAX_HEIGHT`]; `at` is where the report points (the operator).
    fn node(&mut self, kind: ExprKind, span: Span, below: usize, at: Span) -> Node {
        if below + 1 > MAX_HEIGHT {
            self.errors.push(SyntaxError::TooTall { span: at });
            return self.give_up(at);
        }
        (Expr { kind, span }, below + 1)
    }

    fn expr(&mut self) -> Node {
        self.depth += 1;
        let e = if self.depth > MAX_NESTING {
            let span = self.span();
            self.errors.push(SyntaxError::TooDeep { span });
            self.give_up(span)
        } else {
            self.or()
        };
        self.depth -= 1;
        e
    }

    fn bin(&mut self, op: BinOp, at: Span, (l, hl): Node, (r, hr): Node) -> Node {
        let span = l.span.to(r.span);
        self.node(ExprKind::Binary(op, Box::new(l), Box::new(r)), span, hl.max(hr), at)
    }

    fn or(&mut self) -> Node {
        let mut l = self.and();
        while self.is_kw("or") {
            let (_, at) = self.bump();
            let r = self.and();
            l = self.bin(BinOp::Or, at, l, r);
        }
        l
    }
    fn and(&mut self) -> Node {
        let mut l = self.not();
        while self.is_kw("and") {
            let (_, at) = self.bump();
            let r = self.not();
            l = self.bin(BinOp::And, at, l, r);
        }
        l
    }
    fn not(&mut self) -> Node {
        if self.is_kw("not") {
            let (_, s) = self.bump();
            self.depth += 1;
            let (e, h) = if self.depth > MAX_NESTING { self.expr() } else { self.not() };
            self.depth -= 1;
            let span = s.to(e.span);
            return self.node(ExprKind::Unary(UnOp::Not, Box::new(e)), span, h, s);
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Node {
        let l = self.sum();
        let op = match self.peek() {
            Tok::Eq => Some(BinOp::Eq),
            Tok::Ne => Some(BinOp::Ne),
            Tok::Lt => Some(BinOp::Lt),
            Tok::Le => Some(BinOp::Le),
            Tok::Gt => Some(BinOp::Gt),
            Tok::Ge => Some(BinOp::Ge),
            Tok::Assign => {
                let span = self.span();
                self.errors.push(SyntaxError::Expected {
                    expected: "'==' for equality",
                    found: "'='".into(),
                    span,
                });
                Some(BinOp::Eq)
            }
            t if keyword(t, "has") => Some(BinOp::Has),
            _ => None,
        };
        if let Some(op) = op {
            let (_, at) = self.bump();
            let r = self.sum();
            return self.bin(op, at, l, r);
        }
        let negated =
            self.is_kw("not") && matches!(self.toks.get(self.pos + 1), Some((t, _)) if keyword(t, "in"));
        if self.is_kw("in") || negated {
            let at = self.span();
            if negated {
                self.bump();
            }
            self.bump();
            self.expect(Tok::LBracket, "'[' opening the list");
            let mut list = Vec::new();
            let mut below = l.1;
            while *self.peek() != Tok::RBracket && *self.peek() != Tok::Eof {
                let (x, h) = self.sum();
                below = below.max(h);
                list.push(x);
                if *self.peek() == Tok::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
            let end = self.expect(Tok::RBracket, "']' closing the list");
            let span = l.0.span.to(end);
            return self.node(ExprKind::In { value: Box::new(l.0), list, negated }, span, below, at);
        }
        if self.is_kw("between") {
            let (_, at) = self.bump();
            let (low, hl) = self.sum();
            self.expect_kw("and", "'and' in 'between … and …'");
            let (high, hh) = self.sum();
            let span = l.0.span.to(high.span);
            let below = l.1.max(hl).max(hh);
            return self.node(
                ExprKind::Between { value: Box::new(l.0), low: Box::new(low), high: Box::new(high) },
                span,
                below,
                at,
            );
        }
        l
    }
    fn sum(&mut self) -> Node {
        let mut l = self.product();
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return l,
            };
            let (_, at) = self.bump();
            let r = self.product();
            l = self.bin(op, at, l, r);
        }
    }
    fn product(&mut self) -> Node {
        let mut l = self.unary();
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return l,
            };
            let (_, at) = self.bump();
            let r = self.unary();
            l = self.bin(op, at, l, r);
        }
    }
    fn unary(&mut self) -> Node {
        if *self.peek() == Tok::Minus {
            let (_, s) = self.bump();
            self.depth += 1;
            let (e, h) = if self.depth > MAX_NESTING { self.expr() } else { self.unary() };
            self.depth -= 1;
            let span = s.to(e.span);
            return self.node(ExprKind::Unary(UnOp::Neg, Box::new(e)), span, h, s);
        }
        self.postfix()
    }
    fn postfix(&mut self) -> Node {
        let (e, h) = self.primary();
        if *self.peek() == Tok::LBracket {
            let (_, at) = self.bump();
            let (idx, hi) = self.expr();
            let end = self.expect(Tok::RBracket, "']' closing the year");
            let span = e.span.to(end);
            return self.node(ExprKind::Index(Box::new(e), Box::new(idx)), span, h.max(hi), at);
        }
        (e, h)
    }
    fn primary(&mut self) -> Node {
        let (tok, span) = self.toks[self.pos].clone();
        let kind = match tok {
            Tok::Int(i) => {
                self.bump();
                ExprKind::Int(i)
            }
            Tok::Dec(d) => {
                self.bump();
                ExprKind::Dec(d)
            }
            Tok::Str(s) => {
                self.bump();
                ExprKind::Str(s)
            }
            Tok::LParen => {
                self.bump();
                let (e, h) = self.expr();
                let end = self.expect(Tok::RParen, "')'");
                return (Expr { kind: e.kind, span: span.to(end) }, h);
            }
            Tok::Ident(ref name) => match name.as_str() {
                "true" | "false" => {
                    self.bump();
                    ExprKind::Bool(name.as_str() == "true")
                }
                "year" => {
                    self.bump();
                    ExprKind::Year
                }
                "today" => {
                    self.bump();
                    ExprKind::Today
                }
                "if" => {
                    self.bump();
                    let (cond, hc) = self.expr();
                    self.expect_kw("then", "'then'");
                    let (then, ht) = self.expr();
                    self.expect_kw("else", "'else'");
                    let (els, he) = self.expr();
                    let whole = span.to(els.span);
                    return self.node(
                        ExprKind::If { cond: Box::new(cond), then: Box::new(then), els: Box::new(els) },
                        whole,
                        hc.max(ht).max(he),
                        span,
                    );
                }
                n if KEYWORDS.contains(&n) => {
                    self.errors.push(SyntaxError::Expected {
                        expected: "a value",
                        found: tok.describe(),
                        span,
                    });
                    self.bump();
                    ExprKind::Error
                }
                _ => {
                    self.bump();
                    if *self.peek() == Tok::LParen {
                        self.bump();
                        let mut args = Vec::new();
                        let mut below = 0;
                        while *self.peek() != Tok::RParen && *self.peek() != Tok::Eof {
                            let (a, h) = self.expr();
                            below = below.max(h);
                            args.push(a);
                            if *self.peek() == Tok::Comma {
                                self.bump();
                            } else {
                                break;
                            }
                        }
                        let end = self.expect(Tok::RParen, "')' closing the arguments");
                        return self.node(ExprKind::Call(name.clone(), args), span.to(end), below, span);
                    }
                    ExprKind::Name(name.clone())
                }
            },
            Tok::Eof => {
                self.errors.push(SyntaxError::Expected { expected: "a value", found: tok.describe(), span });
                ExprKind::Error
            }
            Tok::Bad => {
                self.bump();
                ExprKind::Error
            }
            _ => {
                self.errors.push(SyntaxError::Expected { expected: "a value", found: tok.describe(), span });
                self.bump();
                ExprKind::Error
            }
        };
        (Expr { kind, span }, 1)
    }
}

// ---------------------------------------------------------------------------------------
// Printing

impl Expr {
    fn prec(&self) -> u8 {
        match &self.kind {
            ExprKind::Binary(op, ..) => op.prec(),
            ExprKind::Unary(UnOp::Not, _) => 3,
            ExprKind::In { .. } | ExprKind::Between { .. } => 4,
            ExprKind::Unary(UnOp::Neg, _) => 7,
            ExprKind::If { .. } => 0,
            ExprKind::Int(i) if *i < 0 => 7,
            ExprKind::Dec(d) if d.is_sign_negative() => 7,
            _ => 9,
        }
    }
}

fn wrap(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if e.prec() < min { write!(f, "({e})") } else { write!(f, "{e}") }
}

/// Prints an expression so that parsing the text gives the same tree (spans aside).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Int(i) => write!(f, "{i}"),
            ExprKind::Dec(d) => {
                let s = d.to_string();
                if s.contains('.') { write!(f, "{s}") } else { write!(f, "{s}.0") }
            }
            // A string has no escapes: one holding `"` was written in full-width quotes
            // (found by the fuzzer: `“全"角”` printed as `"全"角"`).
            ExprKind::Str(s) if s.contains('"') => write!(f, "“{s}”"),
            ExprKind::Str(s) => write!(f, "\"{s}\""),
            ExprKind::Name(n) => write!(f, "{n}"),
            ExprKind::Year => write!(f, "year"),
            ExprKind::Today => write!(f, "today"),
            ExprKind::Index(b, i) => {
                wrap(f, b, 9)?;
                write!(f, "[{i}]")
            }
            ExprKind::Call(n, args) => {
                write!(f, "{n}(")?;
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
            ExprKind::Unary(UnOp::Not, e) => {
                write!(f, "not ")?;
                wrap(f, e, 3)
            }
            // `- -x`, not `-(-x)`: brackets would nest the printed text twice as deep as
            // the parsed one (found by fuzzing: 40 minus signs printed past the nesting
            // limit), and `- -` reads back as the same tree.
            ExprKind::Unary(UnOp::Neg, e) if matches!(e.kind, ExprKind::Unary(UnOp::Neg, _)) => {
                write!(f, "- {e}")
            }
            ExprKind::Unary(UnOp::Neg, e) => {
                write!(f, "-")?;
                wrap(f, e, 8)
            }
            ExprKind::Binary(op, l, r) => {
                let p = op.prec();
                let (lmin, rmin) = if p == 4 { (5, 5) } else { (p, p + 1) };
                wrap(f, l, lmin)?;
                write!(f, " {} ", op.as_str())?;
                wrap(f, r, rmin)
            }
            ExprKind::In { value, list, negated } => {
                wrap(f, value, 5)?;
                write!(f, "{} [", if *negated { " not in" } else { " in" })?;
                for (k, a) in list.iter().enumerate() {
                    if k > 0 {
                        write!(f, ", ")?;
                    }
                    wrap(f, a, 5)?;
                }
                write!(f, "]")
            }
            ExprKind::Between { value, low, high } => {
                wrap(f, value, 5)?;
                write!(f, " between ")?;
                wrap(f, low, 5)?;
                write!(f, " and ")?;
                wrap(f, high, 5)
            }
            ExprKind::If { cond, then, els } => write!(f, "if {cond} then {then} else {els}"),
            ExprKind::Error => write!(f, "<error>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str, expected: &str) {
        let (e, errs) = parse(src);
        assert!(errs.is_empty(), "{src}: {errs:?}");
        assert_eq!(e.to_string(), expected);
        let (again, errs) = parse(&e.to_string());
        assert!(errs.is_empty());
        assert_eq!(again.to_string(), expected);
    }

    #[test]
    fn parses_precedence_and_prints_back() {
        check("a and b or not c", "a and b or not c");
        check("(a or b) and c", "(a or b) and c");
        check("revenue[year - 1] <= x * 2 + 1", "revenue[year - 1] <= x * 2 + 1");
        check("t in [\"a\", \"b\"]", "t in [\"a\", \"b\"]");
        check("t not in [1,2]", "t not in [1, 2]");
        check("x between 1 and 2 and y", "x between 1 and 2 and y");
        check("tags has \"专精特新\"", "tags has \"专精特新\"");
        check("min(a, b) - (c - d)", "min(a, b) - (c - d)");
        check("if a then 1 else 2", "if a then 1 else 2");
        check("- -x", "- -x");
        check("-(-(-x))", "- - -x");
        // As deep as the parser allows: printed, it parses back (no brackets added).
        let deep = "-".repeat(60) + "x";
        check(&deep, &format!("{}-x", "- ".repeat(59)));
        check("x ≤ 3", "x <= 3");
        check("t == “全\"角”", "t == “全\"角”");
        check("t == \"全”角\"", "t == \"全”角\"");
    }

    #[test]
    fn reports_every_problem_without_panicking() {
        let (_, errs) = parse("a = 1 and $ and \"open");
        assert_eq!(errs.len(), 3, "{errs:?}");
        let (e, errs) = parse("(a and");
        assert!(!errs.is_empty());
        assert!(e.to_string().contains("<error>"));
        let deep = "(".repeat(500) + "1" + &")".repeat(500);
        let (_, errs) = parse(&deep);
        assert!(errs.iter().any(|e| matches!(e, SyntaxError::TooDeep { .. })));
        let (_, errs) = parse(&"not ".repeat(5000));
        assert!(!errs.is_empty());
        let (_, errs) = parse(&"-".repeat(5000));
        assert!(!errs.is_empty());
        // A megabyte of bad characters: the first 100 problems, not a million.
        let (_, errs) = parse(&"$".repeat(1 << 20));
        assert_eq!(errs.len(), MAX_ERRORS);
        assert_eq!(errs[0].span(), Span { start: 0, end: 1 });
    }

    proptest::proptest! {
        /// Any text: a tree and diagnostics, never a panic; spans stay inside the text.
        #[test]
        fn parsing_never_panics(src in "[a-z_ \\[\\]()\"=<>!+*/,.0-9-]{0,80}|\\PC{0,40}") {
            let (_, errs) = parse(&src);
            for e in errs {
                proptest::prop_assert!(e.span().end <= src.len());
            }
        }

        /// Printing then parsing a well-formed expression gives the same tree (spans aside).
        #[test]
        fn printing_then_parsing_is_lossless(src in "(a|b|c|1|2\\.5|\"x\"|year)( (and|or|==|<=|\\+|\\*|-|/|has) (a|b|1|not c|-d|min\\(a, b\\)|r\\[year - 1\\]|\\(a or b\\))){0,6}") {
            let (e, errs) = parse(&src);
            proptest::prop_assume!(errs.is_empty());
            let printed = e.to_string();
            let (again, errs) = parse(&printed);
            proptest::prop_assert!(errs.is_empty(), "{printed}");
            proptest::prop_assert_eq!(strip(&again), strip(&e), "{} -> {}", src, printed);
        }
    }

    /// The tree with all spans zeroed.
    fn strip(e: &Expr) -> String {
        format!("{:?}", e.kind)
            .split("span: Span")
            .map(|p| p.split_once('}').map(|x| x.1).unwrap_or(p))
            .collect()
    }

    #[test]
    fn spans_point_at_the_problem() {
        let (_, errs) = parse("a and $");
        assert_eq!(errs[0].span(), Span { start: 6, end: 7 });
    }

    /// One sample of each variant: a new variant fails to compile here until it has one.
    fn sample(d: SyntaxErrorDiscriminants) -> SyntaxError {
        use SyntaxErrorDiscriminants as D;
        let span = Span::default();
        match d {
            D::UnexpectedChar => SyntaxError::UnexpectedChar { ch: '$', span },
            D::UnterminatedString => SyntaxError::UnterminatedString { span },
            D::BadNumber => SyntaxError::BadNumber { text: "1.2.3".into(), span },
            D::Expected => SyntaxError::Expected { expected: "a value", found: "')'".into(), span },
            D::TooDeep => SyntaxError::TooDeep { span },
            D::TooTall => SyntaxError::TooTall { span },
        }
    }

    /// Syntax errors render as the crate's [`crate::Error::Syntax`].
    #[test]
    fn every_syntax_error_renders_in_both_languages() {
        use strum::IntoEnumIterator;
        let samples: Vec<crate::Error> =
            SyntaxErrorDiscriminants::iter().map(|d| crate::Error::Syntax(sample(d))).collect();
        i18n::assert_all_bilingual(&samples);
    }
}
