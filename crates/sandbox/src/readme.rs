//! The README's list of what the sandbox serves is generated from the
//! tables the server runs on ([`crate::ops::ENDPOINTS`], the WebSocket API's
//! session methods, [`crate::ops::NOT_SERVED`]), and this test keeps it so:
//! it fails when the list in README.md differs from the tables, and
//! `UPDATE_EXPECT=1 cargo test -p mbx-sandbox readme` writes it.

use std::fmt::Write as _;

use crate::exchange::Need;
use crate::ops::{ENDPOINTS, NOT_SERVED, Op, Refund, Retired, Weight};

const BEGIN: &str = "<!-- BEGIN served: generated from the sandbox's tables; `UPDATE_EXPECT=1 cargo test -p mbx-sandbox readme` rewrites it -->\n";
const END: &str = "<!-- END served -->\n";

/// The Markdown tables of what is served and what is not.
fn served_markdown() -> String {
    let mut out = String::new();
    out.push_str("| REST | WebSocket API | Security | Weight |\n|---|---|---|---|\n");
    for endpoint in ENDPOINTS {
        let security = match endpoint.op {
            Op::Public(_) => "NONE",
            Op::Signed(Need::Read, _) => "USER_DATA",
            Op::Signed(Need::Trade, _) => "TRADE",
        };
        let mut weight = match endpoint.weight {
            Weight::Fixed(weight) => weight.to_string(),
            Weight::ByParams(_) => "by parameters".to_owned(),
        };
        if endpoint.refund == Refund::OnSuccess {
            weight.push_str("; 0 on success");
        }
        let ws = endpoint
            .ws_method
            .map_or_else(|| "—".to_owned(), |method| format!("`{method}`"));
        let _ = writeln!(
            out,
            "| `{} {}` | {ws} | {security} | {weight} |",
            endpoint.http_method.as_str(),
            endpoint.path
        );
    }
    for method in crate::ws::session_methods() {
        let _ = writeln!(out, "| — | `{method}` | session | 2 |");
    }
    out.push_str("\nNot served:\n\n| Endpoint | Answer | Why |\n|---|---|---|\n");
    for not_served in NOT_SERVED {
        let (endpoint, answer) = match not_served.endpoint {
            Retired::Rest(method, path) => (
                format!("`{} {path}`", method.as_str()),
                "HTTP 410, `text/html`",
            ),
            Retired::Ws(method) => (format!("`{method}`"), "`-1020`"),
        };
        let _ = writeln!(out, "| {endpoint} | {answer} | {} |", not_served.reason);
    }
    out
}

#[test]
fn readme_lists_what_is_served() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find(BEGIN).expect("the README has the BEGIN marker") + BEGIN.len();
    let end = readme[start..]
        .find(END)
        .expect("the README has the END marker")
        + start;
    let expected = served_markdown();
    if readme[start..end] == expected {
        return;
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's list of what is served is out of date; run \
         `UPDATE_EXPECT=1 cargo test -p mbx-sandbox readme`. Expected:\n{expected}"
    );
}
