//! The HTML report: one self-contained page (no network, no external
//! script, style or font) showing runs as a sequence diagram drawn here
//! as SVG, the steps with their results, expandable decision trails whose
//! rule ids link to the rule's statement and source, and a world
//! inspector for each step (tokens, logon and terminal sessions, threads,
//! jobs).
//!
//! This module owns the page's markup, its style and its small script,
//! and the layout of the diagram. Everything is computed from the runs'
//! data (the trace events, the decisions, the world views of
//! [`crate::inspect`]); the same input gives the same bytes. The page's
//! Content-Security-Policy allows nothing but its own inline style and
//! script, by hash.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use bits::{BitsEvent, JobState, Resource};
use sha2::{Digest, Sha256};

use crate::inspect::{Party, TokenView, View};
use crate::run::{Run, StepRecord};
use crate::trace::{self, Detail, Names, TraceEvent};

/// The page's style sheet (also used by the playground page).
pub const STYLE: &str = include_str!("html/report.css");

/// The page's script: the step selector of the world inspector, the
/// expand/collapse buttons, and opening every trail before printing.
pub const SCRIPT: &str = include_str!("html/report.js");

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The CSP source for an inline block: `'sha256-…'`.
pub fn csp_hash(text: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(text.as_bytes())))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The Content-Security-Policy of the report page: nothing may load; the
/// inline style and script run because their hashes are listed.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// The whole page for `runs`, titled `title`.
pub fn document(title: &str, runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
        escape(&content_security_policy()),
        escape(title),
        STYLE
    );
    out.push_str(&body(title, runs));
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

/// The report without the page around it: what the playground puts in
/// its own page.
pub fn body(title: &str, runs: &[Run]) -> String {
    let mut out = String::from("<div class=\"bitsim-report\">\n");
    let passed = runs.iter().filter(|r| r.passed()).count();
    let _ = writeln!(
        out,
        "<header><h1>{}</h1><p class=\"summary\">{} run{} — {passed} held, {} failed \
         <button type=\"button\" class=\"expand\">expand all</button></p>",
        escape(title),
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        runs.len() - passed
    );
    if runs.len() > 1 {
        out.push_str("<nav><ul>");
        for (i, r) in runs.iter().enumerate() {
            let _ = write!(
                out,
                "<li><a href=\"#r{i}\">{} [{}]</a> <span class=\"{}\">{}</span></li>",
                escape(&r.scenario),
                escape(r.profile),
                if r.passed() { "ok" } else { "bad" },
                if r.passed() { "held" } else { "FAILED" }
            );
        }
        out.push_str("</ul></nav>");
    }
    out.push_str("</header>\n");
    let mut rules: BTreeSet<&'static str> = BTreeSet::new();
    for (i, r) in runs.iter().enumerate() {
        run_section(&mut out, i, r, &mut rules);
    }
    rules_section(&mut out, &rules);
    out.push_str("</div>\n");
    out
}

fn run_section(out: &mut String, i: usize, run: &Run, rules: &mut BTreeSet<&'static str>) {
    let status = if run.passed() {
        "held".to_string()
    } else {
        format!("FAILED at step {}", run.failure().map_or(0, |s| s.number))
    };
    let _ = writeln!(
        out,
        "<section class=\"run\" id=\"r{i}\">\n<h2>{} <span class=\"profile\">[{}]</span> \
         <span class=\"{}\">{status}</span></h2>\n<p class=\"file\">{}</p>",
        escape(&run.scenario),
        escape(run.profile),
        if run.passed() { "ok" } else { "bad" },
        escape(&run.file)
    );
    out.push_str("<h3>Sequence</h3>\n<div class=\"diagram\">");
    out.push_str(&sequence_svg(run, i));
    out.push_str("</div>\n<h3>Steps</h3>\n<ol class=\"steps\">\n");
    let lines = crate::report::lines(run);
    for (s, l) in run.steps.iter().zip(&lines) {
        step_item(out, i, run, s, l, rules);
    }
    out.push_str("</ol>\n");
    inspector(out, i, run);
    out.push_str("</section>\n");
}

fn result_class(s: &StepRecord) -> &'static str {
    let result_ok = s
        .checks
        .iter()
        .find(|c| c.what == "result")
        .is_none_or(|c| c.ok);
    match &s.result {
        _ if !result_ok => "bad",
        Some(r) if r.name.starts_with("S_") || r.name.starts_with("BG_S_") => "ok",
        Some(_) => "code",
        None => "",
    }
}

fn step_item(
    out: &mut String,
    i: usize,
    run: &Run,
    s: &StepRecord,
    lines: &crate::report::Lines,
    rules: &mut BTreeSet<&'static str>,
) {
    let n = s.number;
    let _ = write!(
        out,
        "<li class=\"step {}\" id=\"r{i}-s{n}\" value=\"{n}\"><div class=\"call\">\
         <span class=\"line\">line {}</span> ",
        if s.passed() { "held" } else { "failed" },
        s.line
    );
    if let Some(a) = &s.actor {
        let _ = write!(out, "<span class=\"actor\">{}</span>: ", escape(a));
    }
    let _ = write!(
        out,
        "<b>{}</b> <code>{}</code>",
        escape(&s.kind),
        escape(&s.args)
    );
    if let Some(r) = &s.result {
        let _ = write!(
            out,
            " → <span class=\"result {}\">{}</span> <span class=\"hex\">{}</span>",
            result_class(s),
            escape(&r.name),
            escape(&r.hex)
        );
    }
    if run.views.get(n - 1).is_some_and(|v| v.world.is_some()) {
        let _ = write!(
            out,
            " <a class=\"world-link\" href=\"#r{i}-w{n}\">world after step {n}</a>"
        );
    }
    out.push_str("</div>\n");
    if !lines.events.is_empty() {
        out.push_str("<ul class=\"events\">");
        for (e, text) in s.events.iter().zip(&lines.events) {
            let _ = write!(
                out,
                "<li class=\"{}\">{}</li>",
                event_class(e),
                escape(text)
            );
        }
        out.push_str("</ul>\n");
    }
    if !s.checks.is_empty() || !s.violations.is_empty() || s.error.is_some() {
        out.push_str("<ul class=\"checks\">");
        for c in &s.checks {
            let _ = write!(
                out,
                "<li class=\"{}\">{}: {} expected {}, got {}</li>",
                if c.ok { "ok" } else { "bad" },
                if c.ok { "ok" } else { "FAILED" },
                escape(&c.what),
                escape(&c.expected),
                escape(&c.actual)
            );
        }
        for v in &s.violations {
            let _ = write!(
                out,
                "<li class=\"bad\">INVARIANT {} broken: {}</li>",
                escape(&v.invariant),
                escape(&v.message)
            );
        }
        if let Some(e) = &s.error {
            let _ = write!(out, "<li class=\"bad\">ERROR: {}</li>", escape(e));
        }
        out.push_str("</ul>\n");
    }
    let decisions = s.details.len();
    if !s.rules.is_empty() || decisions > 0 {
        let _ = write!(
            out,
            "<details class=\"why\"><summary>why: {} rule{}, {} decision{}</summary>\n<ul class=\"rules\">",
            s.rules.len(),
            if s.rules.len() == 1 { "" } else { "s" },
            decisions,
            if decisions == 1 { "" } else { "s" }
        );
        for r in &s.rules {
            rules.insert(r);
            let statement = crate::report::rule_text(r).map_or("", |(st, _)| st);
            let _ = write!(out, "<li>{} {}</li>", rule_link(r), escape(statement));
        }
        out.push_str("</ul>\n");
        for d in &s.details {
            detail(out, d, rules);
        }
        out.push_str("</details>\n");
    }
    out.push_str("</li>\n");
}

fn rule_anchor(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn rule_link(id: &str) -> String {
    format!(
        "<a class=\"rule\" href=\"#rule-{}\">{}</a>",
        rule_anchor(id),
        escape(id)
    )
}

fn detail(out: &mut String, d: &Detail, rules: &mut BTreeSet<&'static str>) {
    match d {
        Detail::Check { object, result } => {
            let verdict = match (result.access_status, result.granted) {
                (Some(true), Some(g)) => format!("granted {g}"),
                _ => format!(
                    "denied{}",
                    result
                        .error
                        .map_or_else(String::new, |e| format!(" ({})", e.name()))
                ),
            };
            let _ = write!(
                out,
                "<div class=\"trail\"><p>access check on <code>{}</code>: <span class=\"{}\">{}</span></p><ol>",
                escape(object),
                if result.is_granted() { "ok" } else { "bad" },
                escape(&verdict)
            );
            for step in &result.trail {
                rules.insert(step.rule);
                let _ = write!(out, "<li>{} {}", rule_link(step.rule), escape(&step.note));
                if let Some(ace) = &step.ace {
                    let _ = write!(out, " — ACE <code>{}</code>", escape(ace));
                }
                out.push_str("</li>");
            }
            out.push_str("</ol></div>\n");
        }
        Detail::Condition {
            rule,
            finding,
            effect,
        } => {
            rules.insert(rule);
            let _ = writeln!(
                out,
                "<p class=\"condition\">{}: {} → <span class=\"{}\">{}</span></p>",
                rule_link(rule),
                escape(finding),
                if *effect == bits::Effect::Refused {
                    "bad"
                } else {
                    "ok"
                },
                escape(effect.word())
            );
        }
        Detail::Saw { .. } | Detail::Cut { .. } => {
            for l in trace::detail_lines(d) {
                let _ = writeln!(out, "<p class=\"saw\">{}</p>", escape(&l));
            }
        }
    }
}

fn event_class(e: &TraceEvent) -> &'static str {
    match e {
        TraceEvent::Bits(BitsEvent::StateChanged { to, .. }) => match to {
            JobState::Error | JobState::TransientError => "state bad",
            _ => "state",
        },
        TraceEvent::Bits(BitsEvent::HelperTokenSet { .. }) => "capture",
        TraceEvent::Bits(BitsEvent::HelperTokenDiscarded { .. }) => "discard",
        TraceEvent::Bits(BitsEvent::ResourceAccess { granted: false, .. })
        | TraceEvent::Host(simos::Event::Access { granted: false, .. }) => "bad",
        TraceEvent::Host(simos::Event::Logoff { .. }) => "logoff",
        _ => "",
    }
}

fn rules_section(out: &mut String, rules: &BTreeSet<&'static str>) {
    if rules.is_empty() {
        return;
    }
    out.push_str("<section class=\"rule-index\" id=\"rules\">\n<h2>Rules cited</h2>\n<dl>\n");
    for r in rules {
        let (statement, source) = crate::report::rule_text(r).unwrap_or(("", ""));
        let _ = writeln!(
            out,
            "<dt id=\"rule-{}\">{}</dt><dd>{} <cite>{}</cite></dd>",
            rule_anchor(r),
            escape(r),
            escape(statement),
            escape(source)
        );
    }
    out.push_str("</dl>\n</section>\n");
}

// ----- the world inspector -----

fn inspector(out: &mut String, i: usize, run: &Run) {
    let with_views: Vec<(usize, &View)> = run
        .views
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.world.as_ref().map(|w| (k + 1, w)))
        .collect();
    if with_views.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h3>World inspector</h3>\n<p class=\"controls\"><label>inspect the world after \
         <select class=\"inspect\" data-run=\"{i}\">"
    );
    for (n, _) in &with_views {
        let step = run.steps.get(n - 1);
        let _ = write!(
            out,
            "<option value=\"r{i}-w{n}\">step {n}{}</option>",
            step.map_or_else(String::new, |s| format!(": {}", escape(&s.kind)))
        );
    }
    out.push_str("</select></label> (or follow a step's “world after” link)</p>\n");
    if with_views.len() < run.steps.len() {
        out.push_str(
            "<p class=\"note\">Only some steps of this run kept a view of the world (a \
             run's views are budgeted, and a library's page keeps the last step of a run that \
             held); <code>bitsim run FILE --format html</code> shows every step's.</p>\n",
        );
    }
    let mut distinct: Vec<(&TokenView, Vec<usize>)> = Vec::new();
    for (n, v) in &with_views {
        for t in &v.tokens {
            match distinct.iter_mut().find(|(d, _)| *d == t) {
                Some((_, steps)) => steps.push(*n),
                None => distinct.push((t, vec![*n])),
            }
        }
    }
    let card = |t: &TokenView| distinct.iter().position(|(d, _)| *d == t).unwrap_or(0);
    for (n, v) in &with_views {
        world_section(out, i, *n, run, v, &card);
    }
    let _ = writeln!(
        out,
        "<details class=\"token-store\"><summary>Every token of this run ({} versions)</summary>",
        distinct.len()
    );
    for (k, (t, steps)) in distinct.iter().enumerate() {
        token_card(out, &format!("r{i}-t{k}"), t, steps);
    }
    out.push_str("</details>\n");
}

/// `1`, `1–4`, `2, 5–7`: step numbers as ranges.
fn ranges(steps: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < steps.len() {
        let start = steps[k];
        let mut end = start;
        while k + 1 < steps.len() && steps[k + 1] == end + 1 {
            k += 1;
            end = steps[k];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
        k += 1;
    }
    parts.join(", ")
}

fn token_ref(v: &View, id: Option<u64>) -> String {
    match id.and_then(|id| v.token(id)) {
        Some(t) => format!("{} ({})", escape(&t.label()), escape(&t.user.name)),
        None => id.map_or_else(|| "—".to_string(), |id| format!("token#{id}")),
    }
}

fn world_section(
    out: &mut String,
    i: usize,
    n: usize,
    run: &Run,
    v: &View,
    card: &dyn Fn(&TokenView) -> usize,
) {
    let _ = write!(
        out,
        "<section class=\"world\" id=\"r{i}-w{n}\">\n<h4>World after step {n}{} — clock {}</h4>\n",
        run.steps
            .get(n - 1)
            .map_or_else(String::new, |s| format!(" ({})", escape(&s.kind))),
        v.time
    );
    if !v.jobs.is_empty() {
        out.push_str("<table class=\"jobs\"><caption>Jobs</caption><tr><th>job</th><th>state</th><th>owner</th><th>helper token</th><th>flags</th><th>files</th><th>error</th></tr>\n");
        for j in &v.jobs {
            let state = j.state.trim_start_matches("BG_JOB_STATE_");
            let helper = j.helper.as_ref().map_or_else(
                || "none".to_string(),
                |h| {
                    format!(
                        "{} ({}, session {})",
                        escape(&h.account.name),
                        token_ref(v, Some(h.token)),
                        h.ts_session
                    )
                },
            );
            let files: Vec<String> = j
                .files
                .iter()
                .map(|f| {
                    format!(
                        "{} → {} ({}/{}{})",
                        escape(&f.remote),
                        escape(&f.local),
                        f.bytes_transferred,
                        f.bytes_total
                            .map_or_else(|| "?".to_string(), |t| t.to_string()),
                        if f.completed { ", done" } else { "" }
                    )
                })
                .collect();
            let error = j.error.as_ref().map_or_else(
                || "none".to_string(),
                |e| {
                    format!(
                        "{} {} in {}",
                        escape(&e.code),
                        escape(&e.hex),
                        escape(e.context.trim_start_matches("BG_ERROR_CONTEXT_"))
                    )
                },
            );
            let _ = writeln!(
                out,
                "<tr class=\"job-{}\"><td>{} <span class=\"hex\">{}</span></td><td class=\"jobstate\">{}</td><td>{}{}</td><td class=\"helper\">{helper}</td><td>{}</td><td>{}</td><td>{error}</td></tr>",
                escape(&state.to_ascii_lowercase()),
                escape(&j.name),
                escape(&j.id),
                escape(state),
                escape(&j.owner.name),
                if j.owner_elevated { " (elevated)" } else { "" },
                escape(&j.helper_flag_names),
                files.join("<br>")
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("<table class=\"threads\"><caption>Threads</caption><tr><th>thread</th><th>process</th><th>process token</th><th>impersonating</th></tr>\n");
    for t in &v.threads {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.name),
            escape(&t.image),
            if t.alive { "" } else { " (exited)" },
            token_ref(v, t.process_token),
            if t.impersonating.is_some() {
                token_ref(v, t.impersonating)
            } else {
                "no".to_string()
            }
        );
    }
    out.push_str("</table>\n<table class=\"tokens\"><caption>Tokens</caption><tr><th>token</th><th>user</th><th>type</th><th>integrity</th><th>elevation</th><th>groups</th><th>privileges</th><th>used by</th></tr>\n");
    for t in &v.tokens {
        let enabled = t.privileges.iter().filter(|p| p.state == "Enabled").count();
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#r{i}-t{}\">{}</a></td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ({enabled} enabled)</td><td>{}</td></tr>",
            card(t),
            escape(&t.label()),
            escape(&t.user.name),
            escape(&t.token_type),
            t.level
                .as_ref()
                .map_or_else(String::new, |l| format!(" ({})", escape(l))),
            escape(t.integrity.name.trim_start_matches("Mandatory Label\\")),
            escape(t.elevation.trim_start_matches("TokenElevationType")),
            t.groups.len(),
            t.privileges.len(),
            escape(&v.uses(t.id).join("; "))
        );
    }
    out.push_str("</table>\n");
    out.push_str("<table class=\"logons\"><caption>Logon sessions</caption><tr><th>LUID</th><th>account</th><th>type</th><th>package</th><th>network credentials</th><th>session</th><th>Winlogon</th><th>state</th></tr>\n");
    for l in &v.logons {
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>0x{:X}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if l.active { "" } else { "ended" },
            l.id,
            escape(&l.account.name),
            escape(&l.logon_type),
            escape(&l.package),
            escape(&l.credentials),
            l.ts_session,
            if l.winlogon { "yes" } else { "no" },
            if l.active { "active" } else { "logged off" }
        );
    }
    out.push_str("</table>\n<table class=\"sessions\"><caption>Terminal sessions</caption><tr><th>machine</th><th>session</th><th>state</th></tr>\n");
    for s in &v.sessions {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.machine),
            s.id,
            if s.active { "active" } else { "ended" }
        );
    }
    out.push_str("</table>\n</section>\n");
}

fn token_card(out: &mut String, id: &str, t: &TokenView, steps: &[usize]) {
    let _ = writeln!(
        out,
        "<details class=\"token\" id=\"{id}\"><summary><b>{}</b> {} — {}{} — {} — {} <span class=\"seen\">(after step{} {})</span></summary>",
        escape(&t.label()),
        escape(&t.user.name),
        escape(&t.token_type),
        t.level
            .as_ref()
            .map_or_else(String::new, |l| format!(" ({})", escape(l))),
        escape(&t.integrity.name),
        escape(&t.elevation),
        if steps.len() == 1 { "" } else { "s" },
        ranges(steps)
    );
    let _ = writeln!(
        out,
        "<table class=\"user\"><tr><th>User Name</th><th>SID</th></tr><tr><td>{}</td><td>{}</td></tr></table>",
        escape(&t.user.name),
        escape(&t.user.sid)
    );
    out.push_str("<table class=\"groups\"><tr><th>Group Name</th><th>Type</th><th>SID</th><th>Attributes</th></tr>\n");
    for g in &t.groups {
        let deny = g.attributes.iter().any(|a| a == "Group used for deny only");
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if deny { " class=\"deny\"" } else { "" },
            escape(&g.name),
            escape(&g.kind),
            escape(&g.sid),
            escape(&g.attributes.join(", "))
        );
    }
    out.push_str("</table>\n<table class=\"privileges\"><tr><th>Privilege Name</th><th>Description</th><th>State</th></tr>\n");
    for p in &t.privileges {
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.state.to_ascii_lowercase(),
            escape(&p.name),
            escape(&p.description),
            escape(&p.state)
        );
    }
    let _ = write!(
        out,
        "</table>\n<p class=\"facts\">token#{} · integrity {} · {} · linked token {} · logon SID {} · session {} · logon session 0x{:X}",
        t.id,
        escape(&t.integrity.sid),
        escape(&t.elevation),
        t.linked_token
            .map_or_else(|| "none".to_string(), |l| format!("token#{l}")),
        escape(t.logon_sid.as_deref().unwrap_or("none")),
        t.session,
        t.logon
    );
    if !t.restricted_sids.is_empty() {
        let names: Vec<&str> = t.restricted_sids.iter().map(|g| g.name.as_str()).collect();
        let _ = write!(out, " · restricted to {}", escape(&names.join(", ")));
    }
    out.push_str("</p></details>\n");
}

// ----- the sequence diagram -----

/// One thing a sequence diagram draws, top to bottom (the SVG here and
/// the Mermaid text of [`crate::report::mermaid`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// The step's number in the margin.
    Step(usize),
    /// An arrow between two columns.
    Arrow {
        from: usize,
        to: usize,
        text: String,
        class: &'static str,
        reply: bool,
    },
    /// A note over one column.
    Note {
        at: usize,
        text: String,
        class: &'static str,
    },
    /// A note across every column.
    Band { text: String, class: &'static str },
}

/// The diagram's participants: the scenario's threads, the host, the
/// service, and the servers reached.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub(crate) names: Vec<String>,
}

impl Columns {
    fn at(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        }
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// The participant of a remote resource: the server's name in a URL or
/// UNC path.
fn server_of(name: &str) -> String {
    let rest = name
        .split_once("://")
        .map_or_else(|| name.trim_start_matches('\\'), |(_, r)| r);
    rest.split(['/', '\\', ':'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(name)
        .to_string()
}

/// The host's participant.
pub(crate) const HOST: &str = "Host";
/// The service's participant.
pub(crate) const BITS: &str = "BITS";

/// The diagram's items and columns, from the run's records.
pub(crate) fn layout(run: &Run) -> (Columns, Vec<Item>) {
    let mut cols = Columns::default();
    for p in &run.participants {
        cols.at(p);
    }
    let host = cols.at(HOST);
    let service = cols.at(BITS);
    let mut items = Vec::new();
    let mut cursor = run.names.cursor();
    for (k, s) in run.steps.iter().enumerate() {
        items.push(Item::Step(s.number));
        let party = run.views.get(k).map_or(Party::Environment, |v| v.party);
        let call = format!("{} {}", s.kind, s.args);
        let short = match &s.actor {
            Some(a) => format!(
                "{} {}",
                s.kind,
                s.args
                    .replace(&format!(", thread: {a}"), "")
                    .replace(&format!("thread: {a}, "), "")
                    .replace(&format!("{{thread: {a}}}"), "")
            )
            .trim_end()
            .to_string(),
            None => call.clone(),
        };
        let actor = s.actor.as_deref().map(|a| cols.at(a));
        let result_ok = s
            .checks
            .iter()
            .find(|c| c.what == "result")
            .is_none_or(|c| c.ok);
        match (party, actor) {
            (Party::Host | Party::Bits | Party::Web, Some(a)) => {
                let target = if party == Party::Bits { service } else { host };
                items.push(Item::Arrow {
                    from: a,
                    to: target,
                    text: short,
                    class: "call",
                    reply: false,
                });
                if let Some(r) = &s.result {
                    items.push(Item::Arrow {
                        from: target,
                        to: a,
                        text: r.name.clone(),
                        class: if !result_ok {
                            "bad"
                        } else if r.name.starts_with("S_") || r.name.starts_with("BG_S_") {
                            "reply"
                        } else {
                            "code"
                        },
                        reply: true,
                    });
                }
            }
            (Party::Check, _) => items.push(Item::Band {
                text: format!("{} {call}", if s.passed() { "check ✓" } else { "check ✗" }),
                class: if s.passed() { "check" } else { "bad" },
            }),
            _ => {
                let mut text = call;
                if let Some(r) = s.result.as_ref().filter(|_| !result_ok) {
                    let _ = write!(text, " → {}", r.name);
                }
                items.push(Item::Band { text, class: "env" });
            }
        }
        // The last progress of each file in the step, not every second.
        let last_progress: Vec<usize> = s
            .events
            .iter()
            .enumerate()
            .filter_map(|(j, e)| match e {
                TraceEvent::Bits(BitsEvent::FileProgress { job, file, .. }) => {
                    let later = s.events[j + 1..].iter().any(|x| {
                        matches!(x, TraceEvent::Bits(BitsEvent::FileProgress { job: j2, file: f2, .. }) if j2 == job && f2 == file)
                    });
                    (!later).then_some(j)
                }
                _ => None,
            })
            .collect();
        for (j, e) in s.events.iter().enumerate() {
            cursor.seek(k, j);
            event_items(
                &mut items,
                &mut cols,
                &cursor,
                e,
                (host, service),
                last_progress.contains(&j),
            );
        }
        cursor.seek(k, usize::MAX);
        for d in &s.details {
            if let Detail::Saw {
                server,
                account,
                how,
                scheme,
            } = d
            {
                let at = cols.at(server);
                items.push(Item::Arrow {
                    from: host,
                    to: at,
                    text: format!(
                        "{server} sees {} (by {}{})",
                        account.as_deref().unwrap_or("nobody"),
                        trace::snake(how),
                        scheme.map_or_else(String::new, |x| format!(", {}", trace::snake(&x)))
                    ),
                    class: "saw",
                    reply: false,
                });
            }
        }
        for c in s.checks.iter().filter(|c| !c.ok && c.what != "result") {
            items.push(Item::Band {
                text: format!(
                    "FAILED {}: expected {}, got {}",
                    c.what, c.expected, c.actual
                ),
                class: "bad",
            });
        }
        for v in &s.violations {
            items.push(Item::Band {
                text: format!("INVARIANT {} broken: {}", v.invariant, v.message),
                class: "bad",
            });
        }
        if let Some(e) = &s.error {
            items.push(Item::Band {
                text: format!("ERROR: {e}"),
                class: "bad",
            });
        }
    }
    (cols, items)
}

fn short_state(s: JobState) -> &'static str {
    s.name().trim_start_matches("BG_JOB_STATE_")
}

fn event_items(
    items: &mut Vec<Item>,
    cols: &mut Columns,
    n: &dyn Names,
    e: &TraceEvent,
    (host, service): (usize, usize),
    last_progress: bool,
) {
    let note = |at: usize, text: String, class: &'static str| Item::Note { at, text, class };
    match e {
        TraceEvent::Bits(b) => match b {
            BitsEvent::StateChanged {
                job,
                from,
                to,
                code,
            } => items.push(note(
                service,
                format!(
                    "{}: {} → {}{}",
                    n.job_name(*job),
                    short_state(*from),
                    short_state(*to),
                    code.map_or_else(String::new, |c| format!(" ({})", c.name()))
                ),
                match to {
                    JobState::Error | JobState::TransientError => "state bad",
                    _ => "state",
                },
            )),
            BitsEvent::HelperTokenSet { job, sid, .. } => items.push(note(
                service,
                format!(
                    "{} captures a helper token of {}",
                    n.job_name(*job),
                    n.account(sid)
                ),
                "capture",
            )),
            BitsEvent::HelperTokenDiscarded { job, reason } => items.push(note(
                service,
                format!("{} discards its helper token ({reason})", n.job_name(*job)),
                "discard",
            )),
            BitsEvent::ResourceAccess {
                job,
                resource,
                name,
                acting,
                user,
                granted,
            } => {
                let who = format!(
                    "as {}{}: {}",
                    trace::snake(acting),
                    user.as_ref()
                        .map_or_else(String::new, |u| format!(" ({})", n.account(u))),
                    if *granted { "granted" } else { "denied" }
                );
                let class = if *granted { "access" } else { "bad" };
                match resource {
                    Resource::Remote => {
                        let at = cols.at(&server_of(name));
                        items.push(Item::Arrow {
                            from: service,
                            to: at,
                            text: format!("{} {name} {who}", n.job_name(*job)),
                            class,
                            reply: false,
                        });
                    }
                    Resource::LocalFile | Resource::ClientCertificate => items.push(note(
                        service,
                        format!("{} opens {name} {who}", n.job_name(*job)),
                        class,
                    )),
                }
            }
            BitsEvent::JobCreated { job, owner } => items.push(note(
                service,
                format!(
                    "job {} created, owner {}",
                    n.job_name(*job),
                    n.account(owner)
                ),
                "state",
            )),
            BitsEvent::OwnerChanged { job, owner } => items.push(note(
                service,
                format!("{} now owned by {}", n.job_name(*job), n.account(owner)),
                "state",
            )),
            BitsEvent::HelperFlagsSet { .. } => {
                items.push(note(service, trace::event_line(n, e), "minor"))
            }
            BitsEvent::FileProgress { .. } => {
                if last_progress {
                    items.push(note(service, trace::event_line(n, e), "minor"));
                }
            }
            BitsEvent::PointerIssued { .. } => {}
        },
        TraceEvent::Host(h) => match h {
            simos::Event::Logon { .. } | simos::Event::TerminalSessionEnded { .. } => {
                items.push(note(host, trace::event_line(n, e), "minor"));
            }
            simos::Event::Logoff { .. } => {
                items.push(note(host, trace::event_line(n, e), "logoff"));
            }
            simos::Event::Impersonation { thread, .. }
            | simos::Event::ImpersonationDowngraded { thread, .. } => {
                let name = n.thread_name(*thread);
                let at = cols.find(&name).unwrap_or(host);
                items.push(note(at, trace::event_line(n, e), "minor"));
            }
            simos::Event::Access { granted, .. } => items.push(note(
                host,
                trace::event_line(n, e),
                if *granted { "access" } else { "bad" },
            )),
            simos::Event::TokenCreated { .. }
            | simos::Event::ProcessCreated { .. }
            | simos::Event::ThreadCreated { .. }
            | simos::Event::Tick { .. } => {}
        },
    }
}

const COL_W: i64 = 176;
const LEFT: i64 = 44;
const TOP: i64 = 46;
const CHAR_W: f64 = 6.6;

fn fit(text: &str, width: i64) -> String {
    let max = ((width as f64 - 10.0) / CHAR_W).floor().max(4.0) as usize;
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn text_width(text: &str) -> i64 {
    (text.chars().count() as f64 * CHAR_W).ceil() as i64 + 12
}

/// The run's sequence diagram as SVG: a column per participant, the
/// step numbers in the margin (each a link to its step), calls and
/// replies as arrows, the service's and the host's events as notes.
pub fn sequence_svg(run: &Run, index: usize) -> String {
    let (cols, items) = layout(run);
    let x = |c: usize| LEFT + 20 + COL_W / 2 + (c as i64) * COL_W;
    let width = LEFT + 20 + COL_W * cols.names.len() as i64 + 10;
    let mut body = String::new();
    let mut y = TOP + 18;
    for item in &items {
        match item {
            Item::Step(n) => {
                y += 6;
                let _ = write!(
                    body,
                    "<a href=\"#r{index}-s{n}\"><text class=\"stepno\" x=\"6\" y=\"{}\">{n}</text></a>\
                     <line class=\"stepline\" x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                    y + 12,
                    y,
                    width - 4,
                    y
                );
                y += 4;
            }
            Item::Arrow {
                from,
                to,
                text,
                class,
                reply,
            } => {
                let (x1, x2) = (x(*from), x(*to));
                // A label may run past the arrow's ends, within the diagram.
                let room = (x2 - x1).abs().max(COL_W * 2) - 8;
                let label = fit(text, room);
                let half = text_width(&label) / 2;
                let mid = ((x1 + x2) / 2).clamp(LEFT + half, (width - half).max(LEFT + half));
                let dir = if x2 >= x1 { -1 } else { 1 };
                let _ = write!(
                    body,
                    "<g class=\"arrow {class}{}\"><title>{}</title><text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
                     <line x1=\"{x1}\" y1=\"{}\" x2=\"{x2}\" y2=\"{}\"/><path d=\"M{x2},{} l{},-4 l0,8 z\"/></g>",
                    if *reply { " reply" } else { "" },
                    escape(text),
                    y + 11,
                    escape(&label),
                    y + 16,
                    y + 16,
                    y + 16,
                    dir * 8
                );
                y += 22;
            }
            Item::Note { at, text, class } => {
                let w = text_width(text).min(COL_W * 2 - 8);
                let cx = x(*at);
                let left = (cx - w / 2).min(width - w - 6).max(LEFT + 2);
                let label = fit(text, w);
                let _ = write!(
                    body,
                    "<g class=\"note {class}\"><title>{}</title><rect x=\"{left}\" y=\"{}\" width=\"{w}\" height=\"18\" rx=\"3\"/>\
                     <text x=\"{}\" y=\"{}\">{}</text></g>",
                    escape(text),
                    y + 2,
                    left + 6,
                    y + 15,
                    escape(&label)
                );
                y += 22;
            }
            Item::Band { text, class } => {
                let left = LEFT + 8;
                let w = width - left - 8;
                let label = fit(text, w);
                let _ = write!(
                    body,
                    "<g class=\"band {class}\"><title>{}</title><rect x=\"{left}\" y=\"{}\" width=\"{w}\" height=\"18\" rx=\"3\"/>\
                     <text x=\"{}\" y=\"{}\">{}</text></g>",
                    escape(text),
                    y + 2,
                    left + 6,
                    y + 15,
                    escape(&label)
                );
                y += 22;
            }
        }
    }
    let height = y + 12;
    let mut out = format!(
        "<svg class=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"sequence diagram of {} [{}]\">",
        escape(&run.scenario),
        escape(run.profile)
    );
    for (c, name) in cols.names.iter().enumerate() {
        let cx = x(c);
        let class = match name.as_str() {
            HOST => "host",
            BITS => "bits",
            _ if c < run.participants.len() => "actor",
            _ => "server",
        };
        let _ = write!(
            out,
            "<g class=\"participant {class}\"><line class=\"life\" x1=\"{cx}\" y1=\"{TOP}\" x2=\"{cx}\" y2=\"{}\"/>\
             <rect x=\"{}\" y=\"8\" width=\"{}\" height=\"28\" rx=\"4\"/><text x=\"{cx}\" y=\"27\" text-anchor=\"middle\">{}</text></g>",
            height - 6,
            cx - COL_W / 2 + 10,
            COL_W - 20,
            escape(&fit(name, COL_W - 20))
        );
    }
    out.push_str(&body);
    out.push_str("</svg>");
    out
}
