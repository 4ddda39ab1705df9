//! A scenario's own properties, judged over a run: after every step each
//! property's observation is checked like an expectation, and the
//! property is held, met, violated or never met.
//!
//! This module owns the temporal bookkeeping (always, never, sometimes,
//! eventually within a bound); what an observation sees is
//! [`crate::observe`]'s.

use bits::{BitsEvent, JobId};
use scenario::format::{ExpectAccess, Observation, Property, Temporal, Within};
use serde::Serialize;
use winsec::Sid;

use crate::observe::{self, View};
use crate::run::Check;
use crate::trace::TraceEvent;
use crate::vocab;

/// How a property fared in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// An `always` or `never` property held after every step (or a
    /// property not checked under this profile).
    Held,
    /// A `sometimes` or `eventually` property held after this step
    /// (1-based).
    Met {
        /// The step.
        step: usize,
    },
    /// An `always`, `never` or `eventually` property failed at this step.
    Violated {
        /// The step (1-based; the last step for an `eventually` whose run
        /// ended first).
        step: usize,
        /// What was seen.
        message: String,
    },
    /// A `sometimes` property never held.
    Unmet,
}

/// A property's outcome in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertyOutcome {
    /// The property's id.
    pub id: String,
    /// How it had to hold.
    pub temporal: Temporal,
    /// How it fared.
    pub verdict: Verdict,
}

impl PropertyOutcome {
    /// Whether the property held as it had to.
    pub fn passed(&self) -> bool {
        matches!(self.verdict, Verdict::Held | Verdict::Met { .. })
    }
}

/// What an observation saw after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Its names are not all bound yet, or what they name is gone.
    NotApplicable,
    /// It holds; what was seen.
    Holds(String),
    /// It does not hold; what differed.
    Differs(String),
}

/// Checks an observation against the world after a step. `events` are
/// the step's own events (what an access observation looks at).
pub fn see(view: &View<'_>, observation: &Observation, events: &[TraceEvent]) -> Seen {
    let checks = match observation {
        Observation::Job(e) => observe::job(view, e),
        Observation::Thread(e) => observe::thread(view, e),
        Observation::Token(e) => observe::token(view, e),
        Observation::Access(e) => return access(view, e, events),
    };
    match checks {
        Err(_) => Seen::NotApplicable,
        Ok(checks) => verdict_of(&checks),
    }
}

fn verdict_of(checks: &[Check]) -> Seen {
    let differing: Vec<String> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{} is {} (expected {})", c.what, c.actual, c.expected))
        .collect();
    if differing.is_empty() {
        Seen::Holds(
            checks
                .iter()
                .map(|c| format!("{} is {}", c.what, c.actual))
                .collect::<Vec<_>>()
                .join("; "),
        )
    } else {
        Seen::Differs(differing.join("; "))
    }
}

/// An access observation over the step's own accesses.
fn access(view: &View<'_>, e: &ExpectAccess, events: &[TraceEvent]) -> Seen {
    let Ok(job) = view.job_id(&e.job) else {
        return Seen::NotApplicable;
    };
    let user: Option<Sid> = match &e.user {
        Some(u) => match view.sid(u) {
            Ok(s) => Some(s),
            Err(_) => return Seen::NotApplicable,
        },
        None => None,
    };
    let resource = vocab::resource(e.resource.get());
    let found = events.iter().any(|ev| {
        matches!(ev, TraceEvent::Bits(BitsEvent::ResourceAccess {
            job: j, resource: r, acting, user: u, granted, ..
        }) if *j == job
            && *r == resource
            && e.acting.as_ref().absent_or(|a| vocab::acting(a.get()) == *acting)
            && user.as_ref().absent_or(|s| u.as_ref() == Some(s))
            && e.granted.absent_or(|g| g == *granted))
    });
    if found == e.happened {
        Seen::Holds(format!(
            "{} access to the {} of {}",
            if found { "an" } else { "no" },
            e.resource,
            job_label(job)
        ))
    } else if e.happened {
        Seen::Differs(format!(
            "no such access to the {} of {}",
            e.resource,
            job_label(job)
        ))
    } else {
        Seen::Differs(format!(
            "such an access to the {} of {} happened",
            e.resource,
            job_label(job)
        ))
    }
}

fn job_label(job: JobId) -> String {
    format!("job#{}", job.0)
}

/// `Option` checks written the same way on old toolchains.
trait AbsentOr<T> {
    fn absent_or(self, f: impl FnOnce(T) -> bool) -> bool;
}

impl<T> AbsentOr<T> for Option<T> {
    fn absent_or(self, f: impl FnOnce(T) -> bool) -> bool {
        match self {
            None => true,
            Some(v) => f(v),
        }
    }
}

/// Whether a property's observation is checked under `profile`: its
/// `only` list is empty or names the profile.
pub fn applies_under(observation: &Observation, profile: bits::Profile) -> bool {
    let only = observation.only();
    only.is_empty() || only.iter().any(|o| vocab::profile(o.get()) == profile)
}

/// The judgement of every property over a run, fed step by step.
#[derive(Debug, Clone)]
pub struct Judge {
    states: Vec<State>,
    start_time: u64,
}

#[derive(Debug, Clone)]
struct State {
    id: String,
    temporal: Temporal,
    verdict: Option<Verdict>,
    skip: bool,
}

impl Judge {
    /// Starts judging `properties` under `profile`, the run's clock
    /// reading `start_time`.
    pub fn new(properties: &[Property], profile: bits::Profile, start_time: u64) -> Judge {
        let states = properties
            .iter()
            .filter_map(|p| {
                let (temporal, observation) = p.body()?;
                let skip = !applies_under(observation, profile);
                Some(State {
                    id: p.id.clone(),
                    temporal,
                    verdict: None,
                    skip,
                })
            })
            .collect();
        Judge { states, start_time }
    }

    /// Judges every property after step `index` (0-based); returns the
    /// properties this step violated, with what was seen.
    pub fn after_step(
        &mut self,
        properties: &[Property],
        index: usize,
        now: u64,
        see: &mut dyn FnMut(&Observation) -> Seen,
    ) -> Vec<(String, String)> {
        let mut broken = Vec::new();
        let live = properties
            .iter()
            .filter_map(|p| p.body().map(|body| (p, body)));
        for ((property, (temporal, observation)), state) in live.zip(self.states.iter_mut()) {
            if state.skip || state.verdict.is_some() {
                continue;
            }
            let seen = see(observation);
            let step = index + 1;
            match (temporal, seen) {
                (Temporal::Always, Seen::Differs(message)) => {
                    state.verdict = Some(Verdict::Violated {
                        step,
                        message: message.clone(),
                    });
                    broken.push((state.id.clone(), message));
                }
                (Temporal::Never, Seen::Holds(what)) => {
                    let message = what;
                    state.verdict = Some(Verdict::Violated {
                        step,
                        message: message.clone(),
                    });
                    broken.push((state.id.clone(), message));
                }
                (Temporal::Sometimes | Temporal::Eventually, Seen::Holds(_)) => {
                    state.verdict = Some(Verdict::Met { step });
                }
                (Temporal::Eventually, _) => {
                    let late = match property.within {
                        Some(Within::Steps(n)) => (step as u64) >= n,
                        Some(Within::Seconds(s)) => now.saturating_sub(self.start_time) >= s,
                        None => false,
                    };
                    if late {
                        let message = format!(
                            "the observation did not hold within {}",
                            property.within.map_or_else(String::new, |w| w.to_string())
                        );
                        state.verdict = Some(Verdict::Violated {
                            step,
                            message: message.clone(),
                        });
                        broken.push((state.id.clone(), message));
                    }
                }
                _ => {}
            }
        }
        broken
    }

    /// The outcomes once the run is over (`steps` steps were carried out).
    pub fn finish(self, steps: usize) -> Vec<PropertyOutcome> {
        self.states
            .into_iter()
            .map(|s| {
                let verdict = match (s.verdict, s.skip, s.temporal) {
                    (Some(v), _, _) => v,
                    (None, true, _) | (None, false, Temporal::Always | Temporal::Never) => {
                        Verdict::Held
                    }
                    (None, false, Temporal::Sometimes) => Verdict::Unmet,
                    (None, false, Temporal::Eventually) => Verdict::Violated {
                        step: steps,
                        message: "the observation never held".to_string(),
                    },
                };
                PropertyOutcome {
                    id: s.id,
                    temporal: s.temporal,
                    verdict,
                }
            })
            .collect()
    }
}
