//! Embeds the scenario library: writes `scenarios.rs` in OUT_DIR with
//! every `scenarios/**/*.yaml` as (path, text), in path order, and the
//! imported captures the library's host sections name
//! (`captures/*.yaml`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../../scenarios");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut code = String::new();
    embed(
        &mut code,
        "/// The scenario library: (path under scenarios/, text).\npub const LIBRARY",
        &files,
        &root,
        "",
    );
    let captures = manifest.join("../../captures");
    println!("cargo:rerun-if-changed={}", captures.display());
    let mut files = Vec::new();
    collect(&captures, &mut files);
    files.sort();
    embed(
        &mut code,
        "/// The imported captures: (path under the repository, text).\npub const CAPTURES",
        &files,
        &captures,
        "captures/",
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("scenarios.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
}

/// Appends `HEAD: &[(&str, &str)]`, one `(prefix + path under root, text)`
/// entry per file, each file's text included at compile time.
fn embed(code: &mut String, head: &str, files: &[PathBuf], root: &Path, prefix: &str) {
    let _ = writeln!(code, "{head}: &[(&str, &str)] = &[");
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(root)
            .map(|p| format!("{prefix}{}", p.to_string_lossy().replace('\\', "/")))
            .unwrap_or_default();
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            f.canonicalize()
                .unwrap_or_else(|_| f.clone())
                .display()
                .to_string()
        );
    }
    code.push_str("];\n");
}
