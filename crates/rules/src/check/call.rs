//! Calls of built-in functions and parameter tables: arity, argument types and the result
//! type of each function the policy language offers (`FUNCTIONS`).

use super::*;

impl Checker<'_> {
    pub(super) fn call(&mut self, name: &str, args: &[Expr], span: Span) -> TExpr {
        let err = TExpr { kind: TKind::Error, ty: Type::Error, span };
        let mk = |f: Func, a: Vec<TExpr>, ty: Type| TExpr { kind: TKind::Call(f, a), ty, span };
        if let Some(ParamShape::Table { key, value }) = self.params.get(name).copied() {
            if !self.arity(name, args, 1, span) {
                return err;
            }
            let a = self.check(&args[0]);
            if a.ty == Type::Error {
                return err;
            }
            let compatible =
                a.ty == key || (a.ty != Type::Money && key != Type::Money && a.ty.numeric() && key.numeric());
            if !compatible {
                self.err(
                    a.span,
                    Error::ExpectedType {
                        what: format!("{name}(…)"),
                        expected: key.to_string(),
                        found: a.ty.to_string(),
                    },
                );
                return err;
            }
            return mk(Func::Table(name.to_string()), vec![a], value);
        }
        match name {
            "min" | "max" => {
                if args.len() < 2 {
                    self.err(
                        span,
                        Error::Arity { name: name.into(), expected: "2+".into(), found: args.len() },
                    );
                    return err;
                }
                let checked: Vec<TExpr> = args.iter().map(|a| self.check(a)).collect();
                let mut ty = checked[0].ty;
                for c in &checked[1..] {
                    let fake = TExpr { kind: TKind::Error, ty, span };
                    ty = match self.binary_type(BinOp::Add, &fake, c, span) {
                        Type::Date => Type::Error,
                        t => t,
                    };
                }
                if !ty.numeric() && ty != Type::Error {
                    self.err(
                        span,
                        Error::ExpectedType {
                            what: name.into(),
                            expected: "integer/money/ratio".into(),
                            found: ty.to_string(),
                        },
                    );
                    ty = Type::Error;
                }
                mk(if name == "min" { Func::Min } else { Func::Max }, checked, ty)
            }
            "abs" => {
                if !self.arity(name, args, 1, span) {
                    return err;
                }
                let a = self.check(&args[0]);
                let ty = if a.ty.numeric() || a.ty == Type::Error { a.ty } else { Type::Error };
                if ty == Type::Error && a.ty != Type::Error {
                    self.expect(&a, Type::Money, "abs");
                }
                mk(Func::Abs, vec![a], ty)
            }
            "round" => {
                if !self.arity(name, args, 2, span) {
                    return err;
                }
                let a = self.check(&args[0]);
                let places = match &args[1].kind {
                    ExprKind::Int(p) if (0..=10).contains(p) => *p as u32,
                    _ => {
                        self.err(
                            args[1].span,
                            Error::BadLiteral {
                                what: "round places (0-10)".into(),
                                text: args[1].to_string(),
                            },
                        );
                        return err;
                    }
                };
                let ty = if a.ty.numeric() || a.ty == Type::Error { a.ty } else { Type::Error };
                if ty == Type::Error && a.ty != Type::Error {
                    self.expect(&a, Type::Money, "round");
                }
                mk(Func::Round(places), vec![a], ty)
            }
            "add_workdays" | "sub_workdays" => {
                if !self.arity(name, args, 2, span) {
                    return err;
                }
                let (d, n) = (self.check(&args[0]), self.check(&args[1]));
                let ok = self.expect(&d, Type::Date, name) & self.expect(&n, Type::Integer, name);
                let f = if name == "add_workdays" { Func::AddWorkdays } else { Func::SubWorkdays };
                mk(f, vec![d, n], if ok { Type::Date } else { Type::Error })
            }
            "workdays_between" => {
                if !self.arity(name, args, 2, span) {
                    return err;
                }
                let (a, b) = (self.check(&args[0]), self.check(&args[1]));
                let ok = self.expect(&a, Type::Date, name) & self.expect(&b, Type::Date, name);
                mk(Func::WorkdaysBetween, vec![a, b], if ok { Type::Integer } else { Type::Error })
            }
            "year_of" => {
                if !self.arity(name, args, 1, span) {
                    return err;
                }
                let a = self.check(&args[0]);
                let ok = self.expect(&a, Type::Date, name);
                mk(Func::YearOf, vec![a], if ok { Type::Integer } else { Type::Error })
            }
            "date" => {
                if !self.arity(name, args, 1, span) {
                    return err;
                }
                match &args[0].kind {
                    ExprKind::Str(s) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                        Ok(d) => TExpr { kind: TKind::Const(Value::Date(d)), ty: Type::Date, span },
                        Err(_) => {
                            self.err(
                                args[0].span,
                                Error::BadLiteral { what: "date YYYY-MM-DD".into(), text: s.clone() },
                            );
                            err
                        }
                    },
                    _ => {
                        self.err(
                            args[0].span,
                            Error::BadLiteral {
                                what: "date \"YYYY-MM-DD\"".into(),
                                text: args[0].to_string(),
                            },
                        );
                        err
                    }
                }
            }
            "size_class" => {
                if !self.arity(name, args, 1, span) {
                    return err;
                }
                let Some(y) = self.year_index(&args[0]) else { return err };
                let fy = |id: &str, ty: Type| TExpr {
                    kind: TKind::FactYear(id.to_string(), Box::new(y.clone())),
                    ty,
                    span: y.span,
                };
                let ind = TExpr { kind: TKind::Fact("industry_code".into()), ty: Type::Code, span };
                let a = vec![
                    ind,
                    fy("employees", Type::Integer),
                    fy("revenue", Type::Money),
                    fy("total_assets", Type::Money),
                ];
                mk(Func::SizeClass, a, Type::Code)
            }
            "vat_refund_size" => {
                if !self.arity(name, args, 1, span) {
                    return err;
                }
                let Some(y) = self.year_index(&args[0]) else { return err };
                let fy = |id: &str, ty: Type| TExpr {
                    kind: TKind::FactYear(id.to_string(), Box::new(y.clone())),
                    ty,
                    span: y.span,
                };
                let fact = |id: &str, ty: Type| TExpr { kind: TKind::Fact(id.into()), ty, span };
                let a = vec![
                    y.clone(),
                    fact("industry_code", Type::Code),
                    fact("established_on", Type::Date),
                    fy("vat_sales", Type::Money),
                    fy("vat_sales_months", Type::Integer),
                    fy("total_assets_year_end", Type::Money),
                ];
                mk(Func::VatRefundSize, a, Type::Code)
            }
            "industry_section" | "industry_division" => {
                if !self.arity(name, args, 1, span) {
                    return err;
                }
                let a = self.check(&args[0]);
                let ok = self.expect(&a, Type::Code, name);
                let (f, t) = if name == "industry_section" {
                    (Func::IndustrySection, Type::Code)
                } else {
                    (Func::IndustryDivision, Type::Integer)
                };
                mk(f, vec![a], if ok { t } else { Type::Error })
            }
            _ => {
                for a in args {
                    self.check(a);
                }
                let tables = self
                    .params
                    .iter()
                    .filter(|p| matches!(p.1, ParamShape::Table { .. }))
                    .map(|p| p.0.as_str());
                let nearest = i18n::suggest::nearest_one(name, FUNCTIONS.iter().copied().chain(tables))
                    .map(str::to_string);
                self.err(span, Error::UnknownFunction { name: name.to_string(), nearest });
                err
            }
        }
    }
}
