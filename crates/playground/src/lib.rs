//! `playground`: the model compiled to WebAssembly for the browser page
//! in `crates/playground/www` (built by `scripts/build-playground.sh`).
//!
//! It exposes the scenario library, the OS profiles, and [`run`]: a
//! scenario's text and a profile in, the HTML report of `runner::html`
//! out (the same report `bitsim run --format html` writes). Nothing here
//! decides anything: it loads with `runner::load`, runs with
//! `runner::run::run_with` and renders with `runner::html`.

use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;

mod library {
    include!(concat!(env!("OUT_DIR"), "/scenarios.rs"));
}

pub use library::LIBRARY;

/// A library scenario as the page lists it.
#[derive(Debug, Serialize)]
struct Entry<'a> {
    path: &'a str,
    text: &'a str,
}

/// The scenario library as JSON: `[{path, text}]`, in path order.
#[wasm_bindgen]
pub fn scenarios() -> String {
    let list: Vec<Entry<'_>> = LIBRARY
        .iter()
        .map(|(path, text)| Entry { path, text })
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_string())
}

/// The OS profiles' names as JSON, oldest first.
#[wasm_bindgen]
pub fn profiles() -> String {
    let names: Vec<&str> = bits::Profile::ALL.iter().map(|p| p.name()).collect();
    serde_json::to_string(&names).unwrap_or_else(|_| "[]".to_string())
}

/// Runs the scenario `text` (named `file` in messages) under `profile`
/// (empty: the scenario's own profiles) and returns the report's HTML, or
/// the load errors as HTML.
#[wasm_bindgen]
pub fn run(file: &str, text: &str, profile: &str) -> String {
    match render(file, text, profile) {
        Ok(html) => html,
        Err(message) => format!(
            "<div class=\"bitsim-report\"><pre class=\"load-error\">{}</pre></div>",
            runner::html::escape(&message)
        ),
    }
}

/// [`run`]'s work: the report, or why the scenario could not run.
pub fn render(file: &str, text: &str, profile: &str) -> Result<String, String> {
    let only = if profile.is_empty() {
        None
    } else {
        Some(profile.parse::<bits::Profile>().map_err(|_| {
            format!(
                "unknown profile `{profile}`: expected one of {}",
                bits::Profile::ALL.map(bits::Profile::name).join(", ")
            )
        })?)
    };
    let mut scenario = runner::load(file, text).map_err(|e| e.to_string())?;
    runner::imports::resolve(&mut scenario, |kind, path| {
        embedded_capture(file, path).ok_or_else(|| runner::imports::ImportError {
            kind,
            file: path.to_string(),
            text: None,
            line_column: None,
            message: format!(
                "the playground holds only the library's captures (captures/*.yaml); this {kind} is not one of them"
            ),
        })
    })
    .map_err(|e| e.to_string())?;
    let options = runner::run::Options {
        only,
        world_views: true,
        ..runner::run::Options::default()
    };
    let runs = runner::run::run_with(&scenario, file, text, &options).map_err(|e| e.to_string())?;
    Ok(runner::html::body(&format!("bitsim run {file}"), &runs))
}

/// The text of an embedded capture that `path`, relative to the folder of
/// the library scenario `file` (a path under `scenarios/`), names.
fn embedded_capture(file: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = std::iter::once("scenarios")
        .chain(file.split('/'))
        .collect();
    parts.pop();
    for part in path.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    let wanted = parts.join("/");
    library::CAPTURES
        .iter()
        .find(|(p, _)| *p == wanted)
        .map(|(_, text)| (*text).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_embedded_in_path_order() {
        assert!(LIBRARY.len() > 50, "{}", LIBRARY.len());
        assert!(LIBRARY.windows(2).all(|w| w[0].0 < w[1].0));
        let (_, text) = LIBRARY
            .iter()
            .find(|(p, _)| *p == "helper-tokens/owner-logoff-drops-helper.yaml")
            .expect("the owner-logoff scenario is in the library");
        assert!(text.contains("logoff: admin"));
        let list: serde_json::Value = serde_json::from_str(&scenarios()).expect("JSON");
        assert_eq!(list.as_array().map(Vec::len), Some(LIBRARY.len()));
    }

    #[test]
    fn running_a_library_scenario_gives_the_report() {
        let (path, text) = LIBRARY
            .iter()
            .find(|(p, _)| *p == "helper-tokens/owner-logoff-drops-helper.yaml")
            .expect("in the library");
        let html = render(path, text, "win11").expect("runs");
        assert!(html.contains("owner-logoff-drops-helper <span class=\"profile\">[win11]</span>"));
        assert!(!html.contains("[win7]"));
        assert!(html.contains("job discards its helper token (owner logoff)"));
        assert!(html.contains("SUSPENDED → ERROR (BG_E_TOKEN_REQUIRED)"));
        // Every profile of the scenario when none is chosen.
        let all = render(path, text, "").expect("runs");
        assert!(all.contains("[win7]") && all.contains("[win10-1607]"));
    }

    #[test]
    fn a_library_scenario_that_imports_captures_runs_from_the_embedded_ones() {
        let (path, text) = LIBRARY
            .iter()
            .find(|(p, _)| *p == "import/captured-account-reads-captured-file.yaml")
            .expect("in the library");
        let html = render(path, text, "win11").expect("runs");
        assert!(html.contains("S-1-5-21-3332504370-1206983947-1165150453-1106"));
        // Pasted elsewhere, the same text names a capture the page lacks.
        let err = render("pasted.yaml", text, "win11").expect_err("not embedded");
        assert!(err.contains("captures/*.yaml"), "{err}");
    }

    #[test]
    fn bad_input_is_reported_not_panicked_on() {
        let err = render(
            "x.yaml",
            "name: x\nabout: y\nsteps:\n  - logon: { usr: alice }\n",
            "",
        )
        .expect_err("an unknown key");
        assert!(err.contains("x.yaml:4"), "{err}");
        let err =
            render("x.yaml", "name: x\nabout: y\nsteps: []\n", "win12").expect_err("a bad profile");
        assert!(err.contains("unknown profile `win12`"), "{err}");
        assert!(run("x.yaml", ": : :", "").contains("load-error"));
    }
}
