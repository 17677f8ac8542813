//! Zone settings (园区设置): the values a zone decides for itself that no law or plan fixes,
//! each with where it comes from. Today the supervision thresholds (通报标准: a department is
//! named in the supervision report when a rate of its KPIs is below its threshold); later
//! issues add their own sections (rate limits, the demo date, …).
//!
//! The settings are one versioned document (`store::documents`, kind `zone_settings`, name
//! `zone_settings.toml`), read by every signed-in role and changed by admins: on the page
//! `/admin/settings` (a form), through `PUT /api/v1/settings`, or with `huiqi settings set`.
//! Each save is a new version with who and when (and a row of `reference_changes`), like the
//! time limits. A database with no stored version uses [`ZoneSettings::default`].
//!
//! Growing the document: every section and every field has a default (`#[serde(default)]`),
//! so a document stored before a field existed still loads and reads the field's default; an
//! unknown key is refused, so a misspelt one is never silently ignored. A new field needs
//! the struct field with its default and a row in [`FIELDS`] (its key, kind, label and help
//! in both languages); a test checks that the two agree, and the form, `huiqi settings
//! show|set` and the API then carry it without further code.
//!
//! The section `handling` (issue 11 §6) holds the time limits of the three lists that no
//! document fixes: the reply to a 督办 (escalation), the deadline of a consultation's decision
//! given without one, the share of closures without confirmation a supervisor samples, and
//! the statement of where the time limits themselves (`huiqi time-limits`) come from. Pages
//! and exports that show any of them label them as zone settings with this source
//! ([`HandlingSettings::source`], [`ZoneSettings::time_limits_label`]).
//!
//! Where the thresholds come from: the plan (《长沙高新区纾困稳产促发展专项帮扶行动工作方案》,
//! 四、保障措施 4. 强化调度督查) asks for supervision and for naming departments that act slowly
//! (通报批评) but gives no number. 90/90/90/80 are this system's defaults, in the manner of
//! the 12345 hotline's 三率 assessment; [`SupervisionSettings::source`] says so wherever the
//! thresholds are shown, until an admin records the zone's own decision there.

use crate::policy_docs::{DocumentView, Expected, Saved};
use crate::{App, Error, Principal, Result, authz};
use i18n::Lang;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use store::documents::{DocumentKind, ZONE_SETTINGS_NAME};

/// The source stated with the shipped thresholds (Chinese, as an admin would write one).
pub const DEFAULT_THRESHOLD_SOURCE: &str = "方案（四、保障措施 4. 强化调度督查）只要求对行动迟缓、帮扶不力的部门通报批评，\
     未规定数值标准；响应率、按时办结率、满意率 90%、解决率 80% 为本系统默认值，参照 12345 接诉即办“三率”考核的做法，\
     待园区确定后由管理员修改";

/// [`DEFAULT_THRESHOLD_SOURCE`] in English.
pub const DEFAULT_THRESHOLD_SOURCE_EN: &str = "The plan (IV.4, supervision) asks for departments acting slowly to \
     be named but gives no threshold; 90 % response, on-time closure and satisfaction and 80 % resolution are \
     this system's defaults, after the 12345 hotline's assessment, until the zone decides its own and an \
     admin records it";

/// The source stated with the shipped handling settings and time limits.
pub const DEFAULT_HANDLING_SOURCE: &str = "方案（三、帮扶重点 2.“三个清单”，四、保障措施 4. 强化调度督查）未规定办理时限：\
     受理、答复、异议、配合意见、企业确认（5个工作日）等时限，督办回复 3 个工作日、会商事项默认 5 个工作日、\
     逾期未确认办结抽查 10% 均为本系统默认值，待园区确定后由管理员修改";

/// [`DEFAULT_HANDLING_SOURCE`] in English.
pub const DEFAULT_HANDLING_SOURCE_EN: &str = "The plan (III.2, the three lists; IV.4, supervision) fixes no time \
     limit: acceptance, answer, objection, cooperating reports, the enterprise's confirmation (5 working days), \
     the reply to an escalation (3 working days), a consultation decision's default deadline (5 working days) \
     and the 10 % sample of closures without confirmation are this system's defaults until the zone decides \
     its own and an admin records them";

/// A stated source in a language: the shipped defaults have an English text; a source an
/// admin wrote is shown as written.
pub fn source_in(source: &str, lang: Lang) -> &str {
    match lang {
        Lang::En if source == DEFAULT_THRESHOLD_SOURCE => DEFAULT_THRESHOLD_SOURCE_EN,
        Lang::En if source == DEFAULT_HANDLING_SOURCE => DEFAULT_HANDLING_SOURCE_EN,
        Lang::En if source == DEFAULT_GRANTS_SOURCE => DEFAULT_GRANTS_SOURCE_EN,
        Lang::En if source == DEFAULT_FINANCING_SOURCE => {
            "The plan (III.5 financing, III.8 bank-enterprise matching) fixes no time limit for a \
             financing demand: an outcome (granted or closed) within 20 working days is this system's \
             default until the zone decides its own and an admin records it"
        }
        _ => source,
    }
}

/// The longest `source` text, in characters.
pub const SOURCE_MAX_CHARS: usize = 1000;

/// The zone settings. Every section has its default; see the module documentation for how
/// fields are added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoneSettings {
    /// The supervision report's thresholds (通报标准).
    pub supervision: SupervisionSettings,
    /// The three lists' limits that no document fixes (办理设置).
    pub handling: HandlingSettings,
    /// 免申即享 grants: publicity and approval bands (授予设置).
    pub grants: GrantSettings,
    /// Credit repair cases: the steps' deadlines (信用修复设置, issue 15).
    pub credit_repair: crate::credit_repair::CreditRepairSettings,
    /// Financing (融资对接): the time limit of a demand's outcome.
    pub financing: FinancingSettings,
    /// Supply chains (产业链对接, 三.11): when a demand's first introduction is due.
    pub chains: crate::chains::ChainSettings,
    /// Legal consultations (应急法律服务, 三.14): the answer's time limit and the lawyer team.
    pub legal: crate::legal::LegalSettings,
    /// Logistics (物流保通保畅, 三.12): the officers told of every obstruction report.
    pub logistics: crate::logistics::LogisticsSettings,
}

/// The source stated with the shipped financing settings.
pub const DEFAULT_FINANCING_SOURCE: &str = "方案（三、帮扶重点 5. 融资服务、8. 政银企对接）未规定融资需求的办理时限：\
     20 个工作日内有结果（放款或关闭）为本系统默认值，待园区确定后由管理员修改";

/// The financing settings no document fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FinancingSettings {
    /// Working days from a demand's posting to its outcome (granted or closed), 1–120.
    pub outcome_days: u32,
    /// Where this comes from.
    pub source: String,
}

impl Default for FinancingSettings {
    fn default() -> Self {
        FinancingSettings { outcome_days: 20, source: DEFAULT_FINANCING_SOURCE.to_string() }
    }
}

/// The source stated with the shipped grant settings.
pub const DEFAULT_GRANTS_SOURCE: &str = "方案（三、帮扶重点 4. 免申即享）未规定公示天数和审批层级：公示 5 个工作日，\
     授予合计 100 万元以下 1 人审批、100 万元起 2 人、1000 万元起 3 人均为本系统默认值，待园区确定后由管理员修改";

/// [`DEFAULT_GRANTS_SOURCE`] in English.
pub const DEFAULT_GRANTS_SOURCE_EN: &str = "The plan (III.4, granted without application) fixes neither the \
     publicity period nor the approval levels: 5 working days of publicity, one approver below 1,000,000 yuan, \
     two from 1,000,000 and three from 10,000,000 are this system's defaults until the zone decides its own \
     and an admin records them";

/// The grant settings no document fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrantSettings {
    /// Working days a run's list is publicised when the officer names none (1–30).
    pub publicity_workdays: u32,
    /// Approval bands: `from:approvals` pairs separated by `;` (`0:1; 1000000:2`), yuan.
    pub approval_bands: String,
    /// The paying body named in payment files (付款单位).
    pub payer_name: String,
    /// The paying body's account named in payment files (付款账号).
    pub payer_account: String,
    /// The award items whose grants need the enterprise's willingness confirmation (意愿确认)
    /// before payment: item ids separated by commas, or `无` for none. A run records this
    /// when it is created ([`GrantSettings::needs_confirmation`]).
    pub confirmation_items: String,
    /// Where these come from.
    pub source: String,
}

impl Default for GrantSettings {
    fn default() -> Self {
        GrantSettings {
            publicity_workdays: 5,
            approval_bands: "0:1; 1000000:2; 10000000:3".to_string(),
            payer_name: "园区财政局".to_string(),
            payer_account: "未设置".to_string(),
            confirmation_items: NO_ITEMS.to_string(),
            source: DEFAULT_GRANTS_SOURCE.to_string(),
        }
    }
}

/// The value of `grants.confirmation_items` naming no item.
pub const NO_ITEMS: &str = "无";

impl GrantSettings {
    /// The items named by `grants.confirmation_items` (`无`, `none` or empty: none).
    pub fn confirmation_items(&self) -> Vec<String> {
        self.confirmation_items
            .split([',', '，', ';', '；', ' ', '\n', '、'])
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != NO_ITEMS && !t.eq_ignore_ascii_case("none"))
            .map(String::from)
            .collect()
    }

    /// Whether a run of `item` created now needs willingness confirmation.
    pub fn needs_confirmation(&self, item: &str) -> bool {
        self.confirmation_items().iter().any(|i| i == item)
    }

    /// The approval bands, read from their text.
    pub fn bands(&self) -> std::result::Result<grants::ApprovalBands, String> {
        let mut bands = Vec::new();
        for part in self.approval_bands.split([';', '；']).map(str::trim).filter(|p| !p.is_empty()) {
            let (from, n) = part.split_once([':', '：']).ok_or_else(|| format!("{part}: from:approvals"))?;
            let from = Decimal::from_str(from.trim().replace(',', "").as_str())
                .map_err(|e| format!("{part}: {e}"))?;
            let approvals: u32 = n.trim().parse().map_err(|e| format!("{part}: {e}"))?;
            bands.push(grants::bands::Band { from, approvals });
        }
        grants::ApprovalBands::new(bands).map_err(|e| e.to_string())
    }
}

/// The handling limits no document fixes, and where they (and the time limits) come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandlingSettings {
    /// Working days the lead department has to reply to a 督办 (1–30).
    pub escalation_reply_workdays: u32,
    /// Working days a consultation's decision is given when the meeting named no date (1–60).
    pub decision_workdays: u32,
    /// The share of closures without confirmation a supervisor samples (抽查比例, %).
    pub spot_check_percent: Percent,
    /// Where these and the time limits (`huiqi time-limits`) come from.
    pub source: String,
}

impl Default for HandlingSettings {
    fn default() -> Self {
        HandlingSettings {
            escalation_reply_workdays: 3,
            decision_workdays: 5,
            spot_check_percent: Percent::whole(10),
            source: DEFAULT_HANDLING_SOURCE.to_string(),
        }
    }
}

/// The thresholds below which a department is named in the supervision report (percent),
/// and where they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupervisionSettings {
    pub response_rate: Percent,
    pub on_time_closure_rate: Percent,
    pub satisfaction_rate: Percent,
    pub resolution_rate: Percent,
    /// Where the values come from (a decision of the zone, a document number, or that the
    /// plan gives none): shown with the thresholds on every page and report.
    pub source: String,
}

impl Default for SupervisionSettings {
    fn default() -> Self {
        SupervisionSettings {
            response_rate: Percent::whole(90),
            on_time_closure_rate: Percent::whole(90),
            satisfaction_rate: Percent::whole(90),
            resolution_rate: Percent::whole(80),
            source: DEFAULT_THRESHOLD_SOURCE.to_string(),
        }
    }
}

/// A percentage from 0 to 100 with at most two decimals. Written in TOML and JSON as a
/// number (`90`, `85.5`); read from a number or a text (`"85.5"`, `"85.5%"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(Decimal);

impl Percent {
    pub fn whole(n: u8) -> Percent {
        Percent(Decimal::from(n))
    }

    /// Parses `85`, `85.5`, `85.50%`; the value is kept without trailing zeros.
    pub fn parse(text: &str) -> std::result::Result<Percent, String> {
        let t = text.trim().trim_end_matches(['%', '％']).trim();
        let d = Decimal::from_str(t).map_err(|_| Percent::RANGE.to_string())?;
        Percent::new(d)
    }

    pub fn new(d: Decimal) -> std::result::Result<Percent, String> {
        let d = d.normalize();
        if d < Decimal::ZERO || d > Decimal::from(100) || d.scale() > 2 {
            return Err(Percent::RANGE.to_string());
        }
        Ok(Percent(d))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    const RANGE: &'static str = "应为 0 到 100 之间、最多两位小数的百分数 / must be a percentage from 0 to 100 with at most two decimals";
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use rust_decimal::prelude::ToPrimitive;
        match (self.0.scale(), self.0.to_i64(), self.0.to_f64()) {
            (0, Some(i), _) => s.serialize_i64(i),
            (_, _, Some(f)) => s.serialize_f64(f),
            _ => s.serialize_str(&self.0.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Percent, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Percent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a percentage from 0 to 100")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Percent, E> {
                Percent::new(Decimal::from(v)).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Percent, E> {
                Percent::new(Decimal::from(v)).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Percent, E> {
                // The shortest decimal that reads back as `v` (85.55, not 85.549999…).
                Percent::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Percent, E> {
                Percent::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// What is wrong with a setting's value ([`Error::InvalidSetting`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum SettingIssue {
    /// No setting has this key.
    Unknown,
    /// Not a percentage from 0 to 100 with at most two decimals.
    NotAPercent,
    /// A text that must be given is empty.
    Empty,
    /// Not a whole number of working days in the allowed range.
    NotWorkdays,
    /// Approval bands that do not read (`from:approvals; …`, ascending, 1–9 approvals).
    NotBands,
    /// Not usernames of active department officers or leaders (`logistics.officers`).
    NotOfficers,
    /// The thresholds are no longer the shipped ones but their source is still the shipped
    /// text, which describes those: say where the new values come from.
    SourceOfDefaults,
    /// Not a time limit (`2 个工作日`, `48 小时`: 1–30 working days or 1–240 hours).
    NotALimit,
}

/// The field of a key, if any.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// What kind of value a setting holds (how the form shows it and the CLI reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A [`Percent`].
    Percent,
    /// A text of at most this many characters.
    Text { max_chars: usize },
    /// A whole number of working days from `min` to `max`.
    Workdays { min: u32, max: u32 },
}

/// One setting: its key (`section.field`, as in the TOML document), kind, and label and help
/// in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub kind: FieldKind,
    /// Label and help, Chinese then English.
    pub label: [&'static str; 2],
    pub help: [&'static str; 2],
}

impl Field {
    pub fn label(&self, lang: Lang) -> &'static str {
        self.label[usize::from(lang == Lang::En)]
    }

    pub fn help(&self, lang: Lang) -> &'static str {
        self.help[usize::from(lang == Lang::En)]
    }
}

const BELOW: [&str; 2] = [
    "考核期内该率低于此值的部门列入督查通报（%）",
    "a department whose rate in the period is below this is named in the supervision report (%)",
];

const CREDIT_REPAIR_HELP: [&str; 2] = [
    "自立案之日起按园区工作日历计算的工作日数；立案时定下该案件的期限，逾期未完成的步骤亮红灯",
    "working days from the day a case is recorded, on the zone calendar; fixed for the case when it is \
     recorded; a step not done by then lights red",
];

/// Every setting, in the order pages and `huiqi settings show` list them.
pub const FIELDS: &[Field] = &[
    Field {
        key: "supervision.response_rate",
        kind: FieldKind::Percent,
        label: ["响应率标准", "response rate threshold"],
        help: BELOW,
    },
    Field {
        key: "supervision.on_time_closure_rate",
        kind: FieldKind::Percent,
        label: ["按时办结率标准", "on-time closure rate threshold"],
        help: BELOW,
    },
    Field {
        key: "supervision.satisfaction_rate",
        kind: FieldKind::Percent,
        label: ["满意率标准", "satisfaction rate threshold"],
        help: BELOW,
    },
    Field {
        key: "supervision.resolution_rate",
        kind: FieldKind::Percent,
        label: ["解决率标准", "resolution rate threshold"],
        help: BELOW,
    },
    Field {
        key: "supervision.source",
        kind: FieldKind::Text { max_chars: SOURCE_MAX_CHARS },
        label: ["通报标准的依据", "source of the thresholds"],
        help: [
            "这些标准从何而来：园区的决定、文号，或说明方案未作规定；与标准一起显示在看板、通报和本页",
            "where the thresholds come from: the zone's decision, a document number, or that the plan gives none; \
             shown with them on the dashboard, the report and this page",
        ],
    },
    Field {
        key: "handling.escalation_reply_workdays",
        kind: FieldKind::Workdays { min: 1, max: 30 },
        label: ["督办回复时限（工作日）", "reply to an escalation (working days)"],
        help: [
            "督办后牵头部门须在此期限内回复；逾期亮红灯",
            "the lead department replies to a 督办 within this; overdue replies light red",
        ],
    },
    Field {
        key: "handling.decision_workdays",
        kind: FieldKind::Workdays { min: 1, max: 60 },
        label: ["会商事项默认期限（工作日）", "default deadline of a consultation decision (working days)"],
        help: [
            "会商决定事项未写明期限时，自会商之日起的工作日数",
            "working days from the meeting, for a decision given without a date",
        ],
    },
    Field {
        key: "handling.spot_check_percent",
        kind: FieldKind::Percent,
        label: ["逾期未确认办结抽查比例", "sample of closures without confirmation"],
        help: [
            "督查每期抽查回访的逾期未确认办结问题所占比例（%，至少抽 1 件）",
            "the share of closures without confirmation a supervisor calls back each period (%, at least one)",
        ],
    },
    Field {
        key: "handling.source",
        kind: FieldKind::Text { max_chars: SOURCE_MAX_CHARS },
        label: ["办理时限的依据", "source of the time limits"],
        help: [
            "以上期限和“办理时限”从何而来：园区的决定、文号，或说明方案未作规定；显示在问题页、台账和本页",
            "where these limits and the time limits come from: the zone's decision, a document number, or that \
             the plan gives none; shown on problem pages, the ledger and this page",
        ],
    },
    Field {
        key: "financing.outcome_days",
        kind: FieldKind::Workdays { min: 1, max: 120 },
        label: ["融资需求办理时限（工作日）", "time limit of a financing demand (working days)"],
        help: [
            "融资需求自提交起应在此工作日数内有结果（放款或关闭），临近亮黄灯、逾期亮红灯",
            "working days from a financing demand's posting to its outcome (granted or closed): yellow near, red past",
        ],
    },
    Field {
        key: "financing.source",
        kind: FieldKind::Text { max_chars: SOURCE_MAX_CHARS },
        label: ["融资时限依据", "source of the financing time limit"],
        help: [
            "该时限的来源（文件或园区决定）",
            "where the time limit comes from (a document or the zone's decision)",
        ],
    },
    Field {
        key: "grants.publicity_workdays",
        kind: FieldKind::Workdays { min: 1, max: 30 },
        label: ["授予公示期（工作日）", "publicity of a grant run (working days)"],
        help: [
            "授予名单公示的工作日数（按园区工作日历），经办人未另行指定时使用",
            "working days a grant list is publicised on the zone calendar when the officer names none",
        ],
    },
    Field {
        key: "grants.approval_bands",
        kind: FieldKind::Text { max_chars: 200 },
        label: ["授予审批档次", "approval bands of grant runs"],
        help: [
            "批次合计金额（元）起点与所需审批人数，如“0:1; 1000000:2; 10000000:3”；审批人不得是经办人，同一人只能审批一次",
            "from what run total (yuan) how many approvers are needed, e.g. \"0:1; 1000000:2; 10000000:3\"; \
             the preparer never approves and one person approves once",
        ],
    },
    Field {
        key: "grants.payer_name",
        kind: FieldKind::Text { max_chars: 140 },
        label: ["支付文件付款单位", "payer named in payment files"],
        help: ["支付文件中的付款单位名称", "the paying body named in payment files"],
    },
    Field {
        key: "grants.payer_account",
        kind: FieldKind::Text { max_chars: 34 },
        label: ["支付文件付款账号", "payer account in payment files"],
        help: ["支付文件中的付款账号", "the paying account named in payment files"],
    },
    Field {
        key: "grants.confirmation_items",
        kind: FieldKind::Text { max_chars: 1000 },
        label: ["需意愿确认的条款", "items needing willingness confirmation"],
        help: [
            "这些免申即享条款的授予须由企业一键确认意愿和收款账户后才列入支付文件；条款编号以逗号分隔，“无”表示都不需要；批次创建时记下",
            "grants of these award items go into a payment file only after the enterprise confirms its willingness and \
             its bank account; item ids separated by commas, \"无\" for none; a run records this when it is created",
        ],
    },
    Field {
        key: "grants.source",
        kind: FieldKind::Text { max_chars: SOURCE_MAX_CHARS },
        label: ["授予设置的依据", "source of the grant settings"],
        help: [
            "公示期和审批档次从何而来：园区的决定、文号，或说明方案未作规定",
            "where the publicity period and the approval bands come from: the zone's decision, a document number, \
             or that the plan gives none",
        ],
    },
    Field {
        key: "credit_repair.training_workdays",
        kind: FieldKind::Workdays { min: 1, max: 60 },
        label: ["信用修复：参加培训期限（工作日）", "credit repair: training within (working days)"],
        help: CREDIT_REPAIR_HELP,
    },
    Field {
        key: "credit_repair.commitment_workdays",
        kind: FieldKind::Workdays { min: 1, max: 60 },
        label: ["信用修复：签署承诺期限（工作日）", "credit repair: commitment within (working days)"],
        help: CREDIT_REPAIR_HELP,
    },
    Field {
        key: "credit_repair.application_workdays",
        kind: FieldKind::Workdays { min: 1, max: 90 },
        label: ["信用修复：提交申请期限（工作日）", "credit repair: application within (working days)"],
        help: CREDIT_REPAIR_HELP,
    },
    Field {
        key: "credit_repair.source",
        kind: FieldKind::Text { max_chars: SOURCE_MAX_CHARS },
        label: ["信用修复期限的依据", "source of the credit repair deadlines"],
        help: [
            "以上期限从何而来：园区的决定、文号，或说明方案未作规定",
            "where these deadlines come from: the zone's decision, a document number, or that the plan gives none",
        ],
    },
    Field {
        key: "chains.introduction_workdays",
        kind: FieldKind::Workdays { min: 1, max: 60 },
        label: ["配套需求对接期限（工作日）", "supply demand: first introduction within (working days)"],
        help: [
            "企业提出配套需求后，经济发展局应在此工作日数内对接第一家供应企业；发布时定下该需求的期限，逾期未对接计入“滞后”",
            "working days from a supply demand's posting to its first introduction of a supplier; fixed for the \
             demand when it is posted; past it without one, the demand counts as behind",
        ],
    },
    Field {
        key: "chains.source",
        kind: FieldKind::Text { max_chars: SOURCE_MAX_CHARS },
        label: ["对接期限的依据", "source of the introduction time limit"],
        help: [
            "该期限从何而来：园区的决定、文号，或说明方案未作规定",
            "where the time limit comes from: the zone's decision, a document number, or that the plan gives none",
        ],
    },
    Field {
        key: "legal.answer_limit",
        kind: FieldKind::Text { max_chars: 20 },
        label: ["法律咨询答复时限", "answer limit of a legal consultation"],
        help: [
            "律师团队答复法律咨询的时限，写作“2 个工作日”（按园区工作日历）或“48 小时”；提出（或追问）时定下该咨询的期限，临近亮黄灯、逾期亮红灯",
            "how long the lawyer team has to answer a legal consultation: \"2 working days\" (on the zone \
             calendar) or \"48 hours\"; fixed for the consultation when it is asked (or followed up); yellow near, \
             red past",
        ],
    },
    Field {
        key: "legal.lawyers",
        kind: FieldKind::Text { max_chars: 1000 },
        label: ["律师团队（用户名）", "the lawyer team (usernames)"],
        help: [
            "答复法律咨询的律师：社会治安综合治理局（法律服务牵头部门）的部门账号用户名，以逗号分隔；“全部”表示该局每个部门账号都可答复",
            "the lawyers who answer consultations: usernames of department accounts of the legal office (the lead \
             of the category legal), separated by commas; \"all\" lets every account of the office answer",
        ],
    },
    Field {
        key: "legal.source",
        kind: FieldKind::Text { max_chars: SOURCE_MAX_CHARS },
        label: ["法律咨询时限的依据", "source of the legal consultation limit"],
        help: [
            "该时限从何而来：园区的决定、文号，或说明方案未作规定",
            "where the time limit comes from: the zone's decision, a document number, or that the plan gives none",
        ],
    },
    Field {
        key: "logistics.officers",
        kind: FieldKind::Text { max_chars: crate::logistics::MAX_OFFICERS_TEXT },
        label: ["物流保通保畅专员", "logistics officers (物流保通保畅)"],
        help: [
            "每件物流受阻问题提交时都直接通知的人员：部门经办人或联点领导的用户名，以逗号分隔；“无”表示不指定（仍通知牵头部门）",
            "who is told personally of every logistics obstruction report when it is raised: usernames of department \
             officers or leaders separated by commas; \"无\" for none (the lead department is told all the same)",
        ],
    },
    Field {
        key: "logistics.source",
        kind: FieldKind::Text { max_chars: SOURCE_MAX_CHARS },
        label: ["物流保通保畅专员的依据", "source of the logistics officers"],
        help: [
            "由谁指定、依据什么：园区的决定、文号等",
            "who named them and on what basis: the zone's decision, a document number, …",
        ],
    },
];

/// One setting as shown: label and help in a language, the current value as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldView {
    pub key: &'static str,
    pub kind: FieldKind,
    pub label: String,
    pub help: String,
    pub value: String,
}

impl ZoneSettings {
    /// Reads a settings document (TOML): absent fields take their defaults, unknown keys and
    /// values of the wrong type or out of range are refused. What a *save* must pass besides
    /// ([`ZoneSettings::check`]: a stated source) is not asked here, so that a rule added later
    /// never stops a stored version from loading.
    pub fn parse(text: &str) -> Result<ZoneSettings> {
        toml::from_str(text).map_err(|e| Error::InvalidSettings { reason: e.to_string() })
    }

    /// The document as stored: canonical TOML with a header comment. [`ZoneSettings::parse`]
    /// reads it back to the same settings.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# 园区设置 / zone settings (huiqi settings set, /admin/settings; docs/用户指南.md)\n\
             # 百分数为 0–100 / percentages are 0–100\n\n{body}"
        )
    }

    /// What a save must pass besides the types and ranges [`ZoneSettings::parse`] checks:
    /// texts present and within their length, and thresholds other than the shipped ones
    /// with a source of their own.
    pub fn check(&self) -> Result<()> {
        for f in FIELDS {
            if let FieldKind::Text { max_chars } = f.kind {
                let v = self.value(f.key);
                if v.trim().is_empty() {
                    return Err(Error::InvalidSetting {
                        key: f.key.into(),
                        value: v,
                        issue: SettingIssue::Empty,
                    });
                }
                Error::check_length(f.key, &v, max_chars)?;
            }
        }
        for f in FIELDS {
            if let FieldKind::Workdays { min, max } = f.kind {
                let v = self.value(f.key);
                if !v.parse::<u32>().is_ok_and(|n| (min..=max).contains(&n)) {
                    return Err(Error::InvalidSetting {
                        key: f.key.into(),
                        value: v,
                        issue: SettingIssue::NotWorkdays,
                    });
                }
            }
        }
        if self.grants.bands().is_err() {
            return Err(Error::InvalidSetting {
                key: "grants.approval_bands".into(),
                value: self.grants.approval_bands.clone(),
                issue: SettingIssue::NotBands,
            });
        }
        if self.legal.limit().is_none() {
            return Err(Error::InvalidSetting {
                key: "legal.answer_limit".into(),
                value: self.legal.answer_limit.clone(),
                issue: SettingIssue::NotALimit,
            });
        }
        let (s, shipped) = (&self.supervision, SupervisionSettings::default());
        let values = |x: &SupervisionSettings| {
            [x.response_rate, x.on_time_closure_rate, x.satisfaction_rate, x.resolution_rate]
        };
        if s.source == shipped.source && values(s) != values(&shipped) {
            return Err(Error::InvalidSetting {
                key: "supervision.source".into(),
                value: s.source.clone(),
                issue: SettingIssue::SourceOfDefaults,
            });
        }
        Ok(())
    }

    fn table(&self) -> toml::Table {
        toml::Table::try_from(self).unwrap_or_default()
    }

    /// A setting's current value as text (`90`, `85.5`, the source text); empty for an
    /// unknown key.
    pub fn value(&self, key: &str) -> String {
        let t = self.table();
        let (section, name) = key.split_once('.').unwrap_or(("", key));
        match t.get(section).and_then(|s| s.get(name)) {
            Some(toml::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }

    /// How pages and exports label the time limits and the handling limits: a zone setting
    /// (园区设置), with its stated source, in a language.
    pub fn time_limits_label(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => format!("园区设置（非文件规定）：{}", source_in(&self.handling.source, lang)),
            Lang::En => {
                format!("zone setting (no document fixes it): {}", source_in(&self.handling.source, lang))
            }
        }
    }

    /// These settings with one setting changed to `raw` (as typed on the form or after
    /// `--value KEY=`): checked like a whole document, an error naming the key.
    pub fn with_value(&self, key: &str, raw: &str) -> Result<ZoneSettings> {
        self.with_values([(key, raw)])
    }

    /// These settings with several changed (as one form is submitted), then checked as a
    /// whole: a new threshold and its new source may come together.
    pub fn with_values<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ZoneSettings> {
        let s = values.into_iter().try_fold(self.clone(), |s, (k, v)| s.set(k, v))?;
        s.check()?;
        Ok(s)
    }

    /// One setting changed, its value read by its kind; the whole is checked by the caller.
    fn set(&self, key: &str, raw: &str) -> Result<ZoneSettings> {
        let invalid =
            |issue: SettingIssue| Error::InvalidSetting { key: key.into(), value: raw.into(), issue };
        let field = field(key).ok_or_else(|| invalid(SettingIssue::Unknown))?;
        let value = match field.kind {
            FieldKind::Percent => {
                let p = Percent::parse(raw).map_err(|_| invalid(SettingIssue::NotAPercent))?;
                toml::Value::try_from(p).map_err(Error::internal)?
            }
            FieldKind::Text { .. } => toml::Value::String(raw.trim().replace("\r\n", "\n")),
            FieldKind::Workdays { min, max } => {
                let n: u32 = raw.trim().parse().map_err(|_| invalid(SettingIssue::NotWorkdays))?;
                if !(min..=max).contains(&n) {
                    return Err(invalid(SettingIssue::NotWorkdays));
                }
                toml::Value::Integer(i64::from(n))
            }
        };
        let mut t = self.table();
        let (section, name) = key.split_once('.').unwrap_or(("", key));
        match t.get_mut(section).and_then(toml::Value::as_table_mut) {
            Some(s) => {
                s.insert(name.to_string(), value);
            }
            None => return Err(invalid(SettingIssue::Unknown)),
        }
        let s: ZoneSettings = t
            .try_into()
            .map_err(|e: toml::de::Error| Error::InvalidSettings { reason: e.message().to_string() })?;
        Ok(s)
    }

    /// Every setting as shown in a language.
    pub fn fields(&self, lang: Lang) -> Vec<FieldView> {
        FIELDS
            .iter()
            .map(|f| FieldView {
                key: f.key,
                kind: f.kind,
                label: f.label(lang).to_string(),
                help: f.help(lang).to_string(),
                value: self.value(f.key),
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Use cases

/// The settings in use, with the stored document they come from.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    /// The stored document and its history; `None` while none was saved (the shipped
    /// defaults are in use).
    pub document: Option<DocumentView>,
    pub settings: ZoneSettings,
}

impl SettingsView {
    /// The version a save must name: the stored one, 0 for none.
    pub fn version(&self) -> i64 {
        self.document.as_ref().map_or(0, |d| d.version)
    }
}

/// The zone settings in use and their stored versions (every signed-in role).
#[tracing::instrument(skip(app, who), fields(user = %who.username))]
pub async fn show(app: &App, who: &Principal) -> Result<SettingsView> {
    authz::require(who, authz::Action::Read, authz::Resource::ZoneSettings)?;
    let history = app.store.document_history(DocumentKind::ZoneSettings, ZONE_SETTINGS_NAME).await?;
    Ok(SettingsView { document: DocumentView::of(&history), settings: (*app.live.settings()).clone() })
}

/// New zone settings.
#[derive(Debug, Clone)]
pub struct SetSettings {
    /// The version the admin read (0: none stored); a save over a newer one is
    /// [`Error::Stale`].
    pub expected: Expected,
    pub settings: ZoneSettings,
}

/// Stores new zone settings (admins) as the next version and puts them in use at once (a
/// running server elsewhere follows within [`crate::live::FOLLOW_EVERY`]).
#[tracing::instrument(skip(app, who, req), fields(user = %who.username))]
pub async fn set(app: &App, who: &Principal, req: SetSettings) -> Result<Saved> {
    authz::require(who, authz::Action::Write, authz::Resource::ZoneSettings)?;
    req.settings.check()?;
    crate::logistics::check_officers(app, &req.settings.logistics).await?;
    let _one_at_a_time = crate::policy_docs::SAVING.lock().await;
    let expected = req.expected.resolve(app, DocumentKind::ZoneSettings, ZONE_SETTINGS_NAME).await?;
    let written = app
        .store
        .put_document(
            DocumentKind::ZoneSettings,
            ZONE_SETTINGS_NAME,
            expected,
            req.settings.to_toml(),
            &who.stamp(app.now()),
        )
        .await?;
    app.live.set_settings(req.settings);
    let saved = Saved { version: written.map(|d| d.version) };
    tracing::info!(version = saved.version, "zone settings saved");
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_90_90_90_80_and_say_the_plan_gives_none() {
        let s = ZoneSettings::default().supervision;
        let v: Vec<String> =
            [s.response_rate, s.on_time_closure_rate, s.satisfaction_rate, s.resolution_rate]
                .iter()
                .map(ToString::to_string)
                .collect();
        assert_eq!(v, ["90", "90", "90", "80"]);
        assert!(s.source.contains("未规定数值标准"));
        assert!(source_in(&s.source, Lang::En).contains("gives no threshold"));
        assert_eq!(source_in("区督查办 2026 年 3 号", Lang::En), "区督查办 2026 年 3 号");
    }

    #[test]
    fn the_stored_text_reads_back_to_the_same_settings() {
        let d = ZoneSettings::default();
        let text = d.to_toml();
        assert!(text.contains("[supervision]\nresponse_rate = 90\n"), "{text}");
        assert_eq!(ZoneSettings::parse(&text).unwrap(), d);
        let changed = d
            .with_values([
                ("supervision.resolution_rate", "85.5"),
                ("supervision.source", "区督查办 2026 年 3 号"),
            ])
            .unwrap();
        assert!(changed.to_toml().contains("resolution_rate = 85.5\n"), "{}", changed.to_toml());
        assert_eq!(ZoneSettings::parse(&changed.to_toml()).unwrap(), changed);
    }

    #[test]
    fn a_document_without_later_fields_loads_with_their_defaults() {
        // As stored before any field existed, and with only one threshold.
        assert_eq!(ZoneSettings::parse("").unwrap(), ZoneSettings::default());
        let s =
            ZoneSettings::parse("[supervision]\nresolution_rate = 70\nsource = \"区督查办通知\"\n").unwrap();
        assert_eq!(s.supervision.resolution_rate, Percent::whole(70));
        assert_eq!(s.supervision.response_rate, Percent::whole(90));
        // A rule a save must pass, added later (a stated source for new values), does not stop
        // a version stored before it from loading.
        let old = ZoneSettings::parse("[supervision]\nresolution_rate = 70\n").unwrap();
        assert_eq!(old.supervision.resolution_rate, Percent::whole(70));
        assert!(old.check().is_err(), "but it is not saved again as it is");
    }

    #[test]
    fn bad_documents_and_values_are_refused_naming_what() {
        for (text, says) in [
            ("[supervision]\nresponse_rat = 90\n", "response_rat"),
            ("[supervison]\n", "supervison"),
            ("[supervision]\nresponse_rate = 120\n", "0 到 100"),
            ("[supervision]\nresponse_rate = 90.125\n", "两位小数"),
            ("[supervision\n", "TOML"),
        ] {
            let e = ZoneSettings::parse(text).unwrap_err();
            let shown = i18n::Localized::bilingual(&e);
            assert!(shown.contains(says), "{text}: {shown}");
        }
        let empty = ZoneSettings::parse("[supervision]\nsource = \" \"\n").unwrap();
        let e = i18n::Localized::bilingual(&empty.check().unwrap_err());
        assert!(e.contains("通报标准的依据") && e.contains("must not be empty"), "{e}");
        let d = ZoneSettings::default();
        for (key, raw) in [("supervision.response_rate", "-1"), ("supervision.response_rate", "abc")] {
            let e = d.with_value(key, raw).unwrap_err();
            assert!(matches!(&e, Error::InvalidSetting { key: k, .. } if k == key), "{e:?}");
            assert_eq!(e.kind(), crate::ErrorKind::BadRequest);
        }
        let e = d.with_value("supervision.nope", "1").unwrap_err();
        assert!(i18n::Localized::render(&e, Lang::En).contains("supervision.resolution_rate"), "{e:?}");
        let long = "源".repeat(SOURCE_MAX_CHARS + 1);
        assert!(matches!(d.with_value("supervision.source", &long), Err(Error::TooLong { .. })));
        let ours = d.with_value("supervision.source", "区督查办 2026 年 3 号").unwrap();
        let p = ours.with_value("supervision.response_rate", " 85.50% ").unwrap().supervision.response_rate;
        assert_eq!(p.to_string(), "85.5");
        // New values under the shipped source, which describes 90/90/90/80: say where they
        // come from.
        let e = d.with_value("supervision.response_rate", "85").unwrap_err();
        assert!(matches!(&e, Error::InvalidSetting { issue: SettingIssue::SourceOfDefaults, .. }), "{e:?}");
        assert!(
            d.with_value("supervision.response_rate", "90").is_ok(),
            "the same values keep the shipped source"
        );
    }

    #[test]
    fn every_field_is_listed_once_with_a_label_and_help_in_both_languages() {
        // The leaves of the default document are exactly FIELDS.
        let mut leaves = Vec::new();
        for (section, v) in ZoneSettings::default().table() {
            for name in v.as_table().unwrap().keys() {
                leaves.push(format!("{section}.{name}"));
            }
        }
        let mut keys: Vec<String> = FIELDS.iter().map(|f| f.key.to_string()).collect();
        leaves.sort();
        keys.sort();
        assert_eq!(leaves, keys);
        for f in FIELDS {
            assert!(f.label.iter().chain(&f.help).all(|t| !t.trim().is_empty()), "{}", f.key);
        }
        let zh = ZoneSettings::default().fields(Lang::Zh);
        assert_eq!((zh[0].label.as_str(), zh[0].value.as_str()), ("响应率标准", "90"));
    }
}
