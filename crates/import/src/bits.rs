//! `bitsadmin /list /allusers /verbose` and `Get-BitsTransfer -AllUsers`
//! (`| ConvertTo-Json` or `| Format-List *`) read into a job list.
//!
//! bitsadmin prints its field labels in English whatever the system
//! language (`GUID:`, `DISPLAY:`, `TYPE:`, `STATE:`, `OWNER:`, ...), several
//! to a line; the verbose form adds `JOB FILES:` with one line per file,
//! `bytes / total STATE remote -> local`, as the Microsoft Learn
//! "BITSAdmin tool examples" sample shows. The short `/list` form, one
//! line per job, lacks the owner and the files: it is rejected with a
//! message saying to add `/verbose`.
//!
//! Get-BitsTransfer's properties are the `BitsJob` class's (PowerShell
//! property names, never translated). `ConvertTo-Json` writes the job
//! type, state and priority as numbers unless `-EnumsAsStrings` is given;
//! both are read, the numbers mapping as `BG_JOB_TYPE`, `BG_JOB_STATE`
//! and `BG_JOB_PRIORITY` number them (Microsoft Learn). `Format-List *`
//! shows the file list only as a type name, so jobs read from it have
//! `files: null` (not known) rather than an empty list.
//!
//! Owners are printed as account names; each resolves to a SID through
//! [`Names`], and a name that does not resolve is rejected by name.

use std::fmt::Write;

use serde_json::Value;
use winsec::Sid;

use crate::error::ImportError;
use crate::names::Names;
use crate::text::{lines, offset_in, quote, Line};
use crate::yaml;

/// One file of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFile {
    /// The remote URL or UNC path.
    pub remote: String,
    /// The local path.
    pub local: String,
    /// Bytes transferred so far.
    pub bytes_transferred: u64,
    /// The file's size, `None` when BITS does not know it yet.
    pub bytes_total: Option<u64>,
}

/// A job's error, when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    /// The HRESULT, as `0x%08x`.
    pub code: String,
    /// The error context (`BG_ERROR_CONTEXT`), as printed, when shown.
    pub context: Option<String>,
    /// The description Windows gives, when shown.
    pub description: Option<String>,
}

/// One BITS job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job GUID, upper case in braces.
    pub id: String,
    /// The display name.
    pub name: String,
    /// `download`, `upload` or `upload_reply`.
    pub job_type: &'static str,
    /// The `BG_JOB_STATE` in snake case (`transient_error`, ...).
    pub state: &'static str,
    /// The owner's SID.
    pub owner: Sid,
    /// The owner as the capture names it.
    pub owner_name: String,
    /// `foreground`, `high`, `normal` or `low`.
    pub priority: &'static str,
    /// The files, `None` when the capture does not list them.
    pub files: Option<Vec<JobFile>>,
    /// The job's error.
    pub error: Option<JobError>,
    /// The description, when shown.
    pub description: Option<String>,
    /// The notification command line, when shown.
    pub notify_command_line: Option<String>,
    /// Creation time as printed (its format follows the locale).
    pub creation_time: Option<String>,
}

const TYPES: &[(&str, &str)] = &[
    ("DOWNLOAD", "download"),
    ("UPLOAD", "upload"),
    ("UPLOAD-REPLY", "upload_reply"),
    ("UPLOADREPLY", "upload_reply"),
];

const STATES: &[(&str, &str)] = &[
    ("QUEUED", "queued"),
    ("CONNECTING", "connecting"),
    ("TRANSFERRING", "transferring"),
    ("SUSPENDED", "suspended"),
    ("ERROR", "error"),
    ("TRANSIENT_ERROR", "transient_error"),
    ("TRANSIENTERROR", "transient_error"),
    ("TRANSFERRED", "transferred"),
    ("ACKNOWLEDGED", "acknowledged"),
    ("CANCELLED", "cancelled"),
    ("CANCELED", "cancelled"),
];

const PRIORITIES: &[(&str, &str)] = &[
    ("FOREGROUND", "foreground"),
    ("HIGH", "high"),
    ("NORMAL", "normal"),
    ("LOW", "low"),
];

/// bitsadmin's labels, longest first so that `PROXY BYPASS LIST` wins over `PROXY LIST`.
const LABELS: &[&str] = &[
    "NOTIFICATION COMMAND LINE",
    "OWNER MIC INTEGRITY LEVEL",
    "NO PROGRESS TIMEOUT",
    "NOTIFICATION FLAGS",
    "PROXY BYPASS LIST",
    "MODIFICATION TIME",
    "PEERCACHING FLAGS",
    "COMPLETION TIME",
    "NOTIFY INTERFACE",
    "CUSTOM HEADERS",
    "CREATION TIME",
    "ERROR CONTEXT",
    "RETRY DELAY",
    "ERROR COUNT",
    "PROXY USAGE",
    "DESCRIPTION",
    "PROXY LIST",
    "ERROR FILE",
    "ERROR CODE",
    "REPLY FILE",
    "JOB FILES",
    "PRIORITY",
    "DISPLAY",
    "OWNER",
    "STATE",
    "FILES",
    "BYTES",
    "TYPE",
    "GUID",
];

fn lookup(table: &[(&str, &'static str)], value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_uppercase().replace(' ', "");
    table.iter().find(|(k, _)| *k == v).map(|(_, n)| *n)
}

/// A labelled value in a bitsadmin job block.
#[derive(Debug, Clone)]
struct Field {
    label: &'static str,
    value: String,
    at: usize,
}

/// Reads `bitsadmin /list /allusers /verbose`.
pub fn parse_bitsadmin(text: &str, names: &Names) -> Result<Vec<Job>, ImportError> {
    let all = lines(text);
    let starts: Vec<usize> = (0..all.len())
        .filter(|i| {
            all[*i]
                .text
                .trim_start()
                .to_ascii_uppercase()
                .starts_with("GUID:")
        })
        .collect();
    if starts.is_empty() {
        if let Some(short) = all.iter().find(|l| looks_like_short_list(l.text)) {
            return Err(ImportError::span(
                text,
                short.start,
                short.text.len(),
                "a job list without the verbose fields (no owner, no files)",
                "the output of `bitsadmin /list /allusers /verbose`: `GUID: {...} DISPLAY: ...` records",
            ));
        }
        if all
            .iter()
            .any(|l| l.text.trim().eq_ignore_ascii_case("Listed 0 job(s)."))
        {
            return Ok(Vec::new());
        }
        return Err(ImportError::at(
            text,
            0,
            "no job: no `GUID:` line",
            "the output of `bitsadmin /list /allusers /verbose`",
        ));
    }
    let mut jobs = Vec::new();
    for (k, start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(all.len());
        jobs.push(read_bitsadmin_job(text, &all[*start..end], names)?);
    }
    Ok(jobs)
}

/// `{GUID} name STATE n / n n / n`: the short `/list` form.
fn looks_like_short_list(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('{') && t.len() > 38 && t.as_bytes().get(37) == Some(&b'}')
}

fn read_bitsadmin_job(text: &str, block: &[Line<'_>], names: &Names) -> Result<Job, ImportError> {
    let mut fields: Vec<Field> = Vec::new();
    let mut files: Option<Vec<JobFile>> = None;
    let mut in_files = false;
    for line in block {
        if line.is_blank() {
            in_files = false;
            continue;
        }
        let found = labels_in(line.text);
        if in_files && found.first().map(|(i, _)| *i) != Some(leading(line.text)) {
            let f = parse_file_line(text, line)?;
            files.get_or_insert_with(Vec::new).push(f);
            continue;
        }
        in_files = false;
        if found.is_empty() {
            // A value the console continued on the next line.
            if let Some(last) = fields.last_mut() {
                last.value.push(' ');
                last.value.push_str(line.text.trim());
            }
            continue;
        }
        for (n, (pos, label)) in found.iter().enumerate() {
            let value_start = pos + label.len() + 1;
            let value_end = found.get(n + 1).map_or(line.text.len(), |(p, _)| *p);
            let raw = &line.text[value_start.min(value_end)..value_end];
            let value = raw.trim().to_string();
            let value_start = value_start.min(value_end) + leading(raw);
            if *label == "JOB FILES" {
                in_files = true;
                files.get_or_insert_with(Vec::new);
            }
            fields.push(Field {
                label,
                value,
                at: line.start + value_start.min(line.text.len()),
            });
        }
    }
    let get = |label: &str| fields.iter().find(|f| f.label == label);
    let block_at = block.first().map_or(0, |l| l.start);
    let need = |label: &'static str| -> Result<&Field, ImportError> {
        get(label).ok_or_else(|| {
            ImportError::at(
                text,
                block_at,
                format!("the job has no `{label}:` field"),
                "a job record of `bitsadmin /list /allusers /verbose`",
            )
        })
    };
    let guid = need("GUID")?;
    let display = need("DISPLAY")?;
    let job_type = need("TYPE")?;
    let state = need("STATE")?;
    let owner = need("OWNER")?;
    let priority = need("PRIORITY")?;
    if files.is_none() {
        return Err(ImportError::at(
            text,
            block_at,
            "the job has no `JOB FILES:` section",
            "the verbose record (`bitsadmin /list /allusers /verbose`), which lists each job's files",
        ));
    }
    let name = display.value.trim();
    let name = name
        .strip_prefix('\'')
        .and_then(|n| n.strip_suffix('\''))
        .unwrap_or(name);
    let error = get("ERROR CODE").map(|f| {
        let (code, description) = split_dash(&f.value);
        JobError {
            code: code.to_ascii_lowercase(),
            context: get("ERROR CONTEXT").map(|c| c.value.clone()),
            description,
        }
    });
    Ok(Job {
        id: guid_of(text, guid)?,
        name: name.to_string(),
        job_type: enum_of(text, job_type, TYPES, "DOWNLOAD, UPLOAD or UPLOAD-REPLY")?,
        state: enum_of(
            text,
            state,
            STATES,
            "a BITS job state such as TRANSFERRING or TRANSIENT_ERROR",
        )?,
        owner: owner_sid(text, owner.at, &owner.value, names)?,
        owner_name: owner.value.clone(),
        priority: enum_of(
            text,
            priority,
            PRIORITIES,
            "FOREGROUND, HIGH, NORMAL or LOW",
        )?,
        files,
        error,
        description: get("DESCRIPTION").map(|f| f.value.clone()),
        notify_command_line: get("NOTIFICATION COMMAND LINE").map(|f| f.value.clone()),
        creation_time: get("CREATION TIME").map(|f| f.value.clone()),
    })
}

/// Byte index of the first non-space character.
fn leading(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// `0x80072ee7 - The server name...` as the code and the description.
fn split_dash(value: &str) -> (String, Option<String>) {
    match value.split_once(" - ") {
        Some((code, rest)) => (code.trim().to_string(), Some(rest.trim().to_string())),
        None => (value.trim().to_string(), None),
    }
}

/// The labels on a line, with their byte positions: a label counts at the
/// start of the line or after a space, followed by `:`.
fn labels_in(line: &str) -> Vec<(usize, &'static str)> {
    let upper = line.to_ascii_uppercase();
    let mut out: Vec<(usize, &'static str)> = Vec::new();
    let mut i = 0;
    while i < upper.len() {
        let at_word = i == leading(line) || (i > 0 && upper.as_bytes()[i - 1] == b' ');
        if at_word {
            if let Some(label) = LABELS.iter().find(|l| {
                upper[i..].starts_with(*l) && upper.as_bytes().get(i + l.len()) == Some(&b':')
            }) {
                out.push((i, label));
                i += label.len() + 1;
                continue;
            }
        }
        i += upper[i..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// `   0 / UNKNOWN WORKING https://x/y -> c:\y`.
fn parse_file_line(text: &str, line: &Line<'_>) -> Result<JobFile, ImportError> {
    let t = line.text.trim();
    let bad = || {
        ImportError::span(
            text,
            line.start + offset_in(line.text, t),
            t.len(),
            format!("{} is not a job file line", quote(t)),
            "`BYTES / TOTAL STATE REMOTE -> LOCAL`, as bitsadmin lists a job's files",
        )
    };
    let mut words = t.splitn(5, ' ');
    let transferred = words
        .next()
        .and_then(|w| w.parse::<u64>().ok())
        .ok_or_else(bad)?;
    if words.next() != Some("/") {
        return Err(bad());
    }
    let total = words.next().ok_or_else(bad)?;
    let bytes_total = if total.eq_ignore_ascii_case("UNKNOWN") {
        None
    } else {
        Some(total.parse::<u64>().map_err(|_| bad())?)
    };
    let _state = words.next().ok_or_else(bad)?;
    let rest = words.next().ok_or_else(bad)?;
    let (remote, local) = rest.split_once(" -> ").ok_or_else(bad)?;
    Ok(JobFile {
        remote: remote.trim().to_string(),
        local: local.trim().to_string(),
        bytes_transferred: transferred,
        bytes_total,
    })
}

fn guid_of(text: &str, field: &Field) -> Result<String, ImportError> {
    normalize_guid(&field.value).ok_or_else(|| {
        ImportError::at(
            text,
            field.at,
            format!("{} is not a job GUID", quote(&field.value)),
            "a GUID such as {482FCAF0-74BF-469B-8929-5CCD028C9499}",
        )
    })
}

/// A GUID with or without braces, as `{UPPER-CASE}`.
fn normalize_guid(value: &str) -> Option<String> {
    let v = value.trim();
    let inner = v
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(v);
    let groups: Vec<&str> = inner.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip(lens)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    ok.then(|| format!("{{{}}}", inner.to_ascii_uppercase()))
}

fn enum_of(
    text: &str,
    field: &Field,
    table: &[(&str, &'static str)],
    expected: &str,
) -> Result<&'static str, ImportError> {
    lookup(table, &field.value).ok_or_else(|| {
        ImportError::at(
            text,
            field.at,
            format!("unknown `{}` value {}", field.label, quote(&field.value)),
            expected,
        )
    })
}

fn owner_sid(text: &str, at: usize, name: &str, names: &Names) -> Result<Sid, ImportError> {
    names.resolve(name).ok_or_else(|| {
        ImportError::span(
            text,
            at,
            name.len(),
            format!("cannot resolve the job owner {} to a SID", quote(name)),
            "a well-known name, a SID, or a name given in `--names FILE` (a YAML mapping from name to SID)",
        )
    })
}

/// Reads `Get-BitsTransfer -AllUsers` as `ConvertTo-Json` or `Format-List *`.
pub fn parse_bitstransfer(text: &str, names: &Names) -> Result<Vec<Job>, ImportError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        parse_bitstransfer_json(text, names)
    } else {
        parse_bitstransfer_list(text, names)
    }
}

fn parse_bitstransfer_json(text: &str, names: &Names) -> Result<Vec<Job>, ImportError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let offset = offset_of_line_column(text, e.line(), e.column());
        ImportError::at(
            text,
            offset,
            format!("not valid JSON: {}", strip_position(&e.to_string())),
            "the output of `Get-BitsTransfer -AllUsers | ConvertTo-Json -Depth 3`",
        )
    })?;
    let items: Vec<&Value> = match &value {
        Value::Array(items) => items.iter().collect(),
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(ImportError::at(
                text,
                0,
                "JSON that is neither a job object nor an array of them",
                "the output of `Get-BitsTransfer -AllUsers | ConvertTo-Json -Depth 3`",
            ))
        }
    };
    let mut jobs = Vec::new();
    for (n, item) in items.iter().enumerate() {
        jobs.push(json_job(text, n, item, names)?);
    }
    Ok(jobs)
}

/// An error about job `n` of a JSON capture, placed at the job's id in the text when found.
fn json_error(
    text: &str,
    n: usize,
    id: Option<&str>,
    message: String,
    expected: &str,
) -> ImportError {
    let at = id.and_then(|id| text.find(id)).unwrap_or(0);
    ImportError::at(text, at, format!("job {}: {message}", n + 1), expected)
}

fn json_job(text: &str, n: usize, item: &Value, names: &Names) -> Result<Job, ImportError> {
    let id_raw = item.get("JobId").and_then(Value::as_str);
    let err = |message: String, expected: &str| json_error(text, n, id_raw, message, expected);
    let obj = item
        .as_object()
        .ok_or_else(|| err("is not an object".into(), "a BitsJob object"))?;
    let str_field = |key: &str| obj.get(key).and_then(Value::as_str);
    let id = id_raw
        .and_then(normalize_guid)
        .ok_or_else(|| err("no `JobId` GUID".into(), "a `JobId` string"))?;
    let name = str_field("DisplayName").unwrap_or("").to_string();
    let job_type = json_enum(obj.get("TransferType"), TYPES_BY_NUMBER, TYPES).ok_or_else(|| {
        err(
            "no known `TransferType`".into(),
            "Download, Upload or UploadReply (or 0, 1, 2)",
        )
    })?;
    let state = json_enum(obj.get("JobState"), STATES_BY_NUMBER, STATES).ok_or_else(|| {
        err(
            "no known `JobState`".into(),
            "a BITS job state such as Transferring (or 0 to 8)",
        )
    })?;
    let priority =
        json_enum(obj.get("Priority"), PRIORITIES_BY_NUMBER, PRIORITIES).ok_or_else(|| {
            err(
                "no known `Priority`".into(),
                "Foreground, High, Normal or Low (or 0 to 3)",
            )
        })?;
    let owner_name = str_field("OwnerAccount")
        .ok_or_else(|| err("no `OwnerAccount`".into(), "the job owner's account name"))?;
    let owner = names.resolve(owner_name).ok_or_else(|| {
        let at = text.find(owner_name).unwrap_or(0);
        ImportError::span(
            text,
            at,
            owner_name.len(),
            format!("cannot resolve the job owner {} to a SID", quote(owner_name)),
            "a well-known name, a SID, or a name given in `--names FILE` (a YAML mapping from name to SID)",
        )
    })?;
    let files = match obj.get("FileList") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => {
            let mut files = Vec::new();
            for f in list {
                let file = f.as_object().ok_or_else(|| {
                    err(
                        "`FileList` holds type names, not files".into(),
                        "ConvertTo-Json -Depth 3, so that each file's properties are written",
                    )
                })?;
                let s = |k: &str| file.get(k).and_then(Value::as_str).map(str::to_string);
                files.push(JobFile {
                    remote: s("RemoteName").ok_or_else(|| {
                        err(
                            "a file with no `RemoteName`".into(),
                            "RemoteName and LocalName on each file",
                        )
                    })?,
                    local: s("LocalName").ok_or_else(|| {
                        err(
                            "a file with no `LocalName`".into(),
                            "RemoteName and LocalName on each file",
                        )
                    })?,
                    bytes_transferred: file
                        .get("BytesTransferred")
                        .and_then(Value::as_u64)
                        .unwrap_or(0),
                    bytes_total: file
                        .get("BytesTotal")
                        .and_then(Value::as_u64)
                        .filter(|b| *b != u64::MAX),
                });
            }
            Some(files)
        }
        Some(_) => {
            return Err(err(
                "`FileList` is not a list of files".into(),
                "ConvertTo-Json -Depth 3, so that each file's properties are written",
            ))
        }
    };
    let error = obj
        .get("InternalErrorCode")
        .and_then(Value::as_i64)
        .filter(|c| *c != 0)
        .map(|c| JobError {
            code: format!("0x{:08x}", c as u32),
            context: str_field("ErrorContextDescription").map(str::to_string),
            description: str_field("ErrorDescription").map(|d| d.trim().to_string()),
        });
    Ok(Job {
        id,
        name,
        job_type,
        state,
        owner,
        owner_name: owner_name.to_string(),
        priority,
        files,
        error,
        description: str_field("Description").map(str::to_string),
        notify_command_line: match obj.get("NotifyCmdLine") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(parts)) => Some(
                parts
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        },
        creation_time: str_field("CreationTime").map(str::to_string),
    })
}

/// `BG_JOB_TYPE` numbering.
const TYPES_BY_NUMBER: &[&str] = &["download", "upload", "upload_reply"];
/// `BG_JOB_STATE` numbering.
const STATES_BY_NUMBER: &[&str] = &[
    "queued",
    "connecting",
    "transferring",
    "suspended",
    "error",
    "transient_error",
    "transferred",
    "acknowledged",
    "cancelled",
];
/// `BG_JOB_PRIORITY` numbering.
const PRIORITIES_BY_NUMBER: &[&str] = &["foreground", "high", "normal", "low"];

fn json_enum(
    value: Option<&Value>,
    by_number: &[&'static str],
    by_name: &[(&str, &'static str)],
) -> Option<&'static str> {
    match value? {
        Value::Number(n) => n
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| by_number.get(i).copied()),
        Value::String(s) => lookup(by_name, s),
        _ => None,
    }
}

fn parse_bitstransfer_list(text: &str, names: &Names) -> Result<Vec<Job>, ImportError> {
    let all = lines(text);
    let mut jobs = Vec::new();
    let mut record: Vec<(String, String, usize)> = Vec::new();
    let flush = |record: &mut Vec<(String, String, usize)>,
                 jobs: &mut Vec<Job>|
     -> Result<(), ImportError> {
        if record
            .iter()
            .any(|(k, _, _)| k.eq_ignore_ascii_case("JobId"))
        {
            jobs.push(list_job(text, record, names)?);
        }
        record.clear();
        Ok(())
    };
    for line in &all {
        if line.is_blank() {
            flush(&mut record, &mut jobs)?;
            continue;
        }
        if line.text.starts_with([' ', '\t']) {
            if let Some(last) = record.last_mut() {
                last.1.push_str(line.text.trim());
            }
            continue;
        }
        match line.text.split_once(':') {
            Some((key, value))
                if !key.trim().is_empty()
                    && key.trim().chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                if key.trim().eq_ignore_ascii_case("JobId") {
                    flush(&mut record, &mut jobs)?;
                }
                let at = line.start + offset_in(line.text, value.trim_start());
                record.push((key.trim().to_string(), value.trim().to_string(), at));
            }
            _ => {}
        }
    }
    flush(&mut record, &mut jobs)?;
    if jobs.is_empty() {
        return Err(ImportError::at(
            text,
            0,
            "no job: no `JobId` property",
            "the output of `Get-BitsTransfer -AllUsers | Format-List *` or `| ConvertTo-Json -Depth 3`",
        ));
    }
    Ok(jobs)
}

fn list_job(
    text: &str,
    record: &[(String, String, usize)],
    names: &Names,
) -> Result<Job, ImportError> {
    let get = |key: &str| record.iter().find(|(k, _, _)| k.eq_ignore_ascii_case(key));
    let at0 = record.first().map_or(0, |r| r.2);
    let need = |key: &'static str| {
        get(key).ok_or_else(|| {
            ImportError::at(
                text,
                at0,
                format!("the job has no `{key}` property"),
                "`Get-BitsTransfer -AllUsers | Format-List *` records (JobId, DisplayName, TransferType, JobState, OwnerAccount, Priority)",
            )
        })
    };
    let field = |key: &'static str| -> Result<Field, ImportError> {
        let (_, v, at) = need(key)?;
        Ok(Field {
            label: key,
            value: v.clone(),
            at: *at,
        })
    };
    let id = field("JobId")?;
    let owner = field("OwnerAccount")?;
    Ok(Job {
        id: guid_of(text, &id)?,
        name: need("DisplayName")?.1.clone(),
        job_type: enum_of(
            text,
            &field("TransferType")?,
            TYPES,
            "Download, Upload or UploadReply",
        )?,
        state: enum_of(
            text,
            &field("JobState")?,
            STATES,
            "a BITS job state such as Transferring",
        )?,
        owner: owner_sid(text, owner.at, &owner.value, names)?,
        owner_name: owner.value.clone(),
        priority: enum_of(
            text,
            &field("Priority")?,
            PRIORITIES,
            "Foreground, High, Normal or Low",
        )?,
        files: None,
        error: None,
        description: get("Description").map(|r| r.1.clone()),
        notify_command_line: None,
        creation_time: get("CreationTime").map(|r| r.1.clone()),
    })
}

fn offset_of_line_column(text: &str, line: usize, column: usize) -> usize {
    let all = lines(text);
    match all.get(line.saturating_sub(1)) {
        Some(l) => {
            let col = column.saturating_sub(1);
            l.start
                + l.text
                    .char_indices()
                    .nth(col)
                    .map_or(l.text.len(), |(b, _)| b)
        }
        None => text.len(),
    }
}

fn strip_position(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

/// The jobs as YAML.
pub fn jobs_yaml(jobs: &[Job]) -> String {
    let mut out = String::from("# BITS jobs read by `bitsim import`.\n");
    if jobs.is_empty() {
        out.push_str("jobs: []\n");
        return out;
    }
    out.push_str("jobs:\n");
    for j in jobs {
        let _ = writeln!(out, "  - id: {}", yaml::string(&j.id));
        let _ = writeln!(out, "    name: {}", yaml::string(&j.name));
        let _ = writeln!(out, "    type: {}", j.job_type);
        let _ = writeln!(out, "    state: {}", j.state);
        let _ = writeln!(out, "    owner: {}", j.owner);
        let _ = writeln!(out, "    owner_name: {}", yaml::string(&j.owner_name));
        let _ = writeln!(out, "    priority: {}", j.priority);
        match &j.files {
            None => out.push_str("    files: null\n"),
            Some(files) if files.is_empty() => out.push_str("    files: []\n"),
            Some(files) => {
                out.push_str("    files:\n");
                for f in files {
                    let _ = writeln!(out, "      - remote: {}", yaml::string(&f.remote));
                    let _ = writeln!(out, "        local: {}", yaml::string(&f.local));
                    let _ = writeln!(out, "        bytes_transferred: {}", f.bytes_transferred);
                    let _ = writeln!(out, "        bytes_total: {}", yaml::opt_u64(f.bytes_total));
                }
            }
        }
        match &j.error {
            None => out.push_str("    error: null\n"),
            Some(e) => {
                out.push_str("    error:\n");
                let _ = writeln!(out, "      code: {}", yaml::string(&e.code));
                let _ = writeln!(
                    out,
                    "      context: {}",
                    yaml::opt_string(e.context.as_deref())
                );
                let _ = writeln!(
                    out,
                    "      description: {}",
                    yaml::opt_string(e.description.as_deref())
                );
            }
        }
        let _ = writeln!(
            out,
            "    description: {}",
            yaml::opt_string(j.description.as_deref())
        );
        let _ = writeln!(
            out,
            "    notify_command_line: {}",
            yaml::opt_string(j.notify_command_line.as_deref())
        );
        let _ = writeln!(
            out,
            "    creation_time: {}",
            yaml::opt_string(j.creation_time.as_deref())
        );
    }
    out
}
