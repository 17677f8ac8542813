//! Who acts on a problem: a user's [`Role`] and the [`Actor`] the ownership rules read.

use enterprise::UnifiedCreditCode;
use serde::{Deserialize, Serialize};

/// Who acts: a user's role (the one enum for sign-in, authorisation and the state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// 企业用户
    Enterprise,
    /// 驻企干部
    Cadre,
    /// 部门经办
    Department,
    /// 联点领导
    Leader,
    /// 督查
    Supervisor,
    /// 政策专员
    Policy,
    /// 财务经办: issues payment files, imports payment results, reconciles (issue 12). Reads
    /// grant runs and every enterprise (the payees); handles no problems.
    Finance,
    /// 管理员
    Admin,
    /// 金融机构: a bank's or guarantee company's user (issue 15, 三.5/三.8), bound to its
    /// institution (`store::financing`): publishes its products, sees the financing demands
    /// matched to them and responds. Handles no problems.
    FinancialInstitution,
    /// Scheduled jobs (closing unrated answers); no one logs in as it.
    System,
}

impl Role {
    /// The roles a person signs in with: every role but [`Role::System`].
    pub const USERS: [Role; 9] = [
        Role::Enterprise,
        Role::Cadre,
        Role::Department,
        Role::Leader,
        Role::Supervisor,
        Role::Policy,
        Role::Finance,
        Role::Admin,
        Role::FinancialInstitution,
    ];

    /// A user role from its code (`cadre`) or Chinese label (`驻企干部`); never `system`.
    pub fn parse_user_role(s: &str) -> Option<Role> {
        let t = s.trim();
        Role::USERS.into_iter().find(|r| r.as_str() == t || r.label_zh() == t)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Enterprise => "企业用户",
            Role::Cadre => "驻企干部",
            Role::Department => "部门经办",
            Role::Leader => "联点领导",
            Role::Supervisor => "督查",
            Role::Policy => "政策专员",
            Role::Finance => "财务经办",
            Role::Admin => "管理员",
            Role::FinancialInstitution => "金融机构",
            Role::System => "系统",
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user acting on a problem, with what the ownership rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub username: String,
    pub role: Role,
    /// Department code, for department staff.
    #[serde(default)]
    pub department: Option<String>,
    /// The enterprise, for enterprise users.
    #[serde(default)]
    pub enterprise: Option<UnifiedCreditCode>,
}
