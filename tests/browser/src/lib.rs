//! Helpers for the browser tests: headless Chromium runs, a loopback HTTP
//! server for the playground folder, and checks on what a page loaded and
//! how its screenshot looks.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh scratch folder under `target/browser-tests`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/browser-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// What a headless Chromium run gave: the DOM (with `--dump-dom`) and
/// the console lines it logged.
pub struct Page {
    /// The serialized DOM after the page ran.
    pub dom: String,
    /// Every `CONSOLE` line Chromium logged.
    pub console: Vec<String>,
}

/// Runs `/usr/bin/chromium` headless on `url` with `extra` arguments
/// (`--dump-dom`, `--screenshot=FILE`), a fresh profile, no background
/// networking, and a virtual-time budget so the page's scripts finish.
pub fn chromium(url: &str, profile: &Path, extra: &[&str]) -> Page {
    let started = Instant::now();
    let out = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=30000",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("/usr/bin/chromium runs (apt-get install chromium)");
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "chromium took {:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    Page {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

/// The console lines that say the page tried to load something its
/// Content-Security-Policy forbids, or failed.
pub fn violations(page: &Page) -> Vec<&String> {
    page.console
        .iter()
        .filter(|l| {
            l.contains("Content Security Policy")
                || l.contains("Failed to load")
                || l.contains("Uncaught")
        })
        .collect()
}

/// Every external address the markup names in a place a browser fetches
/// from (`src`, `href`, `action`, CSS `url(...)`, `@import`): absolute
/// http(s) and protocol-relative URLs. (The SVG namespace in `xmlns` is
/// a name, not a fetch.)
pub fn external_urls(markup: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = markup.to_ascii_lowercase();
    for key in ["src=", "href=", "action=", "url(", "@import", "srcset="] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(key) {
            let start = from + at + key.len();
            let value: String = lower[start..]
                .trim_start_matches(['"', '\'', ' '])
                .chars()
                .take_while(|c| !matches!(c, '"' | '\'' | ')' | ' ' | '>'))
                .collect();
            if value.starts_with("http:") || value.starts_with("https:") || value.starts_with("//")
            {
                out.push(value);
            }
            from = start;
        }
    }
    out
}

/// A PNG's size and how many distinct colours it has, and the share of
/// pixels that differ from the most common colour.
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Distinct RGB colours.
    pub colours: usize,
    /// Pixels not of the most common colour, as a fraction.
    pub ink: f64,
}

/// Decodes a PNG file.
pub fn picture(path: &Path) -> Picture {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("the screenshot exists"));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "8-bit screenshot");
    let mut counts: std::collections::BTreeMap<[u8; 3], usize> = Default::default();
    for px in buf[..info.buffer_size()].chunks(channels) {
        let rgb = match channels {
            1 | 2 => [px[0], px[0], px[0]],
            _ => [px[0], px[1], px[2]],
        };
        *counts.entry(rgb).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    let most = counts.values().copied().max().unwrap_or(0);
    Picture {
        width: info.width,
        height: info.height,
        colours: counts.len(),
        ink: (total - most) as f64 / total.max(1) as f64,
    }
}

/// A loopback HTTP server for one folder: GET only, files only, with the
/// MIME types the playground needs; it records every path asked for.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The request lines received.
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn serve_one(mut stream: TcpStream, dir: &Path, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("a socket"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // Drain the headers.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    log.lock().expect("the log").push(line.trim().to_string());
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let file = dir.join(rel);
    let safe = !rel.split('/').any(|p| p == "..");
    let (status, body, kind) = match std::fs::read(&file) {
        Ok(body) if safe => ("200 OK", body, mime(&file)),
        _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
    let mut rest = [0u8; 64];
    let _ = stream.read(&mut rest);
}

impl Server {
    /// Serves `dir` on a free loopback port until dropped.
    pub fn start(dir: &Path) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let dir = dir.to_path_buf();
        let (s, r) = (stop.clone(), requests.clone());
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(300);
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        serve_one(stream, &dir, &r);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Server {
            base,
            requests,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
