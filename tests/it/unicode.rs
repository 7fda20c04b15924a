//! A Unicode symbol (the testnet's `这是测试币456`) through the CLI: signed
//! over its percent-encoded UTF-8, streamed, and printed in tables that stay
//! aligned by display width.
// See: issue #12

use mbx_tests::run;
use unicode_width::UnicodeWidthStr as _;

use crate::balances::Running;

const SYMBOL: &str = "这是测试币456";
const ASSET: &str = "这是测试币";
const DEMO_UID: u64 = 354_937_868;

#[test]
fn a_unicode_symbol_is_signed_streamed_and_aligned() {
    let running = Running::demo();
    // Signed: myTrades is USER_DATA, so the percent-encoded UTF-8 query is
    // what the signature covers.
    let trades = run(running.mbx_with_demo_key("api").args([
        "GET",
        "/api/v3/myTrades",
        "-p",
        &format!("symbol={SYMBOL}"),
    ]));
    assert_eq!(trades.code, 0, "{trades:?}");
    assert_eq!(trades.stdout.trim(), "[]");

    let stream = run(running.mbx("stream").args([
        &format!("{SYMBOL}@trade"),
        "--count",
        "1",
        "--duration",
        "20s",
    ]));
    assert_eq!(stream.code, 0, "{stream:?}");
    let event: serde_json::Value = serde_json::from_str(stream.stdout.trim()).unwrap();
    assert_eq!(event["symbol"], SYMBOL);

    running
        .sandbox()
        .deposit(DEMO_UID, ASSET, "12.5".parse().unwrap())
        .unwrap();
    let table = run(&mut running.mbx_with_demo_key("balances"));
    assert_eq!(table.code, 0, "{table:?}");
    let widths: Vec<usize> = table.stdout.lines().map(|line| line.width()).collect();
    assert!(
        table.stdout.lines().any(|line| line.starts_with(ASSET)),
        "{}",
        table.stdout
    );
    assert!(
        widths.windows(2).all(|pair| pair[0] == pair[1]),
        "every row as wide as the header: {widths:?}\n{}",
        table.stdout
    );
}
