//! Every citation can be opened: no file under `crates/`, `docs/` or
//! `scenarios/` points at notes kept outside the repository, every
//! bibliography tag a rule, switch or invariant cites has an entry in
//! `docs/sources.md`, and every decision it cites (`D-NNN`) has an entry
//! in `docs/decisions.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use runner::registry;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            text_files(&path, out);
        } else if let Ok(text) = std::fs::read(&path) {
            if std::str::from_utf8(&text).is_ok() {
                out.push(path);
            }
        }
    }
}

/// The headings of `docs/sources.md`: `### [TAG] Title`.
fn bibliography() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("docs/sources.md")).expect("docs/sources.md");
    text.lines()
        .filter_map(|l| l.strip_prefix("### ["))
        .filter_map(|l| l.split_once(']'))
        .map(|(tag, _)| tag.to_string())
        .collect()
}

#[test]
fn no_file_cites_notes_outside_the_repository() {
    // Spelled in pieces so this file does not match itself.
    let needles = [
        concat!("research", "/"),
        concat!("research", " §"),
        concat!("research", " `"),
        concat!("design", ".md"),
        concat!("winsec", ".md"),
        concat!("impersonation", ".md"),
        concat!("bits", ".md"),
    ];
    let mut files = Vec::new();
    for dir in ["crates", "docs", "scenarios"] {
        text_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 100, "found only {} files", files.len());
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a text file");
        for (n, line) in text.lines().enumerate() {
            if needles.iter().any(|needle| line.contains(needle)) {
                found.push(format!("{}:{}: {line}", path.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn every_cited_tag_has_a_bibliography_entry() {
    let tags = bibliography();
    assert!(tags.contains("MS-DTYP") && tags.contains("HT"), "{tags:?}");
    let mut missing = Vec::new();
    for e in registry::all() {
        for tag in registry::source_tags(e.sources) {
            if !tags.contains(tag) {
                missing.push(format!("{} cites [{tag}]", e.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_bibliography_entry_has_an_address() {
    let text = std::fs::read_to_string(root().join("docs/sources.md")).expect("docs/sources.md");
    let entries: Vec<&str> = text.split("\n### ").skip(1).collect();
    assert_eq!(entries.len(), bibliography().len());
    for entry in entries {
        let heading = entry.lines().next().unwrap_or_default();
        assert!(entry.contains("Address: <http"), "{heading} has no address");
        let body: String = entry.lines().skip(3).collect();
        assert!(body.trim().len() > 10, "{heading} states no fact");
    }
}

#[test]
fn every_cited_decision_exists() {
    let text =
        std::fs::read_to_string(root().join("docs/decisions.md")).expect("docs/decisions.md");
    let decisions: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let mut missing = Vec::new();
    for e in registry::all() {
        for d in registry::decision_refs(e.sources) {
            if !decisions.contains(&d) {
                missing.push(format!("{} cites {d}", e.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
