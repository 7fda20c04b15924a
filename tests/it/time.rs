//! `mbx time` against the sandbox.
// See: issue #6

use mbx_tests::run;

use crate::balances::Running;

#[test]
fn json_prints_server_time_and_offset() {
    let running = Running::demo();
    running.sandbox().set_clock_offset_ms(15_000);
    let out = run(running.mbx("time").arg("--json"));
    assert_eq!(out.code, 0, "{out:?}");
    // The documented order: `{"serverTime":...,"offsetMs":...}`.
    assert!(out.stdout.starts_with("{\"serverTime\":"), "{}", out.stdout);
    let body: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let offset = body["offsetMs"].as_i64().unwrap();
    assert!((14_000..=16_000).contains(&offset), "{body}");
    assert!(
        body["serverTime"].as_i64().unwrap() > 1_700_000_000_000,
        "{body}"
    );
}

#[test]
fn text_names_the_offset_and_warns_when_large() {
    let running = Running::demo();
    running.sandbox().set_clock_offset_ms(-15_000);
    let out = run(&mut running.mbx("time"));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("server time  "), "{}", out.stdout);
    assert!(
        out.stdout.contains("the server is behind this machine"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("sync the system clock"),
        "{}",
        out.stderr
    );
}

#[test]
fn needs_no_credentials() {
    let running = Running::demo();
    let out = run(&mut running.mbx("time"));
    assert_eq!(out.code, 0, "{out:?}");
}
