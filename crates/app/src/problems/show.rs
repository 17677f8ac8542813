//! One problem as a reader sees it: its state and events, how much of it they may see, the
//! actions they may take now, its deadlines and light, and its files when they may read them.

use chrono::{DateTime, FixedOffset};
use handling::{ActionKind, Deadlines, Event, ProblemState, Visibility, Warning};
use store::attachments::Attachment;
use store::problems::ProblemRecord;

use super::load_visible;
use crate::authz::{self, Action, Resource};
use crate::{App, Principal, Result};

/// Who reads a problem: a signed-in user, or the operator of the database at the command line
/// (`huiqi problem show`), who could read the file itself and so sees everything.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    User(&'a Principal),
    Operator,
}

/// A problem as its reader may see it.
#[derive(Debug, Clone)]
pub struct ProblemView {
    pub record: ProblemRecord,
    /// `Full`, or `Summary` for a confidential problem seen from outside its enterprise, its
    /// departments and supervisors (never `Hidden`: that is a not-found).
    pub visibility: Visibility,
    /// What the reader may do now ([`handling::applicable_actions`]); for the operator, every
    /// action the state allows.
    pub actions: Vec<ActionKind>,
    /// The light at [`ProblemView::at`].
    pub warning: Warning,
    pub deadlines: Deadlines,
    /// Its files, when the reader may read them.
    pub attachments: Option<Vec<Attachment>>,
    /// Whether the reader may add a file now.
    pub may_attach: bool,
    /// The moment the light and the actions are judged at.
    pub at: DateTime<FixedOffset>,
}

impl ProblemView {
    /// Builds the view of a record for a reader at `at`.
    pub(crate) async fn build(
        app: &App,
        reader: Reader<'_>,
        record: ProblemRecord,
        visibility: Visibility,
        links: &enterprise::ThreeLinks,
        at: DateTime<FixedOffset>,
    ) -> Result<ProblemView> {
        let s = &record.state;
        let (actions, readable, may_attach) = match reader {
            Reader::Operator => (s.allowed_actions(None), true, false),
            Reader::User(p) => {
                let resource = Resource::Attachments { state: s, links };
                (
                    handling::applicable_actions(s, &p.handling_actor(), at),
                    authz::authorize(p, Action::Read, resource).is_allowed(),
                    authz::authorize(p, Action::Write, resource).is_allowed(),
                )
            }
        };
        let attachments = match readable {
            true => Some(app.store.attachments(record.id).await?),
            false => None,
        };
        Ok(ProblemView {
            visibility,
            actions,
            warning: handling::warning(s, at),
            deadlines: handling::deadlines(s),
            attachments,
            may_attach,
            at,
            record,
        })
    }

    pub fn id(&self) -> i64 {
        self.record.id
    }

    pub fn state(&self) -> &ProblemState {
        &self.record.state
    }

    /// The version to send back with an action: the number of its last event.
    pub fn version(&self) -> u32 {
        self.record.state.seq
    }

    /// Whether the reader sees the details (title, description, notes, the actions' data).
    pub fn full(&self) -> bool {
        self.visibility == Visibility::Full
    }

    /// The title, unless the reader sees only the summary.
    pub fn title(&self) -> Option<&str> {
        self.full().then_some(self.record.state.problem.title.as_str())
    }

    /// The description, unless the reader sees only the summary.
    pub fn description(&self) -> Option<&str> {
        self.full().then_some(self.record.state.problem.description.as_str())
    }

    /// An event's note, unless the reader sees only the summary.
    pub fn note<'a>(&self, e: &'a Event) -> Option<&'a str> {
        if self.full() { e.note.as_deref() } else { None }
    }

    /// An event's structured data as shown (routing, outcome, rating…): none for the summary,
    /// and never the submission's (the problem itself is shown apart).
    pub fn payload(&self, e: &Event) -> Option<serde_json::Value> {
        (self.full() && e.kind() != ActionKind::Submit)
            .then(|| serde_json::from_str(&e.payload_json()).unwrap_or_default())
    }
}

/// Shows one problem to a reader, judged at `at` (default now): a user sees it only within
/// their scope ([`crate::authz::problem_visibility`]; otherwise [`crate::Error::ProblemNotFound`]).
#[tracing::instrument(skip(app, reader), fields(problem.id = id))]
pub async fn show(
    app: &App,
    reader: Reader<'_>,
    id: i64,
    at: Option<DateTime<FixedOffset>>,
) -> Result<ProblemView> {
    let at = at.unwrap_or_else(|| app.now());
    match reader {
        Reader::User(p) => {
            let (rec, vis, links) = load_visible(app, p, id).await?;
            ProblemView::build(app, reader, rec, vis, &links, at).await
        }
        Reader::Operator => {
            let rec = app.store.get_problem(id).await?;
            ProblemView::build(app, reader, rec, Visibility::Full, &Default::default(), at).await
        }
    }
}
