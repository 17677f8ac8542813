//! Departments (部门) and the routing table (路由表): which departments lead and cooperate on
//! each category of problem. The seed comes from the plan (`data/departments.toml`); after
//! the first start the database copy is authoritative and admins edit it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Stable English code, e.g. `tax_bureau`.
    pub code: String,
    /// Chinese name, e.g. 税务局.
    pub name: String,
    pub en: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A problem category with its routing: the first department leads (牵头), the rest
/// cooperate (配合).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub en: String,
    /// The plan's line.
    pub plan: String,
    /// Department codes, lead first.
    pub departments: Vec<String>,
}

impl Category {
    pub fn lead(&self) -> Option<&str> {
        self.departments.first().map(String::as_str)
    }
    pub fn cooperating(&self) -> &[String] {
        self.departments.get(1..).unwrap_or(&[])
    }
}

/// Departments and categories as seeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Routing {
    #[serde(rename = "department")]
    pub departments: Vec<Department>,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

impl Routing {
    /// Parses a routing file and checks that every category names known departments.
    pub fn parse(text: &str) -> Result<Routing, String> {
        let r: Routing = toml::from_str(text).map_err(|e| e.to_string())?;
        for c in &r.categories {
            if c.departments.is_empty() {
                return Err(format!("category {} has no department", c.code));
            }
            for d in &c.departments {
                if !r.departments.iter().any(|x| &x.code == d) {
                    return Err(format!("category {} names unknown department {d}", c.code));
                }
            }
        }
        Ok(r)
    }

    /// The seed embedded in this crate.
    pub fn seed() -> &'static Routing {
        static R: std::sync::OnceLock<Routing> = std::sync::OnceLock::new();
        R.get_or_init(|| {
            // Embedded data, checked by this crate's tests.
            #[allow(clippy::expect_used)]
            Routing::parse(include_str!("../data/departments.toml")).expect("embedded routing parses")
        })
    }

    /// A category by its code or Chinese name.
    pub fn category(&self, code_or_name: &str) -> Option<&Category> {
        let k = code_or_name.trim();
        self.categories.iter().find(|c| c.code == k || c.name == k)
    }

    /// A department by its code or Chinese name.
    pub fn department(&self, code_or_name: &str) -> Option<&Department> {
        let k = code_or_name.trim();
        self.departments.iter().find(|d| d.code == k || d.name == k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_routing() {
        let r = Routing::seed();
        assert_eq!(r.categories.len(), 16);
        let name = |code: &str| r.department(code).unwrap().name.clone();
        let transfer = r.category("转供电加价").unwrap();
        assert_eq!(name(transfer.lead().unwrap()), "市场监督管理局");
        let logistics = r.category("物流").unwrap();
        assert_eq!(name(logistics.lead().unwrap()), "城管环保局");
        let coop: Vec<String> = logistics.cooperating().iter().map(|c| name(c)).collect();
        assert_eq!(coop, ["经济发展局", "社会事业局", "外经外贸和商务中心", "交警大队"]);
        assert_eq!(name(r.category("tax").unwrap().lead().unwrap()), "税务局");
        assert_eq!(name(r.category("金融支持").unwrap().lead().unwrap()), "科技金融服务中心");
        assert_eq!(r.category("policy_questions").unwrap().departments.len(), 8);
    }

    #[test]
    fn unknown_departments_are_rejected() {
        let bad = "[[department]]\ncode='a'\nname='甲'\nen='a'\n[[category]]\ncode='x'\nname='x'\nen='x'\nplan='-'\ndepartments=['b']\n";
        assert!(Routing::parse(bad).unwrap_err().contains("unknown department b"));
    }
}
