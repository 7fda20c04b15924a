//! `cargo xtask endpoints DOCS_DIR [--check]`: generates the endpoint table
//! of `mbx-domain` (`crates/domain/src/endpoints/table.rs`) from the pinned
//! Binance docs.
//!
//! The docs live outside the repository (`shared/binance-docs/`), so CI
//! cannot regenerate the table: the generated file is committed, and this
//! task is run by hand when the pinned docs change. `--check` regenerates in
//! memory and fails when the committed file differs.
//!
//! What is read, from `rest-api.md` and `web-socket-api.md`:
//!
//! 1. every `#`-heading after `# Public API Endpoints` (REST) or
//!    `# Public API requests` (WebSocket API) opens a section;
//! 2. the section's security type is the last `(TRADE)`, `(USER_DATA)`,
//!    `(USER_STREAM)`, `(MARKET_DATA)` or `(SIGNED)` of its heading, `NONE`
//!    when there is none (rest-api.md § Request Security: "If unspecified,
//!    the security type is `NONE`");
//! 3. a REST endpoint is the first `METHOD /path` line of a code block in
//!    the section; a WebSocket API method is the first `"method": "name"`;
//! 4. the weight is the text between the `**Weight` line and the next
//!    `**...**` line, tables flattened to `condition: weight` items.

use std::fs;
use std::path::Path;

const TABLE_PATH: &str = "crates/domain/src/endpoints/table.rs";

/// Runs the task with the arguments after `endpoints`.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let (docs, check) = crate::docs_table::parse_args(args, USAGE)?;
    let docs = docs.as_path();
    let read = |name: &str| {
        fs::read_to_string(docs.join(name))
            .map_err(|err| format!("cannot read {}: {err}", docs.join(name).display()))
    };
    let rest = rest_endpoints(&read("rest-api.md")?)?;
    let ws = ws_methods(&read("web-socket-api.md")?)?;
    let commit = read("SOURCE.md")
        .ok()
        .and_then(|text| docs_commit(&text))
        .unwrap_or_else(|| "unknown".to_owned());
    let text = render(&rest, &ws, &commit);
    let summary = format!(
        "{} REST endpoints, {} WebSocket API methods",
        rest.len(),
        ws.len()
    );
    crate::docs_table::write_or_check(root, "endpoints", TABLE_PATH, docs, &text, check, &summary)
}

/// Usage of this task, for errors.
const USAGE: &str = "\
cargo xtask endpoints DOCS_DIR [--check]
  DOCS_DIR  the pinned Binance docs (e.g. /work/shared/binance-docs)
  --check   fail if the committed table differs instead of writing it";

#[derive(Debug)]
struct Section<'a> {
    heading: &'a str,
    lines: Vec<&'a str>,
}

#[derive(Debug)]
struct RestRow {
    method: String,
    path: String,
    security: &'static str,
    weight: String,
    title: String,
    anchor: String,
    deprecated: bool,
}

#[derive(Debug)]
struct WsRow {
    name: String,
    security: &'static str,
    weight: String,
    title: String,
    anchor: String,
    deprecated: bool,
}

fn rest_endpoints(text: &str) -> Result<Vec<RestRow>, String> {
    let mut rows = Vec::new();
    for section in sections(text, "# Public API Endpoints")? {
        let Some((method, path)) = section.lines.iter().find_map(|line| rest_line(line)) else {
            continue;
        };
        let (title, security) = heading_parts(section.heading);
        rows.push(RestRow {
            method: method.to_owned(),
            path: path.to_owned(),
            security,
            weight: weight_text(&section.lines),
            title: title.clone(),
            anchor: slug(section.heading),
            deprecated: title.contains("Deprecated"),
        });
    }
    check_unique(
        rows.iter()
            .map(|row| format!("{} {}", row.method, row.path)),
    )?;
    if rows.len() < 40 {
        return Err(format!(
            "only {} REST endpoints found; has the layout of rest-api.md changed?",
            rows.len()
        ));
    }
    Ok(rows)
}

fn ws_methods(text: &str) -> Result<Vec<WsRow>, String> {
    let mut rows = Vec::new();
    for section in sections(text, "# Public API requests")? {
        let Some(name) = section.lines.iter().find_map(|line| ws_line(line)) else {
            continue;
        };
        let (title, security) = heading_parts(section.heading);
        rows.push(WsRow {
            name: name.to_owned(),
            security,
            weight: weight_text(&section.lines),
            title: title.clone(),
            anchor: slug(section.heading),
            deprecated: title.contains("Deprecated"),
        });
    }
    check_unique(rows.iter().map(|row| row.name.clone()))?;
    if rows.len() < 40 {
        return Err(format!(
            "only {} WebSocket API methods found; has the layout of web-socket-api.md changed?",
            rows.len()
        ));
    }
    Ok(rows)
}

/// The sections after the line `start`, one per heading. Lines inside code
/// blocks never open a section (Python comments in the examples start
/// with `#`).
fn sections<'a>(text: &'a str, start: &str) -> Result<Vec<Section<'a>>, String> {
    let mut lines = text.lines();
    if !lines.any(|line| line.trim_end() == start) {
        return Err(format!("no `{start}` heading found"));
    }
    let mut res: Vec<Section<'a>> = Vec::new();
    let mut in_code = false;
    for line in lines {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            res.push(Section {
                heading: line.trim_start_matches('#').trim(),
                lines: Vec::new(),
            });
        } else if let Some(section) = res.last_mut() {
            section.lines.push(line);
        }
    }
    Ok(res)
}

fn rest_line(line: &str) -> Option<(&str, &str)> {
    let (method, path) = line.trim().split_once(' ')?;
    let method_ok = matches!(method, "GET" | "POST" | "PUT" | "DELETE");
    let path_ok = path.starts_with('/') && !path.contains(' ');
    (method_ok && path_ok).then_some((method, path))
}

fn ws_line(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix("\"method\":")?.trim();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(&rest[..end])
}

/// The title without the security label, and the label.
fn heading_parts(heading: &str) -> (String, &'static str) {
    const LABELS: [&str; 5] = ["TRADE", "USER_DATA", "USER_STREAM", "MARKET_DATA", "SIGNED"];
    for label in LABELS {
        let marker = format!("({label})");
        if let Some(idx) = heading.rfind(&marker) {
            let title = format!("{}{}", &heading[..idx], &heading[idx + marker.len()..]);
            return (title.trim().to_owned(), label);
        }
    }
    (heading.trim().to_owned(), "NONE")
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, everything
/// but letters, digits, `-` and `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

fn weight_text(lines: &[&str]) -> String {
    let Some(start) = lines
        .iter()
        .position(|line| line.trim_start().starts_with("**Weight"))
    else {
        return String::new();
    };
    let first = lines[start]
        .trim()
        .trim_start_matches("**Weight")
        .trim_start_matches(':')
        .trim_start_matches("**")
        .trim_start_matches(':')
        .trim()
        .to_owned();
    let mut body: Vec<&str> = Vec::new();
    for line in &lines[start + 1..] {
        if line.trim_start().starts_with("**") {
            break;
        }
        body.push(line);
    }
    let mut parts = Vec::new();
    if !first.is_empty() {
        parts.push(first);
    }
    let joined = body.join("\n");
    if joined.contains("<table") {
        parts.extend(html_table_rows(&joined));
    } else {
        for line in body {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if line.contains('|') {
                if let Some(row) = markdown_row(line) {
                    parts.push(row);
                }
            } else {
                parts.push(plain(line));
            }
        }
    }
    let mut res = String::new();
    for part in parts {
        if !res.is_empty() {
            res.push_str(if res.ends_with(':') { " " } else { "; " });
        }
        res.push_str(&part);
    }
    res
}

/// `| a | b | c |` → `a, b: c`; separator and header rows → `None`.
fn markdown_row(line: &str) -> Option<String> {
    let cells: Vec<String> = line
        .trim()
        .trim_matches('|')
        .split('|')
        .map(|cell| plain(cell.trim()))
        .collect();
    let is_separator = cells
        .iter()
        .all(|cell| !cell.is_empty() && cell.chars().all(|c| matches!(c, '-' | ':' | ' ')));
    let is_header = cells.iter().any(|cell| {
        let lower = cell.to_ascii_lowercase();
        lower == "weight"
            || lower == "request weight"
            || lower == "parameter"
            || lower == "condition"
    });
    if is_separator || is_header || cells.iter().all(String::is_empty) {
        return None;
    }
    Some(join_cells(&cells))
}

fn html_table_rows(html: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut n_columns = 0;
    let mut carried: Option<String> = None;
    for chunk in html.split("<tr>").skip(1) {
        let chunk = chunk.split("</tr>").next().unwrap_or("");
        if chunk.contains("<th") {
            n_columns = chunk.matches("<th").count();
            continue;
        }
        let mut cells: Vec<String> = chunk
            .split("<td")
            .skip(1)
            .map(|cell| {
                let inner = cell.split_once('>').map_or("", |(_, rest)| rest);
                let inner = inner.split("</td>").next().unwrap_or("");
                plain(&strip_tags(inner))
            })
            .collect();
        if chunk.contains("rowspan") {
            carried = cells.first().cloned();
        } else if cells.len() < n_columns
            && let Some(first) = &carried
        {
            cells.insert(0, first.clone());
        }
        if !cells.is_empty() {
            rows.push(join_cells(&cells));
        }
    }
    rows
}

fn join_cells(cells: &[String]) -> String {
    match cells {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{}: {last}", init.join(", ")),
    }
}

/// Drops HTML tags; a tag that breaks a line (`<br>`, `<td>`, ...) becomes a
/// space, an inline one (`<tt>`) nothing.
fn strip_tags(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    let mut tag: Option<String> = None;
    for c in text.chars() {
        match (&mut tag, c) {
            (None, '<') => tag = Some(String::new()),
            (Some(name), '>') => {
                let name = name.trim_start_matches('/').to_ascii_lowercase();
                let inline = matches!(
                    name.split_whitespace().next(),
                    Some("tt" | "code" | "b" | "i" | "em" | "strong")
                );
                if !inline {
                    res.push(' ');
                }
                tag = None;
            }
            (Some(name), c) => name.push(c),
            (None, c) => res.push(c),
        }
    }
    res
}

/// Markdown and HTML down to plain words on one line.
fn plain(text: &str) -> String {
    let text = strip_tags(text).replace(['`', '*'], "");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check_unique(keys: impl Iterator<Item = String>) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for key in keys {
        if !seen.insert(key.clone()) {
            return Err(format!("`{key}` appears twice in the docs"));
        }
    }
    Ok(())
}

pub(crate) fn docs_commit(source_md: &str) -> Option<String> {
    let idx = source_md.find("at commit `")?;
    let rest = &source_md[idx + "at commit `".len()..];
    Some(rest[..rest.find('`')?].to_owned())
}

fn render(rest: &[RestRow], ws: &[WsRow], commit: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "//! Generated by `cargo xtask endpoints` from rest-api.md and web-socket-api.md of\n\
         //! binance/binance-spot-api-docs at commit `{commit}`. Do not edit by hand:\n\
         //! change the generator (xtask/src/endpoints.rs) or the pinned docs and run it again.\n\n\
         use super::{{Method, RestEndpoint, Security, WsMethod}};\n\n"
    ));
    out.push_str(&format!(
        "/// Every REST endpoint of rest-api.md, in the order of the docs ({}).\n",
        rest.len()
    ));
    out.push_str("pub(super) static REST: &[RestEndpoint] = &[\n");
    for row in rest {
        out.push_str(&format!(
            "    RestEndpoint {{ method: Method::{}, path: {}, security: Security::{}, weight: {}, title: {}, docs: {}, deprecated: {} }},\n",
            method_variant(&row.method),
            quote(&row.path),
            security_variant(row.security),
            quote(&row.weight),
            quote(&row.title),
            quote(&format!("rest-api.md#{}", row.anchor)),
            row.deprecated,
        ));
    }
    out.push_str("];\n\n");
    out.push_str(&format!(
        "/// Every WebSocket API method of web-socket-api.md, in the order of the docs ({}).\n",
        ws.len()
    ));
    out.push_str("pub(super) static WS: &[WsMethod] = &[\n");
    for row in ws {
        out.push_str(&format!(
            "    WsMethod {{ name: {}, security: Security::{}, weight: {}, title: {}, docs: {}, deprecated: {} }},\n",
            quote(&row.name),
            security_variant(row.security),
            quote(&row.weight),
            quote(&row.title),
            quote(&format!("web-socket-api.md#{}", row.anchor)),
            row.deprecated,
        ));
    }
    out.push_str("];\n");
    out
}

fn method_variant(method: &str) -> &'static str {
    match method {
        "GET" => "Get",
        "POST" => "Post",
        "PUT" => "Put",
        _ => "Delete",
    }
}

fn security_variant(label: &str) -> &'static str {
    match label {
        "TRADE" => "Trade",
        "USER_DATA" => "UserData",
        "USER_STREAM" => "UserStream",
        "MARKET_DATA" => "MarketData",
        "SIGNED" => "Signed",
        _ => "None",
    }
}

fn quote(text: &str) -> String {
    format!("{text:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_heading(heading: &str, title: &str, security: &str) {
        assert_eq!(heading_parts(heading), (title.to_owned(), leak(security)));
    }

    fn leak(text: &str) -> &'static str {
        match text {
            "TRADE" => "TRADE",
            "USER_DATA" => "USER_DATA",
            "SIGNED" => "SIGNED",
            _ => "NONE",
        }
    }

    #[test]
    fn headings() {
        check_heading("New order (TRADE)", "New order", "TRADE");
        check_heading("Order book", "Order book", "NONE");
        check_heading(
            "New OCO - Deprecated (TRADE)",
            "New OCO - Deprecated",
            "TRADE",
        );
        check_heading(
            "Log in with API key (SIGNED)",
            "Log in with API key",
            "SIGNED",
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Compressed/Aggregate trades list"),
            "compressedaggregate-trades-list"
        );
        assert_eq!(slug("New order (TRADE)"), "new-order-trade");
        assert_eq!(slug("Kline/Candlestick data"), "klinecandlestick-data");
    }

    #[test]
    fn weights() {
        assert_eq!(
            weight_text(&["**Weight:**", "1", "", "**Parameters:**"]),
            "1"
        );
        assert_eq!(weight_text(&["**Weight:** 2", "", "**Parameters**:"]), "2");
        assert_eq!(
            weight_text(&[
                "**Weight:**",
                "|Condition| Request Weight|",
                "|------------ | ------------ |",
                "|Without `computeCommissionRates`| 1|",
                "|With `computeCommissionRates`|20|",
                "**Parameters:**"
            ]),
            "Without computeCommissionRates: 1; With computeCommissionRates: 20"
        );
    }
}
