//! How the service meets its callers: it learns who calls through a COM
//! call into its own thread (the `simos` impersonation rules decide which
//! token and level it gets), checks access to jobs, and runs the manager
//! calls (CreateJob, GetJob, EnumJobs), QueryInterface and Release.
//!
//! The access check is one function, [`World::grant`]; where it runs
//! (at QueryInterface or on every call) is the profile's
//! `access_check` switch.

use simos::shared::Shared;
use simos::{ThreadId, TokenId};
use winsec::Token;

use crate::hresult::HResult;
use crate::interfaces::ComObject;
use crate::job::{notify_flags, Job, JobId, JobState, JobType, Owner, Times};
use crate::methods::{Method, Needs};
use crate::profile::AccessCheckAt;
use crate::rules::ids;
use crate::world::Call;
use crate::world::{
    builtin_of, is_elevated, BitsEvent, Blanket, CallResult, Caller, Effect, Grant, Interface,
    Pointer, PointerId, Reply, Target, Value, World,
};

impl World {
    /// The caller as the service sees it: a COM call from `thread` into
    /// the service thread with the client's blanket, then back to the
    /// service's own identity. The token stays readable.
    pub(crate) fn identify(
        &mut self,
        thread: ThreadId,
        rules: &mut Vec<&'static str>,
    ) -> Result<Caller, HResult> {
        let process = self
            .host
            .thread(thread)
            .map(|t| t.process)
            .ok_or(HResult::EHandle)?;
        let blanket: Blanket = self
            .bits
            .blankets
            .get(&process)
            .copied()
            .unwrap_or_default();
        let service = self.bits.thread;
        let out = self.host.apply(&simos::Op::ComCall {
            thread: service,
            client: thread,
            client_level: blanket.level,
            cloaking: blanket.cloaking,
        });
        rules.extend(out.rules.iter().copied());
        if let Some(e) = out.result.error() {
            return Err(HResult::from_win32(e));
        }
        let token_id = self
            .host
            .effective_token_id(service)
            .ok_or(HResult::EHandle)?;
        let anonymous = self.host.token(token_id).is_some_and(|t| {
            t.token.impersonation_level() == Some(winsec::ImpersonationLevel::Anonymous)
        });
        if anonymous {
            rules.push(ids::ANONYMOUS_CALLER);
            self.host
                .apply(&simos::Op::RevertToSelf { thread: service });
            return Err(HResult::from_win32(winsec::Win32Error::CantOpenAnonymous));
        }
        let token = self
            .host
            .token(token_id)
            .map(|t| t.token.clone())
            .ok_or(HResult::EHandle)?;
        self.host
            .apply(&simos::Op::RevertToSelf { thread: service });
        Ok(Caller {
            token_id,
            token,
            process,
        })
    }

    /// The access check on a job for a caller's token: owner or
    /// administrator, elevation, then (for changes) restricted tokens and
    /// integrity.
    pub fn grant(&self, token: &Token, job: &Job) -> Grant {
        let owner_match = token.user.sid == job.owner.sid;
        let admin = self.is_admin(token);
        let refuse = |rule| Grant {
            read: false,
            modify: false,
            owner_match,
            admin,
            denied_by: Some(rule),
        };
        if !owner_match && !admin && self.rules.checks.owner_or_admin {
            return refuse(ids::OWNER_OR_ADMIN);
        }
        if self.rules.elevated_jobs_need_elevation && job.owner.elevated && !is_elevated(token) {
            return refuse(ids::ELEVATED);
        }
        let mut grant = Grant {
            read: true,
            modify: true,
            owner_match,
            admin,
            denied_by: None,
        };
        if self.rules.restricted_tokens_refused && token.is_restricted() {
            grant.modify = false;
            grant.denied_by = Some(ids::RESTRICTED);
        } else if self.rules.integrity_protects_jobs && token.integrity.0 < job.owner.integrity {
            grant.modify = false;
            grant.denied_by = Some(ids::INTEGRITY);
        }
        grant
    }

    /// Records the conditions behind a job's access check for a caller
    /// (owner or administrator, elevation, restricted token, integrity),
    /// each with what it found, for the trail.
    pub(crate) fn record_grant(&mut self, token: &Token, job: JobId, grant: &Grant) {
        let Some(j) = self.bits.jobs.get(&job) else {
            return;
        };
        let (owner, owner_elevated, owner_integrity) =
            (j.owner.sid.clone(), j.owner.elevated, j.owner.integrity);
        let caller = token.user.sid.clone();
        let admins = winsec::well_known::sids::builtin_administrators();
        let refused = |rule: &str| grant.denied_by == Some(rule);
        if grant.owner_match {
            self.condition(
                ids::OWNER_OR_ADMIN,
                format!("the caller {caller} is the job's owner"),
                Effect::Holds,
            );
        } else if grant.admin {
            self.condition(
                ids::OWNER_OR_ADMIN,
                format!("the caller {caller} is not the owner {owner} but has {admins} enabled"),
                Effect::Holds,
            );
        } else {
            self.condition(
                ids::OWNER_OR_ADMIN,
                format!(
                    "the caller {caller} is not the owner {owner} and does not have {admins} enabled"
                ),
                Effect::Refused,
            );
            return;
        }
        if owner_elevated {
            let effect = if refused(ids::ELEVATED) {
                Effect::Refused
            } else {
                Effect::Holds
            };
            let finding = if is_elevated(token) {
                "the owner was elevated, and so is the caller's token"
            } else {
                "the owner was elevated and the caller's token is not"
            };
            self.condition(ids::ELEVATED, finding.to_string(), effect);
            if effect == Effect::Refused {
                return;
            }
        }
        if refused(ids::RESTRICTED) {
            self.condition(
                ids::RESTRICTED,
                "the caller's token is restricted: it may read the job, not change it".to_string(),
                Effect::Refused,
            );
        } else if refused(ids::INTEGRITY) {
            self.condition(
                ids::INTEGRITY,
                format!(
                    "the caller's integrity level {} is below the owner's {}: it may read the job, not change it",
                    token.integrity.sid(),
                    winsec::IntegrityLevel(owner_integrity).sid()
                ),
                Effect::Refused,
            );
        }
    }

    /// Hands out a pointer.
    pub(crate) fn issue(
        &mut self,
        interface: Interface,
        target: Target,
        process: simos::ProcessId,
        caller: &winsec::Sid,
        grant: Grant,
        rules: &mut Vec<&'static str>,
    ) -> PointerId {
        self.bits.next_pointer += 1;
        let id = PointerId(self.bits.next_pointer);
        rules.push(ids::POINTER);
        self.bits.pointers.insert(
            id,
            Pointer {
                id,
                interface,
                target,
                process,
                caller: caller.clone(),
                grant,
            },
        );
        self.bits.log.push(BitsEvent::PointerIssued {
            pointer: id,
            interface,
            caller: caller.clone(),
            grant,
        });
        id
    }

    /// Runs one BITS call.
    pub(crate) fn call(
        &mut self,
        thread: ThreadId,
        call: &Call,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        match call {
            Call::CoCreateInstance => self.co_create_instance(thread, rules),
            Call::CreateJob { name, job_type } => self.create_job(thread, name, *job_type, rules),
            Call::GetJob { job } => self.get_job(thread, *job, rules),
            Call::EnumJobs { all_users } => self.enum_jobs(thread, *all_users, rules),
            Call::QueryInterface { pointer, interface } => {
                self.query_interface(thread, *pointer, *interface, rules)
            }
            Call::Release { pointer } => self.release(*pointer, rules),
            Call::Method { pointer, method } => self.method(thread, *pointer, method, rules),
        }
    }

    /// `CoCreateInstance(CLSID_BackgroundCopyManager)`: a COM call into
    /// the service (so its blanket rules apply, an anonymous one included)
    /// that hands out an `IBackgroundCopyManager` pointer bound to the
    /// caller.
    fn co_create_instance(
        &mut self,
        thread: ThreadId,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let caller = self.identify(thread, rules)?;
        let grant = Grant {
            read: true,
            modify: false,
            owner_match: false,
            admin: self.is_admin(&caller.token),
            denied_by: None,
        };
        let pointer = self.issue(
            Interface::Manager,
            Target::Manager,
            caller.process,
            &caller.token.user.sid,
            grant,
            rules,
        );
        Ok(Reply::ok(Value::Pointer { pointer }))
    }

    /// `IUnknown::Release`: the pointer goes, and the count is what the
    /// process still holds on the same object (`BITS-RELEASE`).
    fn release(&mut self, pointer: PointerId, rules: &mut Vec<&'static str>) -> CallResult {
        rules.push(ids::RELEASE);
        let gone = self
            .bits
            .pointers
            .remove(&pointer)
            .ok_or(HResult::EHandle)?;
        let object = gone.object();
        let left = self
            .bits
            .pointers
            .values()
            .filter(|p| p.process == gone.process && p.object() == object)
            .count() as u64;
        Ok(Reply::ok(Value::Number { number: left }).counting(left))
    }

    fn create_job(
        &mut self,
        thread: ThreadId,
        name: &str,
        job_type: JobType,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let caller = self.identify(thread, rules)?;
        let token = &caller.token;
        if self.rules.restricted_tokens_refused && token.is_restricted() {
            rules.push(ids::RESTRICTED);
            return Err(HResult::EAccessDenied);
        }
        if name.chars().count() > 256 {
            rules.push(ids::SETTERS);
            return Err(HResult::BgEStringTooLong);
        }
        let sid = token.user.sid.clone();
        let service_account = builtin_of(&sid);
        let exempt =
            self.rules.quotas_exempt_admins && (self.is_admin(token) || service_account.is_some());
        let live = |j: &&Shared<Job>| !j.state.is_final();
        if !exempt {
            let mine = self
                .bits
                .jobs
                .values()
                .filter(live)
                .filter(|j| j.owner.sid == sid)
                .count();
            if mine >= self.bits.policy.max_jobs_per_user {
                rules.push(ids::QUOTA);
                return Err(HResult::BgETooManyJobsPerUser);
            }
            let all = self.bits.jobs.values().filter(live).count();
            if all >= self.bits.policy.max_jobs_per_machine {
                rules.push(ids::QUOTA);
                return Err(HResult::BgETooManyJobsPerMachine);
            }
        }
        rules.push(ids::CREATE);
        let owner = self.owner_from(&caller);
        self.bits.next_job += 1;
        let id = JobId(self.bits.next_job);
        let now = self.host.now;
        let job = Job {
            id,
            display_name: name.to_string(),
            description: String::new(),
            job_type,
            state: JobState::Suspended,
            owner,
            helper: None,
            helper_flags: 0,
            files: Vec::new(),
            reply_file: None,
            priority: crate::job::priority::NORMAL,
            minimum_retry_delay: 600,
            no_progress_timeout: 1_209_600,
            error: None,
            error_count: 0,
            times: Times {
                creation: now,
                modification: now,
                transfer_completion: 0,
            },
            last_progress: now,
            last_activity: now,
            transient_since: None,
            turn_started: None,
            notify_flags: notify_flags::DEFAULT,
            notify_interface: false,
            notify_cmdline: None,
            credentials: std::collections::BTreeMap::new(),
            client_certificate: None,
            custom_headers: None,
            security_flags: 0,
            proxy: (0, None, None),
            properties: crate::properties::JobProperties::default(),
            resumed: false,
        };
        let grant = self.grant(token, &job);
        self.bits.log.push(BitsEvent::JobCreated {
            job: id,
            owner: sid,
        });
        self.bits.jobs.insert(id, Shared::new(job));
        let pointer = self.issue(
            Interface::Job,
            Target::Job { job: id },
            caller.process,
            &caller.token.user.sid,
            grant,
            rules,
        );
        Ok(Reply::ok(Value::Job { job: id, pointer }))
    }

    /// The owner record for a caller (CreateJob, TakeOwnership).
    pub(crate) fn owner_from(&mut self, caller: &Caller) -> Owner {
        let token = &caller.token;
        let sid = token.user.sid.clone();
        let service_account = builtin_of(&sid);
        let account = self
            .host
            .logon_of(caller.token_id)
            .map(|l| l.account.clone())
            .unwrap_or_else(|| sid.to_string());
        let service_token = service_account.map(|who| self.service_token(who));
        Owner {
            sid,
            account,
            elevated: is_elevated(token),
            integrity: token.integrity.0,
            admin: self.is_admin(token),
            always_logged_on: service_account.is_some(),
            service_token,
        }
    }

    /// The token BITS acts with for a service identity: its own for
    /// LocalSystem, a service logon of the identity otherwise.
    fn service_token(&mut self, who: simos::BuiltinIdentity) -> TokenId {
        if who == simos::BuiltinIdentity::LocalSystem {
            if let Some(p) = self.host.processes.get(&self.bits.process) {
                return p.primary_token;
            }
        }
        let machine = self.bits.machine.clone();
        self.host.builtin_token(&machine, who)
    }

    fn get_job(
        &mut self,
        thread: ThreadId,
        id: JobId,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let caller = self.identify(thread, rules)?;
        let hide_final = self.rules.checks.final_jobs_hidden;
        let Some(job) = self
            .bits
            .jobs
            .get(&id)
            .filter(|j| !(hide_final && j.state.is_final()))
        else {
            rules.push(ids::NOT_FOUND);
            return Err(HResult::BgENotFound);
        };
        let grant = self.grant(&caller.token, job);
        self.record_grant(&caller.token, id, &grant);
        if !grant.read {
            rules.extend(grant.denied_by);
            return Err(HResult::EAccessDenied);
        }
        let pointer = self.issue(
            Interface::Job,
            Target::Job { job: id },
            caller.process,
            &caller.token.user.sid,
            grant,
            rules,
        );
        Ok(Reply::ok(Value::Pointer { pointer }))
    }

    fn enum_jobs(
        &mut self,
        thread: ThreadId,
        all_users: bool,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let caller = self.identify(thread, rules)?;
        rules.push(ids::ENUM);
        if all_users && !self.is_admin(&caller.token) && self.rules.checks.enum_all_needs_admin {
            return Err(HResult::EAccessDenied);
        }
        let items: Vec<(JobId, Grant)> = self
            .bits
            .jobs
            .values()
            .filter(|j| !j.state.is_final())
            .filter(|j| all_users || j.owner.sid == caller.token.user.sid)
            .map(|j| (j.id, self.grant(&caller.token, j)))
            .filter(|(_, g)| g.read)
            .collect();
        let grant = Grant {
            read: true,
            modify: false,
            owner_match: false,
            admin: self.is_admin(&caller.token),
            denied_by: None,
        };
        let listed = items.len() as u64;
        let pointer = self.issue(
            Interface::EnumJobs,
            Target::Jobs { items, position: 0 },
            caller.process,
            &caller.token.user.sid,
            grant,
            rules,
        );
        Ok(Reply::ok(Value::Pointer { pointer }).counting(listed))
    }

    /// `QueryInterface`: the interface must be one the object behind the
    /// pointer implements and the release ships (`BITS-INTERFACES`,
    /// `BITS-TOKEN-OPTIONS`); for the job object the access check runs
    /// here when the profile checks at QueryInterface. The new pointer is
    /// bound to the caller of this call.
    fn query_interface(
        &mut self,
        thread: ThreadId,
        pointer: PointerId,
        interface: Interface,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let p = self
            .bits
            .pointers
            .get(&pointer)
            .cloned()
            .ok_or(HResult::EHandle)?;
        rules.push(ids::INTERFACES);
        let object = match &p.target {
            Target::Manager => ComObject::Manager,
            Target::Job { .. } => ComObject::Job,
            Target::File { .. } => ComObject::File,
            Target::Jobs { .. } | Target::Files { .. } => return Err(HResult::ENoInterface),
        };
        if interface.object() != object {
            return Err(HResult::ENoInterface);
        }
        if interface == Interface::TokenOptions {
            if !self.rules.token_options {
                rules.push(ids::TOKEN_OPTIONS);
                return Err(HResult::ENoInterface);
            }
        } else if !self.rules.interfaces.contains(interface) {
            return Err(HResult::ENoInterface);
        }
        let caller = self.identify(thread, rules)?;
        let grant = match &p.target {
            Target::Job { job } => {
                let j = self.bits.jobs.get(job).ok_or(HResult::EHandle)?;
                let grant = self.grant(&caller.token, j);
                rules.push(crate::profile::switch_ids::ACCESS_CHECK_AT);
                if self.rules.access_check == AccessCheckAt::QueryInterface {
                    rules.push(ids::QI_CHECK);
                    let job = *job;
                    self.record_grant(&caller.token, job, &grant);
                    if !grant.read {
                        rules.extend(grant.denied_by);
                        return Err(HResult::EAccessDenied);
                    }
                }
                grant
            }
            // A file and the manager carry what their pointer carried.
            _ => p.grant,
        };
        let new = self.issue(
            interface,
            p.target.clone(),
            caller.process,
            &caller.token.user.sid,
            grant,
            rules,
        );
        Ok(Reply::ok(Value::Pointer { pointer: new }))
    }

    /// The access a method call has: what the pointer was granted (check
    /// at QueryInterface) or the caller's access now (check on every call).
    pub(crate) fn access_for_call(
        &mut self,
        thread: ThreadId,
        pointer: &Pointer,
        job: JobId,
        rules: &mut Vec<&'static str>,
    ) -> Result<(Grant, Option<Caller>), HResult> {
        rules.push(ids::QI_CHECK);
        rules.push(crate::profile::switch_ids::ACCESS_CHECK_AT);
        match self.rules.access_check {
            AccessCheckAt::QueryInterface => Ok((pointer.grant, None)),
            AccessCheckAt::EveryCall => {
                let caller = self.identify(thread, rules)?;
                let j = self.bits.jobs.get(&job).ok_or(HResult::EHandle)?;
                let mut grant = self.grant(&caller.token, j);
                // Condition (a) is about the QueryInterface, whatever the profile.
                grant.owner_match = pointer.grant.owner_match;
                Ok((grant, Some(caller)))
            }
        }
    }

    /// Checks that a call may do what it needs on a job.
    pub(crate) fn require(
        grant: &Grant,
        needs: Needs,
        rules: &mut Vec<&'static str>,
    ) -> Result<(), HResult> {
        let ok = match needs {
            Needs::Nothing => true,
            Needs::Read => grant.read,
            Needs::Modify => grant.modify,
        };
        if ok {
            Ok(())
        } else {
            rules.extend(grant.denied_by);
            Err(HResult::EAccessDenied)
        }
    }

    fn method(
        &mut self,
        thread: ThreadId,
        pointer: PointerId,
        method: &Method,
        rules: &mut Vec<&'static str>,
    ) -> CallResult {
        let p = self
            .bits
            .pointers
            .get(&pointer)
            .cloned()
            .ok_or(HResult::EHandle)?;
        if !method.callable_on(p.interface) {
            return Err(HResult::ENoInterface);
        }
        match p.target.clone() {
            Target::Manager => match method {
                Method::CreateJob { name, job_type } => {
                    self.create_job(thread, name, *job_type, rules)
                }
                Method::GetJob { job } => self.get_job(thread, *job, rules),
                Method::EnumJobs { all_users } => self.enum_jobs(thread, *all_users, rules),
                _ => Err(HResult::ENoInterface),
            },
            Target::Jobs { items, position } => {
                self.enum_jobs_method(&p, items, position, method, rules)
            }
            Target::Files {
                job,
                count,
                position,
            } => self.enum_files_method(&p, job, count, position, method, rules),
            Target::File { job, index } => self.file_method(job, index, method),
            Target::Job { job } => {
                let (grant, caller) = self.access_for_call(thread, &p, job, rules)?;
                World::require(&grant, method.needs(), rules)?;
                self.job_method(thread, &p, job, grant, caller, method, rules)
            }
        }
    }
}
