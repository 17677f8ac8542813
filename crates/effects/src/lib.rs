//! Effect tracking (效果跟踪): did the help work? The plan's 四.4 asks the zone to follow the
//! effect of its help measures; this crate computes, from data the front ends load, three
//! things a leaders' meeting reads:
//!
//! - [`reach`]: what each line of help (the plan's sixteen, [`Line`]), each policy item and
//!   each department reached and cost in a period, per month, split by size class and
//!   industry, with "eligible but not reached" per item;
//! - [`outcome`]: for enterprises helped, the change of an annual fact (revenue, employees)
//!   from before to after the help, beside comparable enterprises not helped (matched on
//!   cohort year, size class, industry section, age band and pre-help trend), with its
//!   sample sizes, a simultaneous 95 % interval and "too few to tell" below
//!   [`outcome::MIN_TREATED`]: the method is stated in `docs/EFFECTS.md` and on
//!   [`outcome::estimate`];
//! - [`recurrence`]: problems that come back (reopened, or raised again by the same
//!   enterprise in the same category) per category and department, and the governance items
//!   closed.
//!
//! Pure: no I/O, no clock (dates are passed in), no logging. Money is exact
//! ([`rust_decimal::Decimal`]); statistics are `f64` (log values, means, variances), which is
//! ample for estimates shown to one decimal of a percent.
//!
//! What it leaves out: reading the store (the application's `effects` use case does that),
//! the workbook and the pages, and any claim of cause: the words it produces say "higher
//! than comparable enterprises", never "because of".

pub mod lines;
pub mod outcome;
pub mod reach;
pub mod recurrence;
pub mod stats;

pub use lines::{HelpKind, Line};
pub use outcome::{Estimate, OutcomePanel, Verdict};
pub use reach::{HelpEvent, ReachReport, Segment};
pub use recurrence::{ProblemFacts, RecurrenceReport};
