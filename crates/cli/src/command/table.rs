//! `bitsim table iis`: the delegation table of seed 003 ([PP-IMPDEL],
//! reconstructed from [LT] and [IDM]), computed by running the model. For each IIS
//! authentication type (and each condition that changes the answer) a
//! fresh `corp` host serves bob's request through `webhost`, and the page
//! then opens a file on the web server that only the caller may read and
//! reaches a share on FS; the table shows whom the page ran as, whether
//! the local open succeeded, and whom the share saw. Nothing in a result
//! column is typed in.

use std::io::Write;

use bits::Profile;
use clap::{Args, ValueEnum};
use serde::Serialize;
use simos::Host;
use webhost::{Account, AppPool, Authentication, Client, Site};

use crate::command::write_json;
use crate::{CliError, ExitCode};

/// Arguments of `bitsim table`.
#[derive(Debug, Args)]
pub struct TableArgs {
    /// Which table.
    #[arg(value_enum)]
    pub table: TableKind,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Markdown)]
    pub format: TableFormat,
}

/// The tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableKind {
    /// IIS authentication types: local impersonation and delegation.
    Iis,
}

/// Table formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// A Markdown table.
    Markdown,
    /// JSON rows.
    Json,
}

/// One computed row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The IIS authentication type.
    pub authentication: String,
    /// The condition of this row (app pool, delegation settings).
    pub condition: String,
    /// The logon IIS performs for it.
    pub logon: String,
    /// Whom the page's thread runs as (`impersonate="true"`).
    pub runs_as: String,
    /// Whether the page opened a file only the caller may read, locally.
    pub local: String,
    /// Whom the share on FS saw, and whether it granted the access.
    pub remote: String,
    /// How the identity reached the share.
    pub via: String,
}

/// The host every row starts from: the `corp` base plus an anonymous
/// domain account, the web server's local IUSR and a share on FS that
/// grants any authenticated user.
const IIS_HOST: &str = r#"
users:
  - { name: webanon }
{extra}machines:
  - { name: WEB, local_users: [ { name: IUSR } ] }
servers:
  - { name: share, kind: smb_share, machine: FS, spn: cifs/fs.corp.example, sddl: 'D:(A;;FA;;;AU)' }
"#;

struct Case {
    auth: Authentication,
    condition: &'static str,
    pool: AppPool,
    /// Extra `users:` entries (domain delegation settings).
    extra: &'static str,
}

fn cases() -> Vec<Case> {
    let svc_web = || AppPool::Account(Account::new("svc-web", Some("CORP")));
    vec![
        Case {
            auth: Authentication::Anonymous(Some(Account::new("IUSR", None))),
            condition: "anonymous account: the web server's local IUSR",
            pool: AppPool::NetworkService,
            extra: "",
        },
        Case {
            auth: Authentication::Anonymous(Some(Account::new("webanon", Some("CORP")))),
            condition: "anonymous account: a domain account",
            pool: AppPool::NetworkService,
            extra: "",
        },
        Case {
            auth: Authentication::Anonymous(None),
            condition: "username=\"\": the app pool (NETWORK SERVICE)",
            pool: AppPool::NetworkService,
            extra: "",
        },
        Case {
            auth: Authentication::Basic,
            condition: "any app pool",
            pool: AppPool::NetworkService,
            extra: "",
        },
        Case {
            auth: Authentication::Digest,
            condition: "any app pool",
            pool: AppPool::NetworkService,
            extra: "",
        },
        Case {
            auth: Authentication::IntegratedNtlm,
            condition: "even with the web server trusted for delegation",
            pool: AppPool::NetworkService,
            extra: "  - { name: WEB$, kind: computer, trusted_for_delegation: true }\n",
        },
        Case {
            auth: Authentication::IntegratedKerberos,
            condition: "pool svc-web, no delegation",
            pool: svc_web(),
            extra: "",
        },
        Case {
            auth: Authentication::IntegratedKerberos,
            condition: "pool svc-web trusted for delegation (unconstrained)",
            pool: svc_web(),
            extra: "  - { name: svc-web, kind: service, trusted_for_delegation: true }\n",
        },
        Case {
            auth: Authentication::IntegratedKerberos,
            condition: "pool svc-web constrained to cifs/fs.corp.example",
            pool: svc_web(),
            extra: "  - { name: svc-web, kind: service, allowed_to_delegate_to: [cifs/fs.corp.example] }\n",
        },
        Case {
            auth: Authentication::IntegratedKerberos,
            condition: "unconstrained, but bob is sensitive (cannot be delegated)",
            pool: svc_web(),
            extra: "  - { name: svc-web, kind: service, trusted_for_delegation: true }\n  - { name: bob, sensitive: true }\n",
        },
        Case {
            auth: Authentication::ClientCertificateIis(Account::new("carol", Some("CORP"))),
            condition: "mapped to the domain account carol",
            pool: AppPool::NetworkService,
            extra: "",
        },
        Case {
            auth: Authentication::ClientCertificateAd("bob@corp.example".into()),
            condition: "no delegation",
            pool: AppPool::NetworkService,
            extra: "",
        },
        Case {
            auth: Authentication::ClientCertificateAd("bob@corp.example".into()),
            condition: "WEB$ trusted for protocol transition to cifs/fs.corp.example",
            pool: AppPool::NetworkService,
            extra: "  - { name: WEB$, kind: computer, trusted_to_auth_for_delegation: true, allowed_to_delegate_to: [cifs/fs.corp.example] }\n",
        },
    ]
}

fn host_of(extra: &str) -> Result<Host, CliError> {
    let bad = |e: String| CliError::InvalidArgument(format!("the IIS table host: {e}"));
    let text = IIS_HOST.replace("{extra}", extra);
    let spec: scenario::format::HostSpec =
        serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let world = runner::host::build(&spec, Profile::Win11.rules()).map_err(|e| bad(e.message))?;
    Ok(world.host)
}

fn account_of(host: &Host, token: Option<simos::TokenId>) -> String {
    token
        .and_then(|t| host.logon_of(t))
        .map_or_else(|| "nobody".to_string(), |l| l.account.clone())
}

fn row(case: &Case) -> Result<Row, CliError> {
    let mut host = host_of(case.extra)?;
    let caller = match &case.auth {
        Authentication::ClientCertificateIis(a) => a.clone(),
        _ => Account::new("bob", Some("CORP")),
    };
    let caller_sid = runner::host::resolve(&host, "WEB", &caller.display())
        .ok_or_else(|| CliError::InvalidArgument(format!("no account {}", caller.display())))?;
    let defined = host.apply(&simos::Op::Object(simos::objects::ObjectOp::Define {
        machine: "WEB".into(),
        path: "C:\\inetpub\\caller.txt".into(),
        kind: simos::objects::ObjectKind::File,
        sddl: format!("O:BAG:SYD:(A;;FA;;;{caller_sid})"),
    }));
    if let Some(e) = defined.result.error() {
        return Err(CliError::InvalidArgument(format!(
            "define the file: {}",
            e.name()
        )));
    }
    let site = Site {
        impersonate: true,
        ..Site::new(
            "WEB",
            "site",
            "HTTP/web.corp.example",
            case.pool.clone(),
            case.auth.clone(),
        )
    };
    let client = Client {
        machine: "WS01".into(),
        account: Account::new("bob", Some("CORP")),
    };
    let mut out = Row {
        authentication: case.auth.name().to_string(),
        condition: case.condition.to_string(),
        logon: case.auth.logon().to_string(),
        runs_as: String::new(),
        local: String::new(),
        remote: String::new(),
        via: String::new(),
    };
    let served = webhost::start(&mut host, &site)
        .and_then(|worker| webhost::request(&mut host, &site, worker.thread, &client));
    let request = match served {
        Ok(r) => r,
        Err(e) => {
            out.runs_as = format!("request refused: {e}");
            return Ok(out);
        }
    };
    let effective = host.effective_token_id(request.thread);
    out.runs_as = account_of(&host, effective);
    out.local = match webhost::open_local(&mut host, request.thread, "C:\\inetpub\\caller.txt") {
        Ok(_) => format!("yes ({})", caller.display()),
        Err(e) => format!("no ({})", e.name()),
    };
    match webhost::reach(&mut host, request.thread, "share") {
        Ok(r) => {
            let who = r
                .identity
                .as_ref()
                .map_or_else(|| "nobody".to_string(), |i| i.account.clone());
            out.remote = match r.reason() {
                None => format!("{who}, granted"),
                Some(reason) => format!("{who}, denied ({})", failure(&reason)),
            };
            out.via = format!("{:?}", r.how);
        }
        Err(e) => {
            out.remote = format!("error {}", e.name());
        }
    }
    Ok(out)
}

/// A denial reason in words.
fn failure(f: &simos::network::Failure) -> String {
    match f {
        simos::network::Failure::Win32 { error } => error.name().to_string(),
        simos::network::Failure::Kerberos { error, status } => {
            let word = |v: serde_json::Value| v.as_str().map(str::to_string).unwrap_or_default();
            format!(
                "{} {}",
                serde_json::to_value(error).map(word).unwrap_or_default(),
                serde_json::to_value(status).map(word).unwrap_or_default()
            )
        }
        other => format!("{other:?}"),
    }
}

/// The computed rows of the IIS table.
pub fn iis_rows() -> Result<Vec<Row>, CliError> {
    cases().iter().map(row).collect()
}

/// Runs `bitsim table`.
pub fn run(args: &TableArgs, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let rows = match args.table {
        TableKind::Iis => iis_rows()?,
    };
    match args.format {
        TableFormat::Json => write_json(out, &rows)?,
        TableFormat::Markdown => {
            writeln!(
                out,
                "| IIS authentication | condition | logon | page runs as (impersonate=\"true\") | opens the caller's local file | share on FS sees | via |"
            )?;
            writeln!(out, "|---|---|---|---|---|---|---|")?;
            for r in &rows {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    r.authentication, r.condition, r.logon, r.runs_as, r.local, r.remote, r.via
                )?;
            }
        }
    }
    Ok(ExitCode::Ok)
}
