//! Hostile input stays bounded: every case in `tests/hostile/cases.txt`
//! and a set of one-megabyte files of arbitrary content are run through
//! the built binary, each under a memory bound, and must end with the
//! stated exit code (2 for bad input), print no raw control character and
//! keep diagnostics' lines short.
//!
//! Memory is the peak resident set of the children waited for so far
//! (`getrusage(RUSAGE_CHILDREN)`), which bounds each child's, checked
//! against 512 MiB. Time is a hang guard only (a debug build is
//! several times slower than a release one): the release figures are in
//! `docs/fuzzing.md`.

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a surprise should fail the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};

/// The memory bound of every hostile input.
const MAX_RSS_BYTES: u64 = 512 * 1024 * 1024;
/// A case still running after this long is taken to hang.
const HANG: Duration = Duration::from_secs(60);
/// Diagnostics cut longer lines (`bitsim_cli::escape::MAX_LINE_CHARS`),
/// plus room for the note that says so and miette's margin.
const MAX_STDERR_LINE_CHARS: usize = bitsim_cli::escape::MAX_LINE_CHARS + 80;

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile")
}

struct Outcome {
    code: i32,
    max_rss: u64,
    elapsed: Duration,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs the binary with `args` in `dir`, output to files, and waits for
/// it, killing it if it hangs.
fn run(dir: &Path, args: &[String], tag: &str) -> Outcome {
    let scratch = std::env::temp_dir().join(format!("bitsim-hostile-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_bitsim"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("the bitsim binary starts");
    let mut child = child;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for bitsim") {
            break status;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`bitsim {}` still ran after {HANG:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let Some(code) = status.code() else {
        panic!(
            "`bitsim {}` was killed by a signal: {status}",
            args.join(" ")
        );
    };
    // The peak resident set of the largest child waited for so far: a
    // bound on every one of them.
    let children = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let outcome = Outcome {
        code,
        max_rss: u64::try_from(children.max_rss()).unwrap_or(0) * 1024,
        elapsed,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

/// Checks the bounds every hostile run must keep, whatever its exit code.
fn check_bounded(args: &[String], o: &Outcome) {
    let shown = format!(
        "`bitsim {}`",
        args.join(" ").chars().take(200).collect::<String>()
    );
    assert!(
        o.max_rss <= MAX_RSS_BYTES,
        "{shown} peaked at {} MiB",
        o.max_rss >> 20
    );
    for (name, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let raw = bytes
            .iter()
            .any(|&b| (b < 0x20 && !matches!(b, b'\n' | b'\t' | b'\r')) || b == 0x7f);
        assert!(!raw, "{shown} wrote a raw control character to {name}");
    }
    let stderr = String::from_utf8_lossy(&o.stderr);
    if let Some(line) = stderr
        .lines()
        .find(|l| l.chars().count() > MAX_STDERR_LINE_CHARS)
    {
        panic!(
            "{shown} wrote a diagnostic line of {} characters",
            line.chars().count()
        );
    }
}

/// The cases of `cases.txt`: exit code and arguments.
fn cases() -> Vec<(i32, Vec<String>)> {
    let dir = hostile_dir();
    let text = std::fs::read_to_string(dir.join("cases.txt")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut words = line.split_whitespace();
            let code = words.next().unwrap().parse().expect("an exit code first");
            let args = words
                .map(|w| match w.strip_prefix('@') {
                    Some(file) => std::fs::read_to_string(dir.join(file))
                        .unwrap_or_else(|e| panic!("{file}: {e}"))
                        .trim()
                        .to_string(),
                    None => w.to_string(),
                })
                .collect();
            (code, args)
        })
        .collect()
}

#[test]
fn every_hostile_input_ends_as_stated_within_bounds() {
    let dir = hostile_dir();
    let all = cases();
    assert!(all.len() >= 10, "cases.txt lists the hostile inputs");
    for (n, (code, args)) in all.iter().enumerate() {
        let o = run(&dir, args, &format!("case{n}"));
        let shown = args.join(" ").chars().take(120).collect::<String>();
        assert_eq!(
            o.code,
            *code,
            "`bitsim {shown}` exited {} (expected {code}) after {:?}; stderr: {}",
            o.code,
            o.elapsed,
            String::from_utf8_lossy(&o.stderr)
                .chars()
                .take(2000)
                .collect::<String>()
        );
        check_bounded(args, &o);
        eprintln!(
            "{:>8.2?} {:>5} MiB (largest so far)  bitsim {shown}",
            o.elapsed,
            o.max_rss >> 20
        );
    }
}

#[test]
fn diagnostics_escape_control_characters_and_cut_long_values() {
    let dir = hostile_dir();
    let args = vec!["run".to_string(), "escapes-in-error.yaml".to_string()];
    let o = run(&dir, &args, "escapes");
    assert_eq!(o.code, 2);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("no thread is named `\\e[31mred"),
        "{stderr}"
    );
    assert!(stderr.contains("more characters)"), "{stderr}");
    check_bounded(&args, &o);
}

/// A deterministic byte generator (xorshift), so the "any content" files
/// are the same on every run.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }
}

/// One-megabyte files of assorted shapes: random bytes, random YAML
/// punctuation, one huge scalar, a huge flat list, a huge mapping,
/// repeated keys, deep dashes, and a scenario at the step limit.
fn megabyte_files() -> Vec<(&'static str, Vec<u8>)> {
    const SIZE: usize = 1 << 20;
    let fill = |unit: &str| unit.repeat(SIZE / unit.len()).into_bytes();
    let mut random = Bytes(0x9e37_79b9_7f4a_7c15);
    let mut punct = Bytes(0x1234_5678_9abc_def1);
    let alphabet = b"-:{}[],\"' \n\tab1&*!|>#?%@`";
    let mut scenario = String::from(
        "name: big\nabout: a scenario at the step limit\nprofiles: [win10-1607]\nsteps:\n  - logon: { user: alice }\n",
    );
    for n in 0..1999 {
        scenario.push_str(&format!(
            "  - SetDisplayName: {{ thread: alice, job: j{n}, value: '{}' }}\n",
            "v".repeat(400)
        ));
    }
    scenario.truncate(SIZE);
    vec![
        ("random", (0..SIZE).map(|_| random.next()).collect()),
        (
            "punctuation",
            (0..SIZE)
                .map(|_| alphabet[usize::from(punct.next()) % alphabet.len()])
                .collect(),
        ),
        ("scalar", {
            let mut v = fill("x");
            v[0] = b'"';
            let last = v.len() - 1;
            v[last] = b'"';
            v
        }),
        ("flat-list", {
            let mut v = b"[".to_vec();
            v.extend(fill("1,").into_iter().take(SIZE - 2));
            v.push(b']');
            v
        }),
        ("mapping", {
            let mut s = String::new();
            let mut n = 0;
            while s.len() < SIZE - 32 {
                s.push_str(&format!("k{n}: {n}\n"));
                n += 1;
            }
            s.into_bytes()
        }),
        ("repeated-key", fill("user: S-1-1-0\n")),
        (
            "dashes",
            fill("- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - x\n"),
        ),
        ("scenario", scenario.into_bytes()),
    ]
}

#[test]
fn a_megabyte_of_anything_is_bounded_as_scenario_and_token_file() {
    let dir = std::env::temp_dir().join(format!("bitsim-megabyte-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in megabyte_files() {
        assert!(bytes.len() <= 1 << 20, "{name} is at most the limit");
        let file = format!("{name}.yaml");
        std::fs::write(dir.join(&file), &bytes).unwrap();
        for args in [
            vec!["run".to_string(), file.clone()],
            vec![
                "access".to_string(),
                "--token".to_string(),
                file.clone(),
                "--sd".to_string(),
                "O:SYG:SYD:(A;;FA;;;WD)".to_string(),
                "--desired".to_string(),
                "FILE_GENERIC_READ".to_string(),
            ],
        ] {
            let o = run(&dir, &args, name);
            assert!(
                matches!(o.code, 0..=2),
                "`bitsim {} {file}` exited {}",
                args[0],
                o.code
            );
            check_bounded(&args, &o);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
