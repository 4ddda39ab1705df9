//! The web-host steps of a scenario: `start_site`, `WebRequest`,
//! `ImpersonateIntPtrZero` and `Undo`. Each drives `webhost`, whose host
//! operations come back here one at a time ([`Driver`]) and go through
//! `World::apply` like every other step's, with the invariants checked
//! after each and their events, rules and access-check trails recorded on
//! the step.

use simos::{ApiResult, FlowPolicy, Host};
use webhost::{Account, AppPool, Authentication, Client, HostApi, Pipeline, Site};
use winsec::Win32Error;

use super::{split_account, Bound, Runner, StepRecord, StepResult};
use crate::run::{Check, ResultText};
use crate::vocab;
use bits::Op;
use oracle::Transition;
use scenario::format::Choice;
use scenario::format::{SiteSpec, Step};
use scenario::names::{self, Named};

/// Applies `webhost`'s host operations through the runner's world.
struct Driver<'r> {
    runner: &'r mut Runner,
    record: &'r mut StepRecord,
}

impl HostApi for Driver<'_> {
    fn apply_op(&mut self, op: &simos::Op) -> simos::Outcome {
        let op = Op::Host { op: op.clone() };
        let before = self.runner.world.clone();
        let outcome = self.runner.world.apply(&op);
        for id in &outcome.rules {
            if !self.record.rules.contains(id) {
                self.record.rules.push(id);
            }
        }
        self.runner.record_outcome(&outcome, self.record);
        self.record
            .violations
            .extend(oracle::check_all(&Transition {
                before: &before,
                op: &op,
                outcome: &outcome,
                after: &self.runner.world,
                rules: &self.runner.reference,
            }));
        simos::Outcome {
            result: outcome.host_result.clone().unwrap_or(ApiResult::Err {
                error: Win32Error::InvalidParameter,
            }),
            events: outcome.host_events.clone(),
            rules: outcome.rules.clone(),
            checks: outcome.host_checks.clone(),
            conditions: outcome.conditions.clone(),
        }
    }

    fn host(&self) -> &Host {
        &self.runner.world.host
    }
}

impl Runner {
    /// Carries out a web-host step; `None` for every other step.
    pub(super) fn web_step(
        &mut self,
        step: &Step,
        record: &mut StepRecord,
    ) -> Option<StepResult<()>> {
        let done = match step {
            Step::StartSite(s) => self.start_site(&s.site, &s.bind, s.expect.as_ref(), record),
            Step::WebRequest(w) => self.web_request(w, record),
            Step::ImpersonateIntPtrZero(c) => {
                self.page_call(&c.worker, true, c.expect.as_ref(), record)
            }
            Step::Undo(c) => self.page_call(&c.worker, false, c.expect.as_ref(), record),
            _ => return None,
        };
        Some(done)
    }

    fn site(&self, name: &str) -> StepResult<Site> {
        let spec = self
            .sites
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("no site named `{name}` in the host section"))?;
        site_of(&self.world, spec)
    }

    fn start_site(
        &mut self,
        site: &str,
        bind: &str,
        expect: Option<&scenario::format::Expected>,
        record: &mut StepRecord,
    ) -> StepResult<()> {
        let site = self.site(site)?;
        let started = webhost::start(
            &mut Driver {
                runner: self,
                record,
            },
            &site,
        );
        let actual = match &started {
            Ok(worker) => {
                cite_web_rules(record, &worker.rules);
                let at = record.events.len();
                self.bind_name(bind, Bound::Thread(worker.thread), at);
                self.participant(bind);
                "success".to_string()
            }
            Err(e) => failure_name(e),
        };
        let wanted = self.wanted(expect);
        finish(record, "result", wanted, actual);
        Ok(())
    }

    fn web_request(
        &mut self,
        w: &scenario::format::WebRequest,
        record: &mut StepRecord,
    ) -> StepResult<()> {
        let site = self.site(&w.site)?;
        let worker = self.thread(&w.worker)?;
        let (user, domain) = split_account(&self.world, &w.client);
        let client = Client {
            machine: w.machine.clone().unwrap_or_else(|| "WS01".to_string()),
            account: Account::new(&user, domain.as_deref()),
        };
        record.actor = Some(w.worker.clone());
        let served = webhost::request(
            &mut Driver {
                runner: self,
                record,
            },
            &site,
            worker,
            &client,
        );
        let actual = match served {
            Ok(request) => {
                cite_web_rules(record, &request.rules);
                self.requests.insert(w.worker.clone(), request);
                "200".to_string()
            }
            Err(e) => {
                if let Some(id) = e.rule {
                    record.rules.push(id);
                }
                match e.failure {
                    webhost::Failure::Http { status, substatus } => {
                        format!("{status}.{substatus}")
                    }
                    webhost::Failure::Win32(_) if e.step == "Windows authentication" => {
                        "401".to_string()
                    }
                    webhost::Failure::Win32(err) => err.name().to_string(),
                }
            }
        };
        let wanted = Choice::Is(w.status.clone().unwrap_or_else(|| "200".to_string()));
        finish(record, "status", wanted, actual);
        Ok(())
    }

    fn page_call(
        &mut self,
        worker: &str,
        zero: bool,
        expect: Option<&scenario::format::Expected>,
        record: &mut StepRecord,
    ) -> StepResult<()> {
        let mut request = self
            .requests
            .remove(worker)
            .ok_or_else(|| format!("`{worker}` serves no request (a WebRequest step first)"))?;
        record.actor = Some(worker.to_string());
        let outcome = if zero {
            webhost::impersonate_zero(
                &mut Driver {
                    runner: self,
                    record,
                },
                &mut request,
            )
            .map(|context| {
                self.contexts.insert(worker.to_string(), context);
            })
        } else {
            let context = self
                .contexts
                .remove(worker)
                .ok_or_else(|| format!("`{worker}` has no impersonation context to undo"))?;
            webhost::undo(
                &mut Driver {
                    runner: self,
                    record,
                },
                &mut request,
                context,
            )
        };
        cite_web_rules(record, &request.rules);
        self.requests.insert(worker.to_string(), request);
        let actual = match &outcome {
            Ok(()) => "success".to_string(),
            Err(e) => failure_name(e),
        };
        let wanted = self.wanted(expect);
        finish(record, "result", wanted, actual);
        Ok(())
    }
}

impl Runner {
    /// The result a step expects under the running profile.
    fn wanted(&self, expect: Option<&scenario::format::Expected>) -> Choice<String> {
        expect
            .and_then(|e| e.for_profile(self.profile.name()))
            .cloned()
            .unwrap_or_else(|| Choice::Is("success".to_string()))
    }
}

/// Adds the web host's own rule ids (`WEB-*`) among `rules` to the step;
/// the host rules were recorded operation by operation already.
fn cite_web_rules(record: &mut StepRecord, rules: &[&'static str]) {
    for id in rules {
        if id.starts_with("WEB-") && !record.rules.contains(id) {
            record.rules.push(id);
        }
    }
}

/// Records the step's result and its one check.
fn finish(record: &mut StepRecord, what: &str, wanted: Choice<String>, actual: String) {
    // An HTTP status or a Win32 name; there is no HRESULT to show.
    record.result = Some(ResultText {
        name: actual.clone(),
        hex: String::new(),
    });
    record.checks.push(Check {
        what: what.to_string(),
        ok: wanted.holds(|w| *w == actual),
        expected: wanted.to_string(),
        actual,
    });
}

fn failure_name(e: &webhost::WebError) -> String {
    match e.failure {
        webhost::Failure::Win32(err) => err.name().to_string(),
        webhost::Failure::Http { status, substatus } => format!("{status}.{substatus}"),
    }
}

/// The `webhost::Site` a site entry describes.
pub(super) fn site_of(world: &bits::World, spec: &SiteSpec) -> StepResult<Site> {
    let machine = spec.machine.clone().unwrap_or_else(|| "WEB".to_string());
    let account = |name: &str| {
        let (user, domain) = split_account(world, name);
        Account::new(&user, domain.as_deref())
    };
    let pool = match spec.pool.as_deref().unwrap_or("NetworkService") {
        "NetworkService" => AppPool::NetworkService,
        "LocalSystem" => AppPool::LocalSystem,
        other => AppPool::Account(account(other)),
    };
    let mapped = || {
        spec.account
            .clone()
            .ok_or_else(|| format!("site `{}`: a client certificate needs `account`", spec.name))
    };
    let authentication = match spec
        .authentication
        .as_ref()
        .map_or(names::SiteAuthentication::Anonymous, Named::get)
    {
        names::SiteAuthentication::Anonymous => match spec.account.as_deref() {
            Some("pool") => Authentication::Anonymous(None),
            Some(name) => Authentication::Anonymous(Some(account(name))),
            None => Authentication::Anonymous(Some(Account::new("IUSR", None))),
        },
        names::SiteAuthentication::Basic => Authentication::Basic,
        names::SiteAuthentication::Digest => Authentication::Digest,
        names::SiteAuthentication::IwaNtlm => Authentication::IntegratedNtlm,
        names::SiteAuthentication::IwaKerberos => Authentication::IntegratedKerberos,
        names::SiteAuthentication::ClientCertificateIis => {
            Authentication::ClientCertificateIis(account(&mapped()?))
        }
        names::SiteAuthentication::ClientCertificateAd => {
            Authentication::ClientCertificateAd(mapped()?)
        }
    };
    let pipeline = match spec
        .pipeline
        .as_ref()
        .map_or(names::Pipeline::Classic, Named::get)
    {
        names::Pipeline::Classic => Pipeline::Classic,
        names::Pipeline::Integrated => Pipeline::Integrated {
            validate_configuration: true,
        },
        names::Pipeline::IntegratedNoValidation => Pipeline::Integrated {
            validate_configuration: false,
        },
    };
    let flow: FlowPolicy =
        vocab::flow_policy(spec.flow.as_ref().map_or(names::Flow::Aspnet, Named::get));
    Ok(Site {
        impersonate: spec.impersonate,
        forms: spec.forms,
        pipeline,
        flow,
        ..Site::new(
            &machine,
            &spec.name,
            spec.spn.as_deref().unwrap_or("HTTP/web.corp.example"),
            pool,
            authentication,
        )
    })
}
