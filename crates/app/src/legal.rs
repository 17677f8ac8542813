//! Legal help (应急公共法律服务, the plan's 三.14): the zone's time limit of a consultation's
//! answer (zone setting section `legal`).

use serde::{Deserialize, Serialize};

/// The source stated with the shipped time limit.
pub const DEFAULT_SOURCE: &str = "方案（三.14 加强应急公共法律服务）未规定法律咨询的答复时限：自收到之日起 3 个工作日内答复\
     为本系统默认值，待园区确定后由管理员修改";

/// The zone's time limit of a legal consultation's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LegalSettings {
    pub answer_workdays: u32,
    /// Where this comes from.
    pub source: String,
}

impl Default for LegalSettings {
    fn default() -> Self {
        LegalSettings { answer_workdays: 3, source: DEFAULT_SOURCE.to_string() }
    }
}
