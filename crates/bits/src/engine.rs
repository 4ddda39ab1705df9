//! The transfer engine and the service's reactions to the host: the
//! logical clock, owner logoff and the end of terminal-services sessions,
//! network loss, every resource a transfer reaches (local files, the
//! remote server or share, the proxy, the client certificate), each opened
//! through `simos` with exactly the identity the helper-token flags select,
//! and the content a transfer carries.
//!
//! Time passes only through [`World::advance`], which means one step of
//! the service per simulated second; it jumps over the quiet seconds to
//! the next event ([`World::next_deadline`]: a state change, a file
//! finishing, a time slice ending, a retry, a timeout), moving the bytes of
//! running transfers arithmetically, so its cost follows the events and
//! not the seconds.

use simos::network::{Failure, NetworkOp, RemoteOutcome, ServerKind};
use simos::objects::{parent_path, ObjectKind, ObjectOp};
use simos::shared::Shared;
use simos::{BuiltinIdentity, Content, Event as HostEvent, LogonId, LogonType, ThreadId, TokenId};
use winsec::{AccessMask, Sid, Win32Error};

use crate::hresult::HResult;
use crate::job::{
    priority, token_flags, AuthSchemeId, AuthTarget, ErrorContext, Job, JobError, JobFile, JobId,
    JobState, JobType,
};
use crate::rules::ids;
use crate::world::{Acting, BitsEvent, Caller, Resource, World};

/// How a transfer step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    code: HResult,
    context: ErrorContext,
    fatal: bool,
}

impl Fault {
    fn fatal(code: HResult, context: ErrorContext) -> Fault {
        Fault {
            code,
            context,
            fatal: true,
        }
    }

    fn transient(code: HResult, context: ErrorContext) -> Fault {
        Fault {
            code,
            context,
            fatal: false,
        }
    }
}

/// Where a remote name points.
enum Remote {
    /// A server of the host (HTTP or SMB), by name.
    Server(String),
    /// A local path (a bare path or a `file:` URL).
    Local(String),
}

/// Splits a remote name into what it reaches. The name itself is kept
/// verbatim on the job; this is only how the engine finds the resource.
fn parse_remote(remote: &str) -> Remote {
    let lower = remote.to_ascii_lowercase();
    for scheme in ["http://", "https://"] {
        if let Some(rest) = lower.strip_prefix(scheme) {
            let host = rest.split(['/', ':', '?']).next().unwrap_or("");
            return Remote::Server(host.to_string());
        }
    }
    if let Some(rest) = lower.strip_prefix("file:") {
        let path = rest.trim_start_matches('/').replace('/', "\\");
        return Remote::Local(path);
    }
    if let Some(rest) = remote.strip_prefix("\\\\") {
        let host = rest.split('\\').next().unwrap_or("");
        return Remote::Server(host.to_ascii_lowercase());
    }
    Remote::Local(remote.to_string())
}

fn directory_of(path: &str) -> String {
    parent_path(path).map_or_else(|| path.to_string(), str::to_string)
}

/// The most moments at which the service acts (see
/// [`World::next_deadline`]) one `Op::Advance` may step through. Time
/// between them passes arithmetically, so this bounds an advance's work,
/// not its length: an advance that needs more stops at the budget, and
/// its outcome says so ([`crate::Outcome::budget_spent`]).
pub const MAX_ADVANCE_EVENTS: u64 = 5_000;

impl World {
    /// A host operation, and the service's reaction to what it caused.
    pub(crate) fn apply_host(
        &mut self,
        op: &simos::Op,
        rules: &mut Vec<&'static str>,
    ) -> simos::Outcome {
        if let simos::Op::Tick { ticks } = op {
            let before = self.host.log.len();
            self.advance(*ticks, rules);
            return simos::Outcome {
                result: simos::ApiResult::Ok {
                    value: simos::Value::None,
                },
                events: self.host.log[before..].to_vec(),
                rules: Vec::new(),
                checks: Vec::new(),
                conditions: Vec::new(),
            };
        }
        let active_before: Vec<(String, u32)> = self
            .host
            .terminal_sessions
            .iter()
            .filter(|(_, ts)| ts.active)
            .map(|(key, _)| key.clone())
            .collect();
        let out = self.host.apply(op);
        rules.extend(out.rules.iter().copied());
        // The terminal sessions this operation ended: the one named by
        // EndTerminalSession, and any a logoff ended (its last Winlogon
        // user left, `SES-TS-OWNER-LOGOFF`).
        let mut ended: Vec<(String, u32)> = active_before
            .into_iter()
            .filter(|key| {
                self.host
                    .terminal_sessions
                    .get(key)
                    .is_some_and(|ts| !ts.active)
            })
            .collect();
        if let simos::Op::EndTerminalSession { machine, session } = op {
            let key = (machine.to_ascii_uppercase(), *session);
            if !ended.contains(&key) {
                ended.push(key);
            }
        }
        for event in &out.events {
            match event {
                HostEvent::Logoff { logon, .. } => self.on_logoff(*logon, rules),
                HostEvent::TerminalSessionEnded { session } => {
                    for (machine, s) in ended.iter().filter(|(_, s)| s == session) {
                        self.on_terminal_session_end(machine, *s, rules);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// A logon session ended. When it is a Winlogon logon of a job owner
    /// on the service's machine, BITS is told: the helper tokens of the
    /// owner's jobs are discarded.
    fn on_logoff(&mut self, logon: LogonId, rules: &mut Vec<&'static str>) {
        let Some(session) = self.host.logons.get(&logon) else {
            return;
        };
        if !session.winlogon || session.machine != self.bits.machine {
            return;
        }
        let user = session.user.clone();
        rules.push(ids::LOGOFF);
        rules.push(crate::profile::switch_ids::LOGOFF_DROPS_HELPER);
        if self.rules.logoff_drops_helper {
            let jobs: Vec<JobId> = self
                .bits
                .jobs
                .values()
                .filter(|j| !j.state.is_final() && j.owner.sid == user && j.helper.is_some())
                .map(|j| j.id)
                .collect();
            for id in jobs {
                self.discard_helper(id, "owner logoff", rules);
            }
        }
        self.stop_ineligible_jobs(rules);
    }

    /// A terminal-services session ended: the helper tokens captured in it
    /// are discarded, whoever owns the jobs.
    fn on_terminal_session_end(
        &mut self,
        machine: &str,
        session: u32,
        rules: &mut Vec<&'static str>,
    ) {
        if !machine.eq_ignore_ascii_case(&self.bits.machine) {
            return;
        }
        rules.push(crate::profile::switch_ids::TS_END_DROPS_HELPER);
        if !self.rules.ts_end_drops_helper {
            return;
        }
        let jobs: Vec<JobId> = self
            .bits
            .jobs
            .values()
            .filter(|j| {
                !j.state.is_final() && j.helper.as_ref().is_some_and(|h| h.ts_session == session)
            })
            .map(|j| j.id)
            .collect();
        for id in jobs {
            self.discard_helper(id, "terminal session end", rules);
        }
        self.stop_ineligible_jobs(rules);
    }

    /// Drops a job's helper token; an incomplete job goes to ERROR with
    /// BG_E_TOKEN_REQUIRED.
    fn discard_helper(&mut self, id: JobId, reason: &str, rules: &mut Vec<&'static str>) {
        let Some(job) = self.bits.jobs.get_mut(&id) else {
            return;
        };
        if job.helper.take().is_none() {
            return;
        }
        self.bits.log.push(BitsEvent::HelperTokenDiscarded {
            job: id,
            reason: reason.to_string(),
        });
        let state = self.bits.jobs.get(&id).map(|j| j.state);
        if self.rules.token_loss_fails_job
            && matches!(state, Some(s) if s != JobState::Transferred && !s.is_final())
        {
            rules.push(ids::TOKEN_REQUIRED);
            self.fail(
                id,
                Fault::fatal(HResult::BgETokenRequired, ErrorContext::GeneralQueueManager),
                None,
            );
        }
    }

    /// Active jobs whose owner no longer has an eligible logon go back to
    /// QUEUED.
    fn stop_ineligible_jobs(&mut self, rules: &mut Vec<&'static str>) {
        let ids_: Vec<JobId> = self
            .bits
            .jobs
            .values()
            .filter(|j| matches!(j.state, JobState::Connecting | JobState::Transferring))
            .map(|j| j.id)
            .collect();
        for id in ids_ {
            if !self.eligible(id) {
                rules.push(ids::ELIGIBLE_LOGON);
                self.set_state(id, JobState::Queued, None);
            }
        }
    }

    /// The network goes down or comes back.
    pub(crate) fn set_network(&mut self, up: bool, rules: &mut Vec<&'static str>) {
        self.bits.network_up = up;
        rules.push(ids::NETWORK_LOSS);
        let jobs: Vec<(JobId, JobState)> =
            self.bits.jobs.values().map(|j| (j.id, j.state)).collect();
        for (id, state) in jobs {
            if !up && state.is_active() {
                self.fail(
                    id,
                    Fault::transient(
                        HResult::BgENetworkDisconnected,
                        ErrorContext::GeneralTransport,
                    ),
                    None,
                );
            } else if up && state == JobState::TransientError {
                self.set_state(id, JobState::Queued, None);
            }
        }
    }

    /// The bandwidth policy changes: blocked background jobs wait in
    /// TRANSIENT_ERROR until the interval ends.
    pub(crate) fn set_bandwidth_blocked(&mut self, blocked: bool, rules: &mut Vec<&'static str>) {
        self.bits.policy.bandwidth_blocked = blocked;
        rules.push(ids::BANDWIDTH_POLICY);
        let jobs: Vec<Job> = self.bits.jobs.values().map(|j| Job::clone(j)).collect();
        for job in jobs {
            if blocked && job.state.is_active() && job.priority != priority::FOREGROUND {
                self.fail(
                    job.id,
                    Fault::transient(HResult::BgEBlockedByPolicy, ErrorContext::GeneralTransport),
                    None,
                );
            } else if !blocked
                && job.state == JobState::TransientError
                && job.error.as_ref().map(|e| e.code) == Some(HResult::BgEBlockedByPolicy)
            {
                self.set_state(job.id, JobState::Queued, None);
            }
        }
    }

    /// Whether a QUEUED job may take its turn now: foreground jobs always;
    /// a background job when no other background job is on the network and
    /// it is the first waiting job in (priority, longest wait, id) order.
    fn may_start(&self, id: JobId) -> bool {
        let Some(job) = self.bits.jobs.get(&id) else {
            return false;
        };
        if job.priority == priority::FOREGROUND {
            return true;
        }
        let background = |j: &&Shared<Job>| j.priority != priority::FOREGROUND;
        if self
            .bits
            .jobs
            .values()
            .filter(background)
            .any(|j| matches!(j.state, JobState::Connecting | JobState::Transferring))
        {
            return false;
        }
        let order = |j: &Job| (j.priority, j.turn_started.unwrap_or(0), j.id);
        self.bits
            .jobs
            .values()
            .filter(background)
            .filter(|j| j.state == JobState::Queued && !j.all_files_done() && self.eligible(j.id))
            .min_by_key(|j| order(j))
            .is_some_and(|j| j.id == id)
    }

    /// Whether a transferring background job's turn is over: its time
    /// slice has run out and another job of the same or a higher priority
    /// is waiting.
    fn turn_over(&self, job: &Job) -> bool {
        if job.priority == priority::FOREGROUND {
            return false;
        }
        let started = job.turn_started.unwrap_or(self.host.now);
        self.host.now.saturating_sub(started) >= self.bits.policy.time_slice
            && self.rival_waiting(job)
    }

    /// Whether another eligible background job of the same or a higher
    /// priority than `job` waits in QUEUED with work to do.
    fn rival_waiting(&self, job: &Job) -> bool {
        self.bits.jobs.values().any(|j| {
            j.id != job.id
                && j.priority != priority::FOREGROUND
                && j.priority <= job.priority
                && j.state == JobState::Queued
                && !j.all_files_done()
                && self.eligible(j.id)
        })
    }

    /// Records an error and moves the job to ERROR or TRANSIENT_ERROR.
    fn fail(&mut self, id: JobId, fault: Fault, file: Option<usize>) {
        let now = self.host.now;
        let Some(job) = self.bits.jobs.get_mut(&id) else {
            return;
        };
        job.error = Some(JobError {
            context: fault.context,
            code: fault.code,
            file,
        });
        job.error_count = job.error_count.saturating_add(1);
        // No retry when the delay exceeds the no-progress timeout
        // ([J-setminimumretrydelay]); a zero timeout makes every error final.
        let no_retry =
            job.no_progress_timeout == 0 || job.minimum_retry_delay > job.no_progress_timeout;
        let to = if fault.fatal || no_retry {
            JobState::Error
        } else {
            job.transient_since = Some(now);
            JobState::TransientError
        };
        self.set_state(id, to, Some(fault.code));
    }

    /// The clock advances by `ticks` seconds and the service runs.
    ///
    /// The result is the one [`World::advance_second_by_second`] gives,
    /// but the work is proportional to the number of events, not of
    /// seconds: the quiet seconds before the next event ([`World::next_deadline`])
    /// pass in one jump, in which every transferring job moves its bytes
    /// arithmetically ([`World::glide`]), and the event's second then runs
    /// like any other (`BITS-TRANSFER`, docs/decisions.md D-68).
    pub(crate) fn advance(&mut self, ticks: u64, rules: &mut Vec<&'static str>) {
        let target = self.host.now.saturating_add(ticks);
        let mut events = 0u64;
        while self.host.now < target {
            if events == MAX_ADVANCE_EVENTS {
                self.budget_spent = true;
                return;
            }
            events += 1;
            self.service_steps += 1;
            let event = self.next_deadline().unwrap_or(u64::MAX);
            let quiet_until = event.saturating_sub(1).min(target);
            if quiet_until > self.host.now {
                self.glide(quiet_until - self.host.now);
            }
            if self.host.now < target {
                self.host.apply(&simos::Op::Tick { ticks: 1 });
                self.step(rules);
            }
        }
    }

    /// The reference semantics of [`Op::Advance`](crate::Op::Advance):
    /// the clock advances one second at a time and the service runs a full
    /// step after each. Its cost grows with `ticks`; it exists so that
    /// tests can hold the event-driven advance to it. Returns the ids of
    /// the rules applied.
    #[doc(hidden)]
    pub fn advance_second_by_second(&mut self, ticks: u64) -> Vec<&'static str> {
        let mut rules = Vec::new();
        for _ in 0..ticks {
            self.host.apply(&simos::Op::Tick { ticks: 1 });
            self.step(&mut rules);
        }
        // No outcome carries what the servers saw here.
        self.remote.clear();
        rules
    }

    /// The next virtual time at which the service does something by
    /// itself: a job changes state, connects, reaches a resource, finishes
    /// a file, is retried, times out or is cancelled for inactivity. Until
    /// then the only thing that happens is that transferring jobs move
    /// `bytes_per_tick` bytes a second. `None` when nothing will ever
    /// happen without an outside operation. Always later than now.
    pub fn next_deadline(&self) -> Option<u64> {
        let now = self.host.now;
        let soon = now.saturating_add(1);
        let at = |t: u64| t.max(soon);
        let inactivity = self.bits.policy.job_inactivity_timeout;
        let mut next: Option<u64> = None;
        let mut note = |t: u64| next = Some(next.map_or(t, |n: u64| n.min(t)));
        for job in self.bits.jobs.values().filter(|j| !j.state.is_final()) {
            if !matches!(job.state, JobState::Connecting | JobState::Transferring) {
                note(at(job.last_activity.saturating_add(inactivity)));
            }
            match job.state {
                JobState::Queued => {
                    let acts = !self.bits.network_up
                        || (self.bits.policy.bandwidth_blocked
                            && job.priority != priority::FOREGROUND)
                        || (self.eligible(job.id)
                            && (job.all_files_done() || self.may_start(job.id)));
                    if acts {
                        note(soon);
                    }
                }
                JobState::Connecting => note(soon),
                JobState::Transferring => {
                    if let Some(t) = self.transfer_event(job) {
                        note(at(t));
                    }
                }
                JobState::TransientError => {
                    note(at(job
                        .last_progress
                        .saturating_add(job.no_progress_timeout)));
                    match job.transient_since {
                        Some(since) => note(at(since.saturating_add(job.minimum_retry_delay))),
                        None if job.minimum_retry_delay == 0 => note(soon),
                        None => {}
                    }
                }
                _ => {}
            }
        }
        next
    }

    /// When a TRANSFERRING job next does something other than move
    /// `bytes_per_tick` bytes of its current file: its turn ends, it is
    /// no longer eligible, it must reach the remote side or create its
    /// temporary file, or the file completes. `None` when it would move
    /// bytes forever (a rate of 0).
    fn transfer_event(&self, job: &Job) -> Option<u64> {
        let now = self.host.now;
        let soon = now.saturating_add(1);
        if !self.eligible(job.id) {
            return Some(soon);
        }
        let mut next = None;
        if job.priority != priority::FOREGROUND && self.rival_waiting(job) {
            next = match job.turn_started {
                Some(started) => Some(started.saturating_add(self.bits.policy.time_slice)),
                None if self.bits.policy.time_slice == 0 => Some(soon),
                None => None,
            };
        }
        let Some(file) = job.files.iter().find(|f| !f.completed) else {
            return Some(soon);
        };
        if !file.remote_opened || (job.job_type == JobType::Download && file.temp.is_none()) {
            return Some(soon);
        }
        let left = file.bytes_total.saturating_sub(file.bytes_transferred);
        let rate = self.bits.policy.bytes_per_tick;
        let done = match (left, rate) {
            (0, _) => Some(soon),
            (_, 0) => None,
            // Steady seconds move `rate` each while more than `rate` is
            // left; the second after them finishes the file.
            (left, rate) => Some(now.saturating_add((left - 1) / rate).saturating_add(1)),
        };
        match (next, done) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `seconds` quiet seconds pass at once: nothing but transfers happen
    /// in them (the caller has checked with [`World::next_deadline`]), so
    /// every TRANSFERRING job moves `seconds × bytes_per_tick` bytes of its
    /// current file without finishing it, with one progress event for the
    /// whole stretch.
    fn glide(&mut self, seconds: u64) {
        self.host.apply(&simos::Op::Tick { ticks: seconds });
        let now = self.host.now;
        let moved = self.bits.policy.bytes_per_tick.saturating_mul(seconds);
        let mut progress = Vec::new();
        for job in self
            .bits
            .jobs
            .values_mut()
            .filter(|j| j.state == JobState::Transferring)
        {
            let Some(index) = job.files.iter().position(|f| !f.completed) else {
                continue;
            };
            let id = job.id;
            let job: &mut Job = job;
            job.last_progress = now;
            job.last_activity = now;
            job.times.modification = now;
            if let Some(f) = job.files.get_mut(index) {
                f.bytes_transferred = f.bytes_transferred.saturating_add(moved).min(f.bytes_total);
                progress.push(BitsEvent::FileProgress {
                    job: id,
                    file: index,
                    bytes: f.bytes_transferred,
                });
            }
        }
        self.bits.log.extend(progress);
    }

    /// One second of the service's work, job by job in id order.
    fn step(&mut self, rules: &mut Vec<&'static str>) {
        let now = self.host.now;
        let jobs: Vec<JobId> = self
            .bits
            .jobs
            .values()
            .filter(|j| !j.state.is_final())
            .map(|j| j.id)
            .collect();
        for id in jobs {
            let Some(job) = self.bits.jobs.get(&id).cloned() else {
                continue;
            };
            // The inactivity clock runs from the last client change or
            // byte moved, not from ModificationTime, which the service's
            // own retries and state changes also set (`BITS-INACTIVITY`).
            // A QUEUED job waiting for its owner to log on is pending, not
            // active: the policy cancels it too ([LC], [GP] in docs/sources.md).
            if now.saturating_sub(job.last_activity) >= self.bits.policy.job_inactivity_timeout
                && !matches!(job.state, JobState::Connecting | JobState::Transferring)
            {
                rules.push(ids::INACTIVITY);
                self.cancel_job(id);
                continue;
            }
            match job.state {
                JobState::Queued => {
                    if !self.bits.network_up {
                        rules.push(ids::NETWORK_LOSS);
                        self.fail(
                            id,
                            Fault::transient(
                                HResult::BgENetworkDisconnected,
                                ErrorContext::GeneralTransport,
                            ),
                            None,
                        );
                    } else if self.bits.policy.bandwidth_blocked
                        && job.priority != priority::FOREGROUND
                    {
                        rules.push(ids::BANDWIDTH_POLICY);
                        self.fail(
                            id,
                            Fault::transient(
                                HResult::BgEBlockedByPolicy,
                                ErrorContext::GeneralTransport,
                            ),
                            None,
                        );
                    } else if self.eligible(id) {
                        if job.all_files_done() {
                            rules.push(ids::TRANSFER);
                            self.finish(id, rules);
                        } else if self.may_start(id) {
                            rules.extend([ids::TRANSFER, ids::SCHEDULE]);
                            if let Some(j) = self.bits.jobs.get_mut(&id) {
                                j.turn_started = Some(now);
                            }
                            self.set_state(id, JobState::Connecting, None);
                        }
                    }
                }
                JobState::Connecting => {
                    if !self.eligible(id) {
                        rules.push(ids::ELIGIBLE_LOGON);
                        self.set_state(id, JobState::Queued, None);
                    } else if let Some(index) = job.files.iter().position(|f| !f.completed) {
                        match self.open_remote(id, index, rules) {
                            Ok(()) => {
                                if let Some(j) = self.bits.jobs.get_mut(&id) {
                                    j.error = None;
                                }
                                self.set_state(id, JobState::Transferring, None);
                            }
                            Err(fault) => self.fail(id, fault, Some(index)),
                        }
                    } else {
                        self.finish(id, rules);
                    }
                }
                JobState::Transferring => {
                    if self.turn_over(&job) {
                        rules.push(ids::SCHEDULE);
                        self.set_state(id, JobState::Queued, None);
                    } else if self.eligible(id) {
                        self.transfer_step(id, rules);
                    } else {
                        rules.push(ids::ELIGIBLE_LOGON);
                        self.set_state(id, JobState::Queued, None);
                    }
                }
                JobState::TransientError => {
                    let idle = now.saturating_sub(job.last_progress);
                    let waited = job.transient_since.map_or(0, |s| now.saturating_sub(s));
                    if idle >= job.no_progress_timeout {
                        rules.push(ids::RETRY);
                        if let Some(j) = self.bits.jobs.get_mut(&id) {
                            j.transient_since = None;
                        }
                        let code = job.error.as_ref().map(|e| e.code);
                        self.set_state(id, JobState::Error, code);
                    } else if waited >= job.minimum_retry_delay {
                        rules.push(ids::RETRY);
                        self.set_state(id, JobState::Queued, None);
                    }
                }
                _ => {}
            }
        }
    }

    /// Moves bytes of the first incomplete file.
    fn transfer_step(&mut self, id: JobId, rules: &mut Vec<&'static str>) {
        let Some(job) = self.bits.jobs.get(&id).cloned() else {
            return;
        };
        let Some(index) = job.files.iter().position(|f| !f.completed) else {
            self.finish(id, rules);
            return;
        };
        let file = &job.files[index];
        if !file.remote_opened {
            if let Err(fault) = self.open_remote(id, index, rules) {
                self.fail(id, fault, Some(index));
                return;
            }
        }
        if job.job_type == JobType::Download && file.temp.is_none() {
            let temp = format!("{}\\BIT{:X}_{}.tmp", directory_of(&file.local), id.0, index);
            match self.create_local(id, &temp, rules) {
                Ok(()) => {
                    if let Some(f) = self
                        .bits
                        .jobs
                        .get_mut(&id)
                        .and_then(|j| j.files.get_mut(index))
                    {
                        f.temp = Some(temp);
                    }
                }
                Err(fault) => {
                    self.fail(id, fault, Some(index));
                    return;
                }
            }
        }
        let rate = self.bits.policy.bytes_per_tick;
        let now = self.host.now;
        let mut done = false;
        let mut arrived = false;
        if let Some(j) = self.bits.jobs.get_mut(&id) {
            // Bytes moved: progress for NoProgressTimeout, activity for
            // JobInactivityTimeout, and a new ModificationTime
            // ([E-bg_job_times]: "last modified or bytes were transferred").
            j.last_progress = now;
            j.last_activity = now;
            j.times.modification = now;
            if let Some(f) = j.files.get_mut(index) {
                let left = f.bytes_total.saturating_sub(f.bytes_transferred);
                f.bytes_transferred += left.min(rate);
                f.completed = f.bytes_transferred >= f.bytes_total;
                arrived = f.completed;
                done = j.all_files_done();
                let bytes = j.files[index].bytes_transferred;
                self.bits.log.push(BitsEvent::FileProgress {
                    job: id,
                    file: index,
                    bytes,
                });
            }
        }
        if arrived {
            self.file_arrived(id, index, rules);
        }
        if done {
            self.finish(id, rules);
        }
    }

    /// Every file is in: the reply file of an upload-reply job is written,
    /// and the job is TRANSFERRED.
    fn finish(&mut self, id: JobId, rules: &mut Vec<&'static str>) {
        let Some(job) = self.bits.jobs.get(&id).cloned() else {
            return;
        };
        if job.job_type == JobType::UploadReply {
            if let Some(f) = job.files.first() {
                let reply = format!("{}\\BIT{:X}.reply", directory_of(&f.local), id.0);
                if let Err(fault) = self.create_local(id, &reply, rules) {
                    self.fail(id, fault, Some(0));
                    return;
                }
                if let Some(j) = self.bits.jobs.get_mut(&id) {
                    j.reply_file = Some(reply);
                }
            }
        }
        let now = self.host.now;
        if let Some(j) = self.bits.jobs.get_mut(&id) {
            j.times.transfer_completion = now;
        }
        self.set_state(id, JobState::Transferred, None);
    }

    /// True when the job may transfer: its owner is a service identity or
    /// has a logon BITS recognises on the service's machine.
    pub fn eligible(&self, id: JobId) -> bool {
        self.bits.jobs.get(&id).is_some_and(|j| {
            j.owner.always_logged_on
                || !self.rules.checks.owner_logon_needed
                || self.session_token(&j.owner.sid, j.owner.admin).is_some()
        })
    }

    /// The token of an active Winlogon logon of `sid` on the service's
    /// machine, preferring the half of a split token that matches `admin`.
    pub fn session_token(&self, sid: &Sid, admin: bool) -> Option<TokenId> {
        let sessions: Vec<LogonId> = self
            .host
            .logons
            .values()
            .filter(|l| l.active && l.winlogon && l.machine == self.bits.machine && &l.user == sid)
            .map(|l| l.id)
            .collect();
        // The first token of those sessions with the wanted administrator
        // status, else the first of them: tokens are kept in creation
        // order, so the scan stops at the session's own shell token.
        let mut first = None;
        for (id, t) in self.host.tokens.iter() {
            if !sessions.contains(&t.logon) {
                continue;
            }
            if t.token.has_enabled_administrators() == admin {
                return Some(*id);
            }
            first.get_or_insert(*id);
        }
        first
    }

    /// The owner's token for a job (the service token of a service
    /// identity, else the owner's session token).
    fn owner_token(&self, job: &Job) -> Option<TokenId> {
        if job.owner.always_logged_on {
            job.owner.service_token
        } else {
            self.session_token(&job.owner.sid, job.owner.admin)
        }
    }

    /// The identity the flags select for a resource.
    fn select(
        &self,
        id: JobId,
        resource: Resource,
        rules: &mut Vec<&'static str>,
    ) -> Result<(Acting, TokenId), Fault> {
        let job = self
            .bits
            .jobs
            .get(&id)
            .ok_or(Fault::fatal(HResult::EHandle, ErrorContext::Unknown))?;
        let (flag, context) = match resource {
            Resource::LocalFile => {
                rules.push(ids::LOCAL_IDENTITY);
                (token_flags::LOCAL_FILE, ErrorContext::LocalFile)
            }
            Resource::Remote => {
                rules.push(ids::NETWORK_IDENTITY);
                let flag = if self.rules.network_flag_honoured {
                    token_flags::NETWORK
                } else {
                    0
                };
                (flag, ErrorContext::RemoteFile)
            }
            Resource::ClientCertificate => {
                rules.push(ids::CLIENT_CERT);
                let flag = if self.rules.client_cert_as_owner {
                    0
                } else {
                    token_flags::NETWORK
                };
                (flag, ErrorContext::GeneralTransport)
            }
        };
        if job.helper_flags & flag != 0 {
            return match &job.helper {
                Some(h) => Ok((Acting::Helper, h.token)),
                None => {
                    rules.push(ids::TOKEN_REQUIRED);
                    Err(Fault::fatal(HResult::BgETokenRequired, context))
                }
            };
        }
        self.owner_token(job)
            .map(|t| (Acting::Owner, t))
            .ok_or(Fault::transient(HResult::BgETokenRequired, context))
    }

    /// Runs a host operation on the service thread while it impersonates
    /// `token`, then reverts.
    fn as_identity(
        &mut self,
        token: TokenId,
        op: &simos::Op,
        rules: &mut Vec<&'static str>,
    ) -> simos::Outcome {
        let service: ThreadId = self.bits.thread;
        let own = self
            .host
            .processes
            .get(&self.bits.process)
            .map(|p| p.primary_token);
        if own != Some(token) {
            let imp = self.host.apply(&simos::Op::ImpersonateLoggedOnUser {
                thread: service,
                token,
            });
            rules.extend(imp.rules.iter().copied());
            if !imp.result.is_ok() {
                return imp;
            }
        }
        let out = self.host.apply(op);
        rules.extend(out.rules.iter().copied());
        self.host
            .apply(&simos::Op::RevertToSelf { thread: service });
        out
    }

    fn log_access(
        &mut self,
        id: JobId,
        resource: Resource,
        name: &str,
        acting: Acting,
        token: Option<TokenId>,
        granted: bool,
    ) {
        let user = match acting {
            Acting::Owner | Acting::Helper => token
                .and_then(|t| self.host.token(t))
                .map(|t| t.token.user.sid.clone()),
            Acting::Explicit | Acting::Anonymous => None,
        };
        self.bits.log.push(BitsEvent::ResourceAccess {
            job: id,
            resource,
            name: name.to_string(),
            acting,
            user,
            granted,
        });
    }

    /// Creates a local file (temporary file, reply file) with the
    /// local-file identity.
    fn create_local(
        &mut self,
        id: JobId,
        path: &str,
        rules: &mut Vec<&'static str>,
    ) -> Result<(), Fault> {
        let (acting, token) = self.select(id, Resource::LocalFile, rules)?;
        let op = simos::Op::Object(ObjectOp::Create {
            thread: self.bits.thread,
            path: path.to_string(),
            kind: ObjectKind::File,
            sddl: None,
            desired: AccessMask::GENERIC_WRITE | AccessMask::DELETE,
        });
        let out = self.as_identity(token, &op, rules);
        let granted = out.result.is_ok();
        self.log_access(id, Resource::LocalFile, path, acting, Some(token), granted);
        match out.result.error() {
            None => Ok(()),
            Some(e) => Err(Fault::fatal(
                HResult::from_win32(e),
                ErrorContext::LocalFile,
            )),
        }
    }

    /// Opens a local file for reading with `acting`'s token.
    fn open_local(
        &mut self,
        id: JobId,
        path: &str,
        resource: Resource,
        rules: &mut Vec<&'static str>,
    ) -> Result<(), Fault> {
        let (acting, token) = self.select(id, resource, rules)?;
        let op = simos::Op::Object(ObjectOp::Open {
            thread: self.bits.thread,
            path: path.to_string(),
            desired: AccessMask::GENERIC_READ,
            backup_intent: false,
        });
        let out = self.as_identity(token, &op, rules);
        self.log_access(id, resource, path, acting, Some(token), out.result.is_ok());
        match out.result.error() {
            None => Ok(()),
            Some(e) => {
                let context = match resource {
                    Resource::LocalFile => ErrorContext::LocalFile,
                    Resource::Remote => ErrorContext::RemoteFile,
                    Resource::ClientCertificate => ErrorContext::GeneralTransport,
                };
                let code = if resource == Resource::ClientCertificate {
                    HResult::WinHttpClientCertNoAccessPrivateKey
                } else {
                    HResult::from_win32(e)
                };
                Err(Fault::fatal(code, context))
            }
        }
    }

    /// Reaches the remote side of a file: the client certificate, the
    /// upload source, then the server (or local source) with the right
    /// identity. Records the size.
    fn open_remote(
        &mut self,
        id: JobId,
        index: usize,
        rules: &mut Vec<&'static str>,
    ) -> Result<(), Fault> {
        let job = self
            .bits
            .jobs
            .get(&id)
            .cloned()
            .ok_or(Fault::fatal(HResult::EHandle, ErrorContext::Unknown))?;
        let file = job
            .files
            .get(index)
            .cloned()
            .ok_or(Fault::fatal(HResult::EHandle, ErrorContext::Unknown))?;
        if let Some(cert) = &job.client_certificate {
            rules.push(ids::CLIENT_CERT);
            let system = job.owner.sid == winsec::well_known::sids::local_system();
            if self.rules.client_cert_as_owner
                && job.helper_flags & token_flags::NETWORK != 0
                && !system
            {
                return Err(Fault::fatal(
                    HResult::WinHttpClientCertNoAccessPrivateKey,
                    ErrorContext::GeneralTransport,
                ));
            }
            self.open_local(id, cert, Resource::ClientCertificate, rules)?;
        }
        let size = if job.job_type == JobType::Download {
            match parse_remote(&file.remote) {
                Remote::Local(path) => {
                    self.open_local(id, &path, Resource::Remote, rules)?;
                    self.source_content(job.job_type, &file)
                        .map_or(0, |c| c.bytes)
                }
                Remote::Server(name) => {
                    self.reach_server(id, &name, AccessMask::GENERIC_READ, rules)?;
                    let kind = self.host.servers.get(&name).map(|s| s.kind);
                    match self.source_content(job.job_type, &file) {
                        Some(content) => content.bytes,
                        None => {
                            rules.push(ids::REMOTE_FAILURE);
                            let code = if kind.is_some_and(ServerKind::is_http) {
                                HResult::HttpError(404)
                            } else {
                                HResult::from_win32(Win32Error::FileNotFound)
                            };
                            return Err(Fault::fatal(code, ErrorContext::RemoteFile));
                        }
                    }
                }
            }
        } else {
            self.open_local(id, &file.local, Resource::LocalFile, rules)?;
            match parse_remote(&file.remote) {
                Remote::Server(name) => {
                    self.reach_server(id, &name, AccessMask::GENERIC_WRITE, rules)?
                }
                Remote::Local(_) => {
                    rules.push(ids::REMOTE_FAILURE);
                    return Err(Fault::fatal(HResult::EInvalidArg, ErrorContext::RemoteFile));
                }
            }
            self.source_content(job.job_type, &file)
                .map_or(0, |c| c.bytes)
        };
        if let Some(f) = self
            .bits
            .jobs
            .get_mut(&id)
            .and_then(|j| j.files.get_mut(index))
        {
            f.remote_opened = true;
            f.bytes_total = size;
        }
        Ok(())
    }

    /// What a file's transfer carries: for a download, what was published
    /// at its remote name (or, for a local source, what that file holds);
    /// for an upload, what was published at its local name or what the
    /// local file holds. `None` when nothing is there.
    pub(crate) fn source_content(&self, job_type: JobType, file: &JobFile) -> Option<Content> {
        let published = |name: &str| self.bits.content.get(&name.to_ascii_lowercase()).cloned();
        let on_disk = |path: &str| self.host.file_content(&self.bits.machine, path);
        if job_type == JobType::Download {
            match parse_remote(&file.remote) {
                Remote::Server(_) => published(&file.remote),
                Remote::Local(path) => published(&file.remote)
                    .or_else(|| published(&path))
                    .or_else(|| on_disk(&path)),
            }
        } else {
            published(&file.local).or_else(|| on_disk(&file.local))
        }
    }

    /// A file's last byte arrived: a download's temporary file now holds
    /// the remote content; an upload's server now publishes the local
    /// content at the remote name (`BITS-CONTENT`).
    fn file_arrived(&mut self, id: JobId, index: usize, rules: &mut Vec<&'static str>) {
        let Some(job) = self.bits.jobs.get(&id) else {
            return;
        };
        let Some(file) = job.files.get(index).cloned() else {
            return;
        };
        let job_type = job.job_type;
        let content = self
            .source_content(job_type, &file)
            .unwrap_or_else(|| Content::derived(&file.remote, file.bytes_total));
        rules.push(ids::CONTENT);
        if job_type == JobType::Download {
            if let Some(temp) = &file.temp {
                self.host.apply(&simos::Op::SetContent {
                    machine: self.bits.machine.clone(),
                    path: temp.clone(),
                    content: Some(content),
                });
            }
        } else {
            self.bits
                .content
                .insert(file.remote.to_ascii_lowercase(), content);
        }
    }

    /// The credentials to present to an HTTP server: explicit ones the
    /// server accepts, else implicit ones when the server offers a
    /// challenge/response scheme (NTLM, Kerberos, Negotiate), else none.
    /// Implicit (logged-on) credentials never answer Basic: a Basic-only
    /// site needs SetCredentials with a user name and password ([AUTH]).
    /// `Some(None)`: the selected identity; `Some(Some(..))`: the named
    /// account; `None`: anonymous.
    fn http_credentials(
        &self,
        job: &Job,
        server: &simos::network::Server,
        rules: &mut Vec<&'static str>,
    ) -> Option<Option<(String, String)>> {
        use simos::network::AuthScheme as S;
        let accepts = |scheme: AuthSchemeId| match scheme {
            AuthSchemeId::Basic => server.schemes.contains(&S::Basic),
            AuthSchemeId::Ntlm => server.accepts_ntlm(),
            AuthSchemeId::Negotiate => server.accepts_ntlm() || server.accepts_kerberos(),
            AuthSchemeId::Digest | AuthSchemeId::Passport => false,
        };
        for ((target, scheme), c) in &job.credentials {
            if *target == AuthTarget::Server && accepts(*scheme) {
                if let (Some(user), Some(password)) = (&c.user, &c.password) {
                    rules.push(ids::EXPLICIT_CREDENTIALS);
                    return Some(Some((user.clone(), password.clone())));
                }
            }
        }
        rules.push(ids::IMPLICIT_CREDENTIALS);
        if !(server.accepts_ntlm() || server.accepts_kerberos()) {
            return None;
        }
        let implicit_set = job
            .credentials
            .iter()
            .any(|((_, scheme), c)| scheme.implicit_allowed() && c.user.is_none());
        let none_set = !job
            .credentials
            .keys()
            .any(|(t, _)| *t == AuthTarget::Server);
        if implicit_set || (none_set && self.bits.policy.lm_compatibility_level >= 2) {
            Some(None)
        } else {
            None
        }
    }

    /// Reaches a server of the host with the identity the job's flags and
    /// credentials select.
    fn reach_server(
        &mut self,
        id: JobId,
        name: &str,
        desired: AccessMask,
        rules: &mut Vec<&'static str>,
    ) -> Result<(), Fault> {
        let Some(server) = self.host.servers.get(name).cloned() else {
            rules.push(ids::REMOTE_FAILURE);
            return Err(Fault::transient(
                HResult::from_win32(Win32Error::BadNetPath),
                ErrorContext::RemoteFile,
            ));
        };
        let job = self
            .bits
            .jobs
            .get(&id)
            .cloned()
            .ok_or(Fault::fatal(HResult::EHandle, ErrorContext::Unknown))?;
        let choice = if server.kind.is_http() {
            self.http_credentials(&job, &server, rules)
        } else {
            Some(None)
        };
        let (acting, token) = match choice {
            Some(None) => self.select(id, Resource::Remote, rules)?,
            Some(Some((user, password))) => (
                Acting::Explicit,
                self.explicit_logon(&user, &password, rules)?,
            ),
            None => {
                let machine = self.bits.machine.clone();
                (
                    Acting::Anonymous,
                    self.host
                        .builtin_token(&machine, BuiltinIdentity::Anonymous),
                )
            }
        };
        let op = simos::Op::Network(NetworkOp::Access {
            thread: self.bits.thread,
            server: name.to_string(),
            desired,
        });
        let out = self.as_identity(token, &op, rules);
        if let Some(simos::Value::Remote(access)) = out.result.value() {
            self.remote.extend(
                access
                    .seen()
                    .into_iter()
                    .map(|seen| crate::world::RemoteSeen {
                        job: Some(id),
                        seen,
                    }),
            );
        }
        let result = match out.result {
            simos::ApiResult::Err { error } => Err(Fault::fatal(
                HResult::from_win32(error),
                ErrorContext::RemoteFile,
            )),
            simos::ApiResult::Ok { value } => match value {
                simos::Value::Remote(ra) => match &ra.outcome {
                    RemoteOutcome::Granted => Ok(()),
                    RemoteOutcome::Denied { reason } => {
                        rules.push(ids::REMOTE_FAILURE);
                        // What BITS learns from an HTTP server or proxy is
                        // its answer, whatever the client tried before it
                        // (a refused S4U2proxy, say); other servers fail
                        // the open with a Win32 error.
                        let status = ra.http_status.filter(|s| *s >= 400).or(match reason {
                            Failure::Http { status } => Some(*status),
                            _ => None,
                        });
                        let (code, context) = match (status, reason) {
                            (Some(status), _) => (
                                HResult::HttpError(status),
                                if status == 407 {
                                    ErrorContext::GeneralTransport
                                } else {
                                    ErrorContext::RemoteFile
                                },
                            ),
                            (None, Failure::Win32 { error }) => {
                                (HResult::from_win32(*error), ErrorContext::RemoteFile)
                            }
                            (None, Failure::Kerberos { .. } | Failure::Http { .. }) => {
                                (HResult::EAccessDenied, ErrorContext::RemoteFile)
                            }
                        };
                        Err(Fault::fatal(code, context))
                    }
                },
                _ => Ok(()),
            },
        };
        self.log_access(
            id,
            Resource::Remote,
            &server.display(name),
            acting,
            Some(token),
            result.is_ok(),
        );
        result
    }

    /// A NEW_CREDENTIALS logon on the service thread, so the request
    /// authenticates as the named account.
    fn explicit_logon(
        &mut self,
        user: &str,
        password: &str,
        rules: &mut Vec<&'static str>,
    ) -> Result<TokenId, Fault> {
        let (domain, name) = match user.split_once('\\') {
            Some((d, n)) => (Some(d.to_string()), n.to_string()),
            None => (None, user.to_string()),
        };
        let out = self.host.apply(&simos::Op::LogonUser {
            thread: self.bits.thread,
            user: name,
            domain,
            password: password.to_string(),
            logon_type: LogonType::NewCredentials,
        });
        rules.extend(out.rules.iter().copied());
        out.result.token().ok_or(Fault::fatal(
            HResult::HttpError(401),
            ErrorContext::RemoteFile,
        ))
    }

    /// Complete's rename: the final file is created with the local-file
    /// identity (the helper token under BG_TOKEN_LOCAL_FILE, else the
    /// caller of Complete), then the temporary file goes.
    pub(crate) fn rename_into_place(
        &mut self,
        id: JobId,
        temp: &str,
        local: &str,
        caller: &Caller,
        rules: &mut Vec<&'static str>,
    ) -> Result<(), HResult> {
        let job = self.bits.jobs.get(&id).cloned().ok_or(HResult::EHandle)?;
        let (acting, token) = if job.helper_flags & token_flags::LOCAL_FILE != 0 {
            self.select(id, Resource::LocalFile, rules)
                .map_err(|fault| fault.code)?
        } else {
            let sid = &caller.token.user.sid;
            let own = if self.rules.complete_files_owned_by_caller && *sid != job.owner.sid {
                self.session_token(sid, caller.token.has_enabled_administrators())
            } else {
                None
            };
            match own.or_else(|| self.owner_token(&job)) {
                Some(t) => (Acting::Owner, t),
                None => return Err(HResult::BgETokenRequired),
            }
        };
        if self.host.object(&self.bits.machine, local).is_some() {
            let del = simos::Op::Object(ObjectOp::Delete {
                thread: self.bits.thread,
                path: local.to_string(),
            });
            let out = self.as_identity(token, &del, rules);
            if let Some(e) = out.result.error() {
                self.log_access(id, Resource::LocalFile, local, acting, Some(token), false);
                return Err(HResult::from_win32(e));
            }
        }
        let op = simos::Op::Object(ObjectOp::Create {
            thread: self.bits.thread,
            path: local.to_string(),
            kind: ObjectKind::File,
            sddl: None,
            desired: AccessMask::GENERIC_WRITE,
        });
        let out = self.as_identity(token, &op, rules);
        self.log_access(
            id,
            Resource::LocalFile,
            local,
            acting,
            Some(token),
            out.result.is_ok(),
        );
        if let Some(e) = out.result.error() {
            return Err(HResult::from_win32(e));
        }
        // The final file holds what the temporary file held.
        let machine = self.bits.machine.clone();
        let content = self.host.file_content(&machine, temp);
        rules.push(ids::CONTENT);
        self.host.apply(&simos::Op::SetContent {
            machine,
            path: local.to_string(),
            content,
        });
        self.delete_as_service(temp);
        Ok(())
    }

    /// Deletes a file as the service itself (its own temporary files).
    pub(crate) fn delete_as_service(&mut self, path: &str) -> bool {
        if self.host.object(&self.bits.machine, path).is_none() {
            return true;
        }
        let out = self.host.apply(&simos::Op::Object(ObjectOp::Delete {
            thread: self.bits.thread,
            path: path.to_string(),
        }));
        out.result.is_ok()
    }
}
