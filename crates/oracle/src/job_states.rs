//! Invariants of the job state machine: final states are final, bytes
//! move only with an eligible logon and a network, TRANSFERRED means
//! complete, errors are recorded, and every state change is logged.

use std::collections::BTreeMap;

use bits::job::{ErrorContext, JobState, BG_SIZE_UNKNOWN};
use bits::world::BitsEvent;
use bits::JobId;

use crate::common::*;
use crate::Transition;

pub(crate) fn final_states(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, before) in &t.before.bits.jobs {
        if !before.state.is_final() {
            continue;
        }
        match t.after.job(*id) {
            Some(after) if after.state == before.state => {}
            Some(after) => faults.push(format!(
                "job {id} left {} for {}",
                before.state, after.state
            )),
            None => faults.push(format!("job {id} ({}) disappeared", before.state)),
        }
    }
    for e in &t.outcome.events {
        if let BitsEvent::StateChanged { job, from, to, .. } = e {
            if from.is_final() {
                faults.push(format!("job {job} changed from {from} to {to}"));
            }
        }
    }
    faults.done()
}

pub(crate) fn no_progress_without_logon(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, after) in &t.after.bits.jobs {
        let Some(before) = t.before.job(*id) else {
            continue;
        };
        let (from, to) = (
            before.progress().bytes_transferred,
            after.progress().bytes_transferred,
        );
        if to <= from {
            continue;
        }
        let owner = &before.owner;
        let logged_on = owner.always_logged_on
            || (has_eligible_logon(t.before, &owner.sid)
                && has_eligible_logon(t.after, &owner.sid));
        if !logged_on {
            faults.push(format!(
                "job {id} moved from {from} to {to} bytes while its owner {} ({}) had no Winlogon logon on {}",
                owner.account, owner.sid, t.after.bits.machine
            ));
        }
        if !t.before.bits.network_up || !t.after.bits.network_up {
            faults.push(format!(
                "job {id} moved from {from} to {to} bytes while the network was down"
            ));
        }
    }
    faults.done()
}

pub(crate) fn transferred_complete(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, after) in &t.after.bits.jobs {
        if after.state != JobState::Transferred {
            continue;
        }
        let before = t.before.job(*id);
        if before.is_some_and(|b| b.state == JobState::Transferred) {
            let Some(b) = before else { continue };
            for (index, (old, new)) in b.files.iter().zip(&after.files).enumerate() {
                if old.bytes_transferred != new.bytes_transferred || old.completed != new.completed
                {
                    faults.push(format!(
                        "file {index} of job {id} changed from {} to {} bytes while the job stayed TRANSFERRED",
                        old.bytes_transferred, new.bytes_transferred
                    ));
                }
            }
            continue;
        }
        for (index, f) in after.files.iter().enumerate() {
            if !f.completed
                || f.bytes_total == BG_SIZE_UNKNOWN
                || f.bytes_transferred != f.bytes_total
            {
                faults.push(format!(
                    "job {id} entered TRANSFERRED with file {index} ({}) at {} of {} bytes, completed={}",
                    f.remote,
                    f.bytes_transferred,
                    if f.bytes_total == BG_SIZE_UNKNOWN {
                        "unknown".to_string()
                    } else {
                        f.bytes_total.to_string()
                    },
                    f.completed
                ));
            }
        }
    }
    faults.done()
}

pub(crate) fn error_recorded(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    for (id, job) in &t.after.bits.jobs {
        if !matches!(job.state, JobState::Error | JobState::TransientError) {
            continue;
        }
        let Some(error) = &job.error else {
            faults.push(format!(
                "job {id} is in {} without an error object",
                job.state
            ));
            continue;
        };
        if error.code.succeeded() || error.context == ErrorContext::None {
            faults.push(format!(
                "job {id} is in {} with error {} in context {}",
                job.state,
                error.code,
                error.context.name()
            ));
        }
        let last = t.outcome.events.iter().rev().find_map(|e| match e {
            BitsEvent::StateChanged { job, to, code, .. } if job == id => Some((*to, *code)),
            _ => None,
        });
        if let Some((to, code)) = last {
            if to == job.state && code != Some(error.code) {
                faults.push(format!(
                    "job {id} went to {to} with {} but its error object says {}",
                    code.map_or_else(|| "no code".to_string(), |c| c.to_string()),
                    error.code
                ));
            }
        }
    }
    faults.done()
}

pub(crate) fn state_logged(t: &Transition<'_>) -> Result<(), String> {
    let mut faults = Faults::default();
    let mut chains: BTreeMap<JobId, Vec<(JobState, JobState)>> = BTreeMap::new();
    for e in &t.outcome.events {
        if let BitsEvent::StateChanged { job, from, to, .. } = e {
            chains.entry(*job).or_default().push((*from, *to));
        }
    }
    for (id, after) in &t.after.bits.jobs {
        let start = match t.before.job(*id) {
            Some(b) => b.state,
            None => {
                let created = t
                    .outcome
                    .events
                    .iter()
                    .any(|e| matches!(e, BitsEvent::JobCreated { job, .. } if job == id));
                if !created {
                    faults.push(format!("job {id} appeared without a JobCreated event"));
                }
                JobState::Suspended
            }
        };
        let mut current = start;
        for (from, to) in chains.remove(id).unwrap_or_default() {
            if from != current || from == to {
                faults.push(format!(
                    "job {id} logged a change from {from} to {to} while it was {current}"
                ));
            }
            current = to;
        }
        if current != after.state {
            faults.push(format!(
                "job {id} is {} but its logged changes end at {current} (it was {start})",
                after.state
            ));
        }
    }
    for id in chains.keys() {
        faults.push(format!(
            "state changes were logged for job {id}, which does not exist"
        ));
    }
    faults.done()
}
