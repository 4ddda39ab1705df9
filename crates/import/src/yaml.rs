//! Writing YAML scalars safely: every string is quoted, single-quoted when
//! it holds only printable characters (so Windows paths keep their
//! backslashes as typed) and double-quoted with escapes otherwise.

use std::fmt::Write;

/// `text` as a quoted YAML scalar.
pub fn string(text: &str) -> String {
    let printable = text
        .chars()
        .all(|c| !c.is_control() && c != '\u{feff}' && c != '\u{2028}' && c != '\u{2029}');
    if printable {
        return format!("'{}'", text.replace('\'', "''"));
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An optional string: `null` or the quoted string.
pub fn opt_string(text: Option<&str>) -> String {
    text.map_or_else(|| "null".to_string(), string)
}

/// An optional number: `null` or the number.
pub fn opt_u64(n: Option<u64>) -> String {
    n.map_or_else(|| "null".to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_a_yaml_parser() {
        for s in [
            "C:\\Windows",
            "it's",
            "a\tb\u{1b}",
            "é用户",
            "",
            "null",
            "- x: y",
        ] {
            let yaml = format!("k: {}\n", string(s));
            let back: std::collections::BTreeMap<String, String> =
                serde_yaml::from_str(&yaml).unwrap();
            assert_eq!(back["k"], s, "{yaml}");
        }
    }
}
