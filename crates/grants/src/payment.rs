//! Payment files (支付文件): the lines of a file with their control totals (line count and
//! amount sum, written in the file and checked when results come back), and the ISO 20022
//! `pain.001.001.03` (CustomerCreditTransferInitiation) writer for banks that take it: the
//! file id is the `MsgId` and `PmtInfId`, each line's grant id its `EndToEndId`, and
//! `NbOfTxs` and `CtrlSum` carry the control totals in the group header and the payment
//! block.
//!
//! The creditor is named by its unified social credit code (`Cdtr/Id/OrgId/Othr`, scheme
//! `USCC`). Where the enterprise's bank account is known (confirmed by its willingness
//! confirmation) it is the creditor account; where it is not, the account is identified by
//! the credit code under the proprietary scheme `USCC`, for a finance system that resolves
//! payees by credit code (as Jiangxi's sends payee and amount): the file says so rather than
//! inventing an account.
//!
//! The writer escapes every text (`&`, `<`, `>`, `"`, `'`) and cuts each to its element's
//! length limit in characters; it writes to any `std::io::Write` the caller gives it.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Serialize;
use std::io::{self, Write};

/// One line of a payment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentLine {
    /// The grant id: the line's end-to-end id.
    pub grant: i64,
    pub uscc: String,
    pub name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub item: String,
    pub period: String,
    /// The confirmed bank account, when known.
    pub account: Option<String>,
}

/// A file's control totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ControlTotals {
    pub lines: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub sum: Decimal,
}

impl ControlTotals {
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a PaymentLine>) -> ControlTotals {
        let mut t = ControlTotals::default();
        for l in lines {
            t.add(l.amount);
        }
        t
    }

    pub fn add(&mut self, amount: Decimal) {
        self.lines += 1;
        self.sum += amount;
    }
}

/// What the header of a pain.001 file says besides the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// The file id: `MsgId` and `PmtInfId` (at most 35 characters).
    pub file_id: String,
    pub created: NaiveDateTime,
    /// The requested execution date.
    pub execution_date: NaiveDate,
    /// The paying body (the zone's finance bureau) and its account.
    pub debtor_name: String,
    pub debtor_account: String,
}

/// An amount as the file writes it: exactly two decimals.
pub fn amount_text(a: Decimal) -> String {
    let mut a = a;
    a.rescale(2);
    a.to_string()
}

/// `s` escaped for XML text and attributes, cut to `max` characters.
pub fn xml_text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| !c.is_control()).take(max) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes a pain.001.001.03 document of `lines` (their totals computed here, so that the
/// header can never disagree with the lines).
pub fn write_pain001(
    out: &mut impl Write,
    header: &FileHeader,
    lines: &[PaymentLine],
) -> io::Result<ControlTotals> {
    let totals = ControlTotals::of(lines);
    let id = xml_text(&header.file_id, 35);
    let debtor = xml_text(&header.debtor_name, 140);
    let debtor_account = xml_text(&header.debtor_account, 34);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#
    )?;
    writeln!(out, "<CstmrCdtTrfInitn>")?;
    writeln!(
        out,
        "<GrpHdr><MsgId>{id}</MsgId><CreDtTm>{}</CreDtTm><NbOfTxs>{}</NbOfTxs><CtrlSum>{}</CtrlSum><InitgPty><Nm>{debtor}</Nm></InitgPty></GrpHdr>",
        header.created.format("%Y-%m-%dT%H:%M:%S"),
        totals.lines,
        amount_text(totals.sum)
    )?;
    writeln!(
        out,
        "<PmtInf><PmtInfId>{id}</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>{}</NbOfTxs><CtrlSum>{}</CtrlSum><ReqdExctnDt>{}</ReqdExctnDt><Dbtr><Nm>{debtor}</Nm></Dbtr><DbtrAcct><Id><Othr><Id>{debtor_account}</Id></Othr></Id><Ccy>CNY</Ccy></DbtrAcct><DbtrAgt><FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId></DbtrAgt><ChrgBr>SLEV</ChrgBr>",
        totals.lines,
        amount_text(totals.sum),
        header.execution_date.format("%Y-%m-%d")
    )?;
    for l in lines {
        let uscc = xml_text(&l.uscc, 35);
        let account = match &l.account {
            Some(a) => format!("<Othr><Id>{}</Id></Othr>", xml_text(a, 34)),
            None => format!("<Othr><Id>{uscc}</Id><SchmeNm><Prtry>USCC</Prtry></SchmeNm></Othr>"),
        };
        writeln!(
            out,
            "<CdtTrfTxInf><PmtId><EndToEndId>{}</EndToEndId></PmtId><Amt><InstdAmt Ccy=\"CNY\">{}</InstdAmt></Amt><Cdtr><Nm>{}</Nm><Id><OrgId><Othr><Id>{uscc}</Id><SchmeNm><Prtry>USCC</Prtry></SchmeNm></Othr></OrgId></Id></Cdtr><CdtrAcct><Id>{account}</Id></CdtrAcct><RmtInf><Ustrd>{}</Ustrd></RmtInf></CdtTrfTxInf>",
            l.grant,
            amount_text(l.amount),
            xml_text(&l.name, 140),
            xml_text(&format!("{} {}", l.item, l.period), 140)
        )?;
    }
    writeln!(out, "</PmtInf>")?;
    writeln!(out, "</CstmrCdtTrfInitn>")?;
    writeln!(out, "</Document>")?;
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn line(grant: i64, amount: Decimal, name: &str) -> PaymentLine {
        PaymentLine {
            grant,
            uscc: "91440101MA5CYUF12X".into(),
            name: name.into(),
            amount,
            item: "zone-award".into(),
            period: "2022".into(),
            account: None,
        }
    }

    #[test]
    fn the_file_carries_its_control_totals_and_one_end_to_end_id_per_line() {
        let header = FileHeader {
            file_id: "PF-1-0001".into(),
            created: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap().and_hms_opt(20, 0, 0).unwrap(),
            execution_date: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            debtor_name: "园区财政局".into(),
            debtor_account: "1234".into(),
        };
        let lines = [line(7, dec!(100), "A&B <公司>"), line(9, dec!(0.5), "C'D")];
        let mut buf = Vec::new();
        let t = write_pain001(&mut buf, &header, &lines).unwrap();
        assert_eq!(t, ControlTotals { lines: 2, sum: dec!(100.5) });
        let xml = String::from_utf8(buf).unwrap();
        assert_eq!(xml.matches("<NbOfTxs>2</NbOfTxs>").count(), 2);
        assert_eq!(xml.matches("<CtrlSum>100.50</CtrlSum>").count(), 2);
        assert!(xml.contains("<MsgId>PF-1-0001</MsgId>"));
        assert!(xml.contains("<EndToEndId>7</EndToEndId>"));
        assert!(xml.contains("<EndToEndId>9</EndToEndId>"));
        assert!(xml.contains(r#"<InstdAmt Ccy="CNY">0.50</InstdAmt>"#));
        assert!(xml.contains("<Nm>A&amp;B &lt;公司&gt;</Nm>"), "{xml}");
        assert!(xml.contains("<Nm>C&apos;D</Nm>"));
        assert!(!xml.contains("A&B"));
    }

    #[test]
    fn texts_are_cut_to_their_limits_in_characters() {
        assert_eq!(xml_text(&"惠".repeat(200), 140).chars().count(), 140);
        assert_eq!(amount_text(dec!(3)), "3.00");
    }
}
