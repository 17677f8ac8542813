//! Printing the typed tree as policy-language source (`Display for TExpr`), with the fewest
//! parentheses that keep its meaning.

use super::*;

impl TExpr {
    fn prec(&self) -> u8 {
        match &self.kind {
            TKind::Binary(op, ..) => match op {
                BinOp::Or => 1,
                BinOp::And => 2,
                BinOp::Add | BinOp::Sub => 5,
                BinOp::Mul | BinOp::Div => 6,
                _ => 4,
            },
            TKind::Unary(UnOp::Not, _) => 3,
            TKind::In(..) | TKind::Between(..) => 4,
            TKind::Unary(UnOp::Neg, _) => 7,
            TKind::If(..) => 0,
            TKind::Const(Value::Num(n)) if n.is_sign_negative() => 7,
            _ => 9,
        }
    }
}

fn twrap(f: &mut fmt::Formatter<'_>, e: &TExpr, min: u8) -> fmt::Result {
    if e.prec() < min { write!(f, "({e})") } else { write!(f, "{e}") }
}

/// Prints the typed tree in the surface syntax (used in explanations).
impl fmt::Display for TExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TKind::Const(Value::Str(s)) => write!(f, "\"{s}\""),
            TKind::Const(Value::Date(d)) => write!(f, "date(\"{}\")", d.format("%Y-%m-%d")),
            TKind::Const(Value::Num(n)) => write!(f, "{n}"),
            TKind::Const(v) => write!(f, "{v}"),
            TKind::Fact(n) | TKind::Param(n) | TKind::Def(n) => write!(f, "{n}"),
            TKind::FactYear(n, i) => write!(f, "{n}[{i}]"),
            TKind::Year => write!(f, "year"),
            TKind::Today => write!(f, "today"),
            TKind::Unary(UnOp::Not, a) => {
                write!(f, "not ")?;
                twrap(f, a, 3)
            }
            TKind::Unary(UnOp::Neg, a) => {
                write!(f, "-")?;
                twrap(f, a, 8)
            }
            TKind::Binary(op, a, b) => {
                let p = self.prec();
                let (lmin, rmin) = if p == 4 { (5, 5) } else { (p, p + 1) };
                twrap(f, a, lmin)?;
                write!(f, " {} ", op.as_str())?;
                twrap(f, b, rmin)
            }
            TKind::In(v, l, neg) => {
                twrap(f, v, 5)?;
                write!(f, "{} [", if *neg { " not in" } else { " in" })?;
                for (k, x) in l.iter().enumerate() {
                    if k > 0 {
                        write!(f, ", ")?;
                    }
                    twrap(f, x, 5)?;
                }
                write!(f, "]")
            }
            TKind::Between(v, l, h) => {
                twrap(f, v, 5)?;
                write!(f, " between ")?;
                twrap(f, l, 5)?;
                write!(f, " and ")?;
                twrap(f, h, 5)
            }
            TKind::If(c, t, e) => write!(f, "if {c} then {t} else {e}"),
            TKind::Call(func, args) => {
                let name = match func {
                    Func::Min => "min",
                    Func::Max => "max",
                    Func::Abs => "abs",
                    Func::Round(p) => {
                        return write!(
                            f,
                            "round({}, {p})",
                            args.first().map(ToString::to_string).unwrap_or_default()
                        );
                    }
                    Func::AddWorkdays => "add_workdays",
                    Func::SubWorkdays => "sub_workdays",
                    Func::WorkdaysBetween => "workdays_between",
                    Func::YearOf => "year_of",
                    Func::SizeClass => {
                        let y = match args.get(1).map(|a| &a.kind) {
                            Some(TKind::FactYear(_, i)) => i.to_string(),
                            _ => String::new(),
                        };
                        return write!(f, "size_class({y})");
                    }
                    Func::VatRefundSize => {
                        let y = args.first().map(ToString::to_string).unwrap_or_default();
                        return write!(f, "vat_refund_size({y})");
                    }
                    Func::IndustrySection => "industry_section",
                    Func::IndustryDivision => "industry_division",
                    Func::Table(n) => n,
                };
                write!(f, "{name}(")?;
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
            TKind::Error => write!(f, "<error>"),
        }
    }
}
