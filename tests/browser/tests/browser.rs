//! The HTML report and the playground in headless Chromium: what the
//! rendered DOM shows (the helper token discarded, the job in ERROR with
//! BG_E_TOKEN_REQUIRED), that the pages load nothing from the network,
//! and that their screenshots are pictures, not a blank page.
//!
//! Needs /usr/bin/chromium (`apt-get install chromium`); builds the
//! release `bitsim` and, if `target/playground` is missing, the
//! playground (`scripts/build-playground.sh`). With
//! `BITSIM_UPDATE_SCREENSHOTS=1` the screenshots are copied to `docs/img/`.

use std::path::Path;
use std::process::Command;

use bitsim_browser_tests::{
    chromium, external_urls, picture, root, scratch, violations, Page, Server,
};

const SCENARIO: &str = "scenarios/helper-tokens/owner-logoff-drops-helper.yaml";

fn bitsim_html(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "run",
            "--release",
            "--locked",
            "-q",
            "-p",
            "bitsim-cli",
            "--",
        ])
        .args(args)
        .output()
        .expect("cargo runs bitsim");
    assert!(
        out.status.success(),
        "bitsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn keep_screenshot(from: &Path, name: &str) {
    if std::env::var_os("BITSIM_UPDATE_SCREENSHOTS").is_some() {
        let to = root().join("docs/img").join(name);
        std::fs::copy(from, &to).expect("docs/img is writable");
    }
}

fn assert_is_a_picture(png: &Path) {
    let p = picture(png);
    assert_eq!((p.width, p.height), (1280, 1600), "{}", png.display());
    assert!(
        p.colours > 16,
        "{} has {} colours",
        png.display(),
        p.colours
    );
    assert!(
        p.ink > 0.02,
        "{} is nearly blank ({:.3})",
        png.display(),
        p.ink
    );
}

/// The markers of the owner-logoff run in a rendered report.
fn assert_shows_the_discard_and_the_error(dom: &str, profile: &str) {
    assert!(
        dom.contains(&format!(
            "owner-logoff-drops-helper <span class=\"profile\">[{profile}]</span>"
        )),
        "no {profile} run"
    );
    // In the diagram: the discard and the state change as notes.
    assert!(dom.contains(
        "<g class=\"note discard\"><title>job discards its helper token (owner logoff)</title>"
    ));
    assert!(dom.contains(
        "<g class=\"note state bad\"><title>job: SUSPENDED → ERROR (BG_E_TOKEN_REQUIRED)</title>"
    ));
    // In the world inspector after the last step: the job in ERROR with
    // its error and no helper token.
    let world = dom
        .split("<section class=\"world")
        .last()
        .expect("a world view");
    assert!(
        world.contains("<td class=\"jobstate\">ERROR</td>"),
        "{world}"
    );
    assert!(world.contains("BG_E_TOKEN_REQUIRED 0x80200056"), "{world}");
    assert!(world.contains("<td class=\"helper\">none</td>"), "{world}");
}

fn assert_loads_nothing(page: &Page) {
    assert!(
        violations(page).is_empty(),
        "the page was refused or failed a load: {:?}",
        violations(page)
    );
}

#[test]
fn the_html_report_shows_the_discard_and_the_error_and_loads_nothing() {
    let dir = scratch("report");
    let html = bitsim_html(&["run", SCENARIO, "--format", "html"]);
    let file = dir.join("r.html");
    std::fs::write(&file, &html).expect("written");

    // The file itself: a policy that allows no load, no external script,
    // style, font or image.
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; "
    ));
    assert!(!html.contains("<script src") && !html.contains("<link"));
    assert_eq!(external_urls(&html), Vec::<String>::new());

    let url = format!("file://{}", file.display());
    let page = chromium(&url, &dir.join("profile"), &["--dump-dom"]);
    assert_loads_nothing(&page);
    assert_eq!(external_urls(&page.dom), Vec::<String>::new());
    for profile in ["win7", "win10-1607", "win11"] {
        let run = page
            .dom
            .split("<section class=\"run\"")
            .skip(1)
            .find(|s| s.contains(&format!("[{profile}]")))
            .expect("the run");
        assert_shows_the_discard_and_the_error(run, profile);
    }
    // The script ran: the world inspector shows the last step's world.
    assert!(page
        .dom
        .contains("<section class=\"world shown\" id=\"r0-w15\">"));

    let shot = dir.join("report.png");
    chromium(
        &url,
        &dir.join("profile"),
        &[&format!("--screenshot={}", shot.display())],
    );
    assert_is_a_picture(&shot);
    keep_screenshot(&shot, "report.png");

    // The checks above can fail: a page that names an outside image is
    // caught by both the markup scan and the policy.
    let bad = html.replacen(
        "<body>",
        "<body><img src=\"https://example.invalid/x.png\">",
        1,
    );
    let bad_file = dir.join("bad.html");
    std::fs::write(&bad_file, &bad).expect("written");
    assert_eq!(
        external_urls(&bad),
        vec!["https://example.invalid/x.png".to_string()]
    );
    let page = chromium(
        &format!("file://{}", bad_file.display()),
        &dir.join("profile"),
        &["--dump-dom"],
    );
    assert!(
        violations(&page)
            .iter()
            .any(|l| l.contains("example.invalid") && l.contains("Content Security Policy")),
        "{:?}",
        page.console
    );
}

#[test]
fn the_playground_runs_a_library_scenario_in_the_browser() {
    let folder = root().join("target/playground");
    if !folder.join("index.html").exists() {
        let status = Command::new("bash")
            .arg(root().join("scripts/build-playground.sh"))
            .current_dir(root())
            .status()
            .expect("the build script runs");
        assert!(status.success(), "scripts/build-playground.sh failed");
    }
    let dir = scratch("playground");
    let server = Server::start(&folder);
    let url = format!(
        "{}/index.html?scenario=helper-tokens/owner-logoff-drops-helper.yaml&profile=win11&run=1",
        server.base
    );
    let page = chromium(&url, &dir.join("profile"), &["--dump-dom"]);
    assert_loads_nothing(&page);
    assert!(
        page.dom.contains("data-state=\"done\""),
        "the page did not finish: {}",
        &page.dom[..page.dom.len().min(2000)]
    );
    // The library is listed, the chosen profile only was run.
    assert!(page.dom.matches("<option value=\"").count() > 60);
    assert!(page.dom.contains("ran 1 run in"));
    assert_shows_the_discard_and_the_error(&page.dom, "win11");
    assert!(!page.dom.contains("[win7]"));
    assert_eq!(external_urls(&page.dom), Vec::<String>::new());

    let shot = dir.join("playground.png");
    chromium(
        &url,
        &dir.join("profile"),
        &[&format!("--screenshot={}", shot.display())],
    );
    assert_is_a_picture(&shot);
    keep_screenshot(&shot, "playground.png");

    // Everything came from the test's own server, and only the page's
    // own files (the browser may also ask for a favicon).
    let requests = server.requests.lock().expect("the log").clone();
    assert!(!requests.is_empty());
    for r in &requests {
        let path = r.split_whitespace().nth(1).unwrap_or("");
        let path = path.split('?').next().unwrap_or("");
        assert!(r.starts_with("GET "), "{r}");
        assert!(
            path == "/favicon.ico" || folder.join(path.trim_start_matches('/')).is_file(),
            "asked for {path}"
        );
    }
    assert!(requests
        .iter()
        .any(|r| r.contains("/pkg/bitsim_playground_bg.wasm")));
}
