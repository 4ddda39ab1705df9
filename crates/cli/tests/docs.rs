//! The docs cannot drift from the tool: every `bitsim …` command in the
//! fenced `sh` blocks of README.md and docs/*.md runs against the built
//! binary, on the repository's files, and must end with the exit code the
//! text implies.
//!
//! How a block says what to expect:
//! - by default every command exits 0;
//! - a trailing `# exit N` comment on a command expects N;
//! - `<!-- docs-test: exit N -->` on the line before a block expects N of
//!   each command in it;
//! - `<!-- docs-test: skip: REASON -->` on the line before a block skips
//!   it (for runs of minutes; the reason is required).
//!
//! `cargo run [--release] -p bitsim-cli -- ARGS` is run as `bitsim ARGS`
//! (and must say `--release`); `cat` commands (`cat > FILE <<'END' … END`)
//! are run too, so later commands find the files they write. Other commands (cargo test,
//! cargo install, scripts) are not run here. Commands run in a scratch
//! directory that links the repository's folders, so files they write
//! stay out of the checkout; each must finish within a time limit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest one documented command may take here.
const LIMIT: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A command found in a document.
#[derive(Debug)]
struct DocCommand {
    /// `file:line` of its first line.
    place: String,
    /// The shell text (continuations and a heredoc's body included).
    script: String,
    /// The exit code the text implies.
    expect: i32,
    /// Whether it runs bitsim (else it is a setup command).
    bitsim: bool,
}

/// `text` without a trailing `# comment` outside quotes, and the comment.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let (mut single, mut double) = (false, false);
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && i > 0 && bytes[i - 1].is_ascii_whitespace() => {
                return (line[..i].trim_end(), Some(line[i + 1..].trim()));
            }
            _ => {}
        }
    }
    (line.trim_end(), None)
}

/// The expected exit code in a comment `exit N` / `exits N`, if any.
fn exit_in(comment: &str) -> Option<i32> {
    let rest = comment
        .strip_prefix("exit ")
        .or_else(|| comment.strip_prefix("exits "))?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
}

/// The heredoc terminator of a command line (`<<'END'`, `<<END`), if any.
fn heredoc(line: &str) -> Option<String> {
    let at = line.find("<<")?;
    let word = line[at + 2..]
        .trim_start_matches('-')
        .split_whitespace()
        .next()?;
    Some(word.trim_matches(|c| c == '\'' || c == '"').to_string())
}

/// Every command of the `sh` blocks of `file`, and the skipped blocks
/// with their reasons.
fn commands(file: &Path) -> (Vec<DocCommand>, Vec<(String, String)>) {
    let text = std::fs::read_to_string(file).unwrap();
    let name = file
        .strip_prefix(root())
        .unwrap_or(file)
        .display()
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_start();
        if !fence.starts_with("```") {
            i += 1;
            continue;
        }
        let lang = fence.trim_start_matches('`').trim();
        let indent = lines[i].len() - fence.len();
        let marker = (i > 0)
            .then(|| lines[i - 1].trim())
            .and_then(|l| l.strip_prefix("<!-- docs-test:"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(str::trim);
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with("```") {
            end += 1;
        }
        let body: Vec<&str> = lines[start..end]
            .iter()
            .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
            .collect();
        i = end + 1;
        if !matches!(lang, "sh" | "bash" | "shell") {
            continue;
        }
        let mut block_exit = 0;
        match marker {
            Some(m) if m.starts_with("skip") => {
                let reason = m.trim_start_matches("skip").trim_start_matches(':').trim();
                skipped.push((format!("{name}:{}", start), reason.to_string()));
                continue;
            }
            Some(m) => {
                block_exit = exit_in(m)
                    .unwrap_or_else(|| panic!("{name}:{start}: unknown docs-test marker `{m}`"));
            }
            None => {}
        }
        let mut j = 0;
        while j < body.len() {
            let first = j;
            let (code, comment) = split_comment(body[j]);
            if code.trim().is_empty() {
                j += 1;
                continue;
            }
            let mut script = code.to_string();
            let mut expect = comment.and_then(exit_in).unwrap_or(block_exit);
            while script.ends_with('\\') && j + 1 < body.len() {
                j += 1;
                script.pop();
                let (more, comment) = split_comment(body[j]);
                script.push_str(more);
                if let Some(e) = comment.and_then(exit_in) {
                    expect = e;
                }
            }
            if let Some(end) = heredoc(&script) {
                loop {
                    j += 1;
                    let Some(l) = body.get(j) else {
                        panic!("{name}:{}: heredoc `{end}` is not closed", start + first)
                    };
                    script.push('\n');
                    script.push_str(l);
                    if l.trim() == end {
                        break;
                    }
                }
            }
            j += 1;
            let words: Vec<&str> = script.split_whitespace().collect();
            let bitsim = match words.as_slice() {
                ["bitsim", ..] => true,
                ["cargo", "run", ..] if script.contains("-p bitsim-cli --") => {
                    assert!(
                        script.contains("--release"),
                        "{name}:{}: `cargo run` without --release",
                        start + first + 1
                    );
                    let args = script.split_once("-p bitsim-cli --").unwrap().1;
                    script = format!("bitsim{args}");
                    true
                }
                ["cat", ..] => false,
                _ => continue,
            };
            out.push(DocCommand {
                place: format!("{name}:{}", start + first + 1),
                script,
                expect,
                bitsim,
            });
        }
    }
    (out, skipped)
}

/// A scratch directory linking the repository's folders, with `bitsim`
/// on its `PATH`.
fn sandbox() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bitsim-docs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let root = root().canonicalize().unwrap();
    for entry in ["scenarios", "captures", "crates", "docs", "tests"] {
        std::os::unix::fs::symlink(root.join(entry), dir.join(entry)).unwrap();
    }
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_bitsim"), dir.join("bin/bitsim")).unwrap();
    dir
}

/// Runs `script` with bash in `dir`: its exit code, its output and how
/// long it took; `None` for the code when it ran past [`LIMIT`].
fn run(dir: &Path, script: &str) -> (Option<i32>, String, Duration) {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out_file = dir.join("last-output.txt");
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!("set -o pipefail\n{script}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    let out = std::fs::read_to_string(&out_file).unwrap_or_default();
    let tail: String = out.lines().rev().take(8).collect::<Vec<_>>().join("\n");
    (code, format!("{err}\n...\n{tail}"), start.elapsed())
}

fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

#[test]
fn the_comment_and_heredoc_readers_work() {
    assert_eq!(
        split_comment("bitsim sid BA   # exit 0"),
        ("bitsim sid BA", Some("exit 0"))
    );
    assert_eq!(
        split_comment("bitsim sddl 'D:(A;;FA;;;WD)#x'"),
        ("bitsim sddl 'D:(A;;FA;;;WD)#x'", None)
    );
    assert_eq!(exit_in("exit 2: bad input"), Some(2));
    assert_eq!(exit_in("exits 1"), Some(1));
    assert_eq!(exit_in("the bytes"), None);
    assert_eq!(heredoc("cat > a.yaml <<'YAML'").as_deref(), Some("YAML"));
    assert_eq!(heredoc("bitsim sid BA"), None);
}

#[cfg(unix)]
#[test]
fn every_documented_command_runs_with_the_exit_code_the_text_implies() {
    let dir = sandbox();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut total = Duration::ZERO;
    for doc in documents() {
        let (cmds, skipped) = commands(&doc);
        for (place, reason) in skipped {
            assert!(!reason.is_empty(), "{place}: a skipped block must say why");
        }
        for c in cmds {
            let (code, output, took) = run(&dir, &c.script);
            total += took;
            if c.bitsim {
                ran += 1;
            }
            match code {
                Some(code) if code == c.expect => {}
                Some(code) => failures.push(format!(
                    "{}: `{}` exited {code}, the text implies {}\n{output}",
                    c.place, c.script, c.expect
                )),
                None => failures.push(format!(
                    "{}: `{}` ran past {LIMIT:?}: mark its block `<!-- docs-test: skip: REASON -->`",
                    c.place, c.script
                )),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 40, "only {ran} documented commands found");
    eprintln!("{ran} documented bitsim commands ran in {total:?}");
}

#[test]
fn the_performance_figures_for_depth_5_are_the_current_counts() {
    let out = Command::new(env!("CARGO_BIN_EXE_bitsim"))
        .args([
            "explore",
            "--model",
            "helper-tokens",
            "--depth",
            "5",
            "--profile",
            "win10-1607",
            "--quiet",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let spaced = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(' ');
            }
            out.push(c);
        }
        out
    };
    let perf = std::fs::read_to_string(root().join("docs/performance.md")).unwrap();
    let counts = format!(
        "{} transitions, {} states",
        spaced(v["transitions"].as_u64().unwrap()),
        spaced(v["states"].as_u64().unwrap())
    );
    assert!(
        perf.contains(&counts),
        "docs/performance.md does not give the depth-5 counts `{counts}`"
    );
    let files = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
        .filter(|f| {
            f.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|e| e == "yaml")
        })
        .count();
    assert!(
        perf.contains(&format!("scenario library ({files} files)")),
        "docs/performance.md does not give the library's {files} files"
    );
}
