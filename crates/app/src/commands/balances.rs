//! `mbx balances`: the account's balances as a table or JSON.

use std::collections::HashMap;
use std::time::Duration;

use mbx_domain::model::{Balance, Decimal};
use mbx_domain::ports::{AccountData as _, MarketData as _};

use crate::cli::GlobalArgs;
use crate::commands::{balances_watch, stdout_result, stream};
use crate::context::{self, Context};
use crate::output::{UserError, print_data};

/// Show the account's balances.
///
/// Prints the non-zero balances (asset, free, locked, total) with the exact
/// decimals the server sent. `--all` includes zero balances. `--quote USDT`
/// adds each balance's estimated value in USDT from the last ticker prices
/// (directly, inverted, or through BTC), with a total.
///
/// With `--json`, prints one array:
/// `[{"asset":"BTC","free":"1.50000000","locked":"0.00000000"}, ...]`
/// (with `--quote`, each entry also has `"value"`: a string, or null when no
/// price was found). Fields may be added, never removed.
///
/// `--watch` keeps running and redraws the table in place as balances
/// change (changed rows in bold, unless `NO_COLOR`), from the account's
/// user-data stream over the WebSocket API (see `mbx user-stream`); quote
/// values follow the prices every 5 s. When stdout is not a terminal it
/// prints plain lines instead: first one per balance (non-zero unless
/// `--all`), then one per change,
/// `ASSET FREE LOCKED TOTAL` (plus the value with `--quote`) with the
/// server's decimals; with `--json`, one object per line (NDJSON):
/// `{"asset":"BTC","free":"2.00000000","locked":"0.00000000","total":"2.00000000"}`
/// plus `"value"` with `--quote`, and `"reconciled":true` on changes found
/// over REST after a reconnect. Reconnects are said on stderr; after one the
/// account is fetched again, so no change is lost. It runs until Ctrl-C,
/// `--count` changes or `--duration`.
///
/// Needs an API key with reading permission (`BINANCE_API_KEY` and
/// `BINANCE_API_SECRET`, `BINANCE_PRIVATE_KEY_FILE`, or a profile). To try it
/// without an account, `--sandbox` starts a local sandbox exchange with a
/// demo account.
///
/// Examples:
///
///   mbx balances --sandbox
///
///   mbx balances --testnet --quote USDT
///
///   mbx balances --watch --sandbox
///
/// `--watch --sandbox` shows the demo account, but nothing moves there
/// unless you trade. The useful demo runs `mbx sandbox` in another terminal
/// (it prints a demo key and secret: put them in `BINANCE_API_KEY` and
/// `BINANCE_API_SECRET`), watches it with `--base-url`, and moves money:
///
///   mbx sandbox --port 8080
///   mbx balances --watch --base-url http://127.0.0.1:8080
///   curl -X POST 'http://127.0.0.1:8080/sandbox/deposit?asset=BTC&amount=0.5'
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct BalancesArgs {
    /// Include zero balances.
    #[arg(long)]
    all: bool,

    /// Add the estimated value in this asset (e.g. `USDT`), with a total.
    #[arg(long, value_name = "ASSET")]
    quote: Option<String>,

    /// Keep running and show every change as it happens.
    #[arg(long)]
    watch: bool,

    /// With `--watch`: stop after this many changed balances (the first
    /// lines are not changes).
    #[arg(long, value_name = "N", requires = "watch")]
    count: Option<u64>,

    /// With `--watch`: stop after this long, e.g. `30s`, `5m`, `1h`.
    #[arg(long, value_name = "DURATION", value_parser = stream::parse_duration, requires = "watch")]
    duration: Option<Duration>,

    /// With `--watch`: the WebSocket API URL, when it cannot be derived from
    /// the REST target, e.g. `wss://ws-api.binance.com:443/ws-api/v3`.
    #[arg(long, value_name = "URL", requires = "watch")]
    ws_api_url: Option<String>,
}

pub fn run(global: &GlobalArgs, args: BalancesArgs) -> Result<(), UserError> {
    context::block_on(async {
        let ctx = Context::resolve(global).await?;
        let res = if args.watch {
            let options = balances_watch::Options {
                all: args.all,
                quote: normalized_quote(args.quote.as_deref()),
                count: args.count,
                duration: args.duration,
                ws_api_url: args.ws_api_url.clone(),
            };
            balances_watch::watch(&ctx, &options).await
        } else {
            show(&ctx, &args).await
        };
        ctx.finish().await;
        res
    })
}

async fn show(ctx: &Context, args: &BalancesArgs) -> Result<(), UserError> {
    ctx.require_credentials()?;
    let account = ctx.client.account(!args.all).await?;
    let balances: Vec<Balance> = account
        .balances
        .into_iter()
        .filter(|balance| args.all || !balance.is_zero())
        .collect();
    let quote = normalized_quote(args.quote.as_deref());
    let values = match &quote {
        Some(quote) => {
            let prices = prices(ctx).await?;
            Some(
                balances
                    .iter()
                    .map(|balance| value_in(balance, quote, &prices))
                    .collect::<Vec<_>>(),
            )
        }
        None => None,
    };
    let out = if ctx.json {
        render_json(&balances, values.as_deref())
    } else {
        note_unpriced(values.as_deref());
        render_table(&balances, quote.as_deref().zip(values.as_deref()))
    };
    stdout_result(print_data(&out))
}

fn normalized_quote(quote: Option<&str>) -> Option<String> {
    quote.map(|quote| quote.trim().to_ascii_uppercase())
}

/// The last price of every symbol, for [`value_in`].
pub(crate) async fn prices(ctx: &Context) -> Result<HashMap<String, Decimal>, UserError> {
    let tickers = ctx.client.ticker_prices().await?;
    Ok(tickers
        .into_iter()
        .map(|ticker| (ticker.symbol, ticker.price))
        .collect())
}

/// Says on stderr how many assets have no price and are left out of the total.
fn note_unpriced(values: Option<&[Option<Decimal>]>) {
    let unpriced = values.map_or(0, |values| values.iter().filter(|v| v.is_none()).count());
    if unpriced > 0 {
        eprintln!("note: {unpriced} asset(s) have no price and are left out of the total");
    }
}

/// The value of a balance's total in `quote`: the asset itself, a direct
/// market (`ASSETQUOTE`), an inverted one (`QUOTEASSET`), or through BTC,
/// ETH, BNB or USDT. `None` when no price leads there, or when the value
/// does not fit in a decimal (a hostile or broken ticker must not panic).
pub fn value_in(
    balance: &Balance,
    quote: &str,
    prices: &HashMap<String, Decimal>,
) -> Option<Decimal> {
    let rate = rate(&balance.asset, quote, prices).or_else(|| {
        ["BTC", "USDT", "ETH", "BNB"].iter().find_map(|bridge| {
            if *bridge == balance.asset || *bridge == quote {
                return None;
            }
            rate(&balance.asset, bridge, prices)?.checked_mul(rate(bridge, quote, prices)?)
        })
    })?;
    balance.free.checked_add(balance.locked)?.checked_mul(rate)
}

fn rate(from: &str, to: &str, prices: &HashMap<String, Decimal>) -> Option<Decimal> {
    if from == to {
        return Some(Decimal::ONE);
    }
    if let Some(price) = prices.get(&format!("{from}{to}")) {
        return Some(*price);
    }
    let inverse = prices.get(&format!("{to}{from}"))?;
    Decimal::ONE.checked_div(*inverse)
}

fn render_json(balances: &[Balance], values: Option<&[Option<Decimal>]>) -> String {
    let rows: Vec<serde_json::Value> = balances
        .iter()
        .enumerate()
        .map(|(idx, balance)| {
            let mut row = serde_json::json!({
                "asset": balance.asset,
                "free": balance.free.to_string(),
                "locked": balance.locked.to_string(),
            });
            if let Some(values) = values {
                row["value"] = match values[idx] {
                    Some(value) => serde_json::Value::String(round_value(value).to_string()),
                    None => serde_json::Value::Null,
                };
            }
            row
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// The table: a header, one row per balance, and a total with a quote.
pub(crate) fn render_table(
    balances: &[Balance],
    quote: Option<(&str, &[Option<Decimal>])>,
) -> String {
    let mut header = vec![
        "ASSET".to_owned(),
        "FREE".into(),
        "LOCKED".into(),
        "TOTAL".into(),
    ];
    if let Some((asset, _)) = quote {
        header.push(format!("VALUE ({asset})"));
    }
    let mut rows = vec![header];
    let mut total = Decimal::ZERO;
    for (idx, balance) in balances.iter().enumerate() {
        let mut row = vec![
            balance.asset.clone(),
            balance.free.to_string(),
            balance.locked.to_string(),
            balance.total().to_string(),
        ];
        if let Some((_, values)) = quote {
            match values[idx] {
                Some(value) => {
                    total = total.saturating_add(value);
                    row.push(round_value(value).to_string());
                }
                None => row.push("-".to_owned()),
            }
        }
        rows.push(row);
    }
    if quote.is_some() {
        rows.push(vec![
            "TOTAL".into(),
            String::new(),
            String::new(),
            String::new(),
            round_value(total).to_string(),
        ]);
    }
    if balances.is_empty() {
        return "no non-zero balances (use `--all` to list every asset)".to_owned();
    }
    format_table(&rows)
}

/// Aligns columns: the first left-aligned, numbers right-aligned, two
/// spaces between columns, no trailing spaces.
fn format_table(rows: &[Vec<String>]) -> String {
    let n_columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n_columns)
        .map(|col| {
            rows.iter()
                .map(|row| row.get(col).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(col, cell)| {
                    if col == 0 {
                        format!("{cell:<width$}", width = widths[col])
                    } else {
                        format!("{cell:>width$}", width = widths[col])
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect();
    lines.join("\n")
}

/// Values are estimates: 8 decimals at most, trailing zeros kept to two.
pub(crate) fn round_value(value: Decimal) -> Decimal {
    let mut rounded = value.round_dp(8).normalize();
    if rounded.scale() < 2 {
        rounded.rescale(2);
    }
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balance(asset: &str, free: &str, locked: &str) -> Balance {
        Balance {
            asset: asset.into(),
            free: free.parse().unwrap(),
            locked: locked.parse().unwrap(),
        }
    }

    fn prices() -> HashMap<String, Decimal> {
        [
            ("BTCUSDT", "60000.00"),
            ("ETHBTC", "0.05"),
            ("USDTTRY", "40"),
        ]
        .into_iter()
        .map(|(s, p)| (s.to_owned(), p.parse().unwrap()))
        .collect()
    }

    #[track_caller]
    fn check(asset: &str, quote: &str, expected: Option<&str>) {
        let value = value_in(&balance(asset, "1.5", "0.5"), quote, &prices());
        assert_eq!(
            value.map(|v| round_value(v).to_string()).as_deref(),
            expected
        );
    }

    #[test]
    fn direct() {
        check("BTC", "USDT", Some("120000.00"))
    }
    #[test]
    fn itself() {
        check("USDT", "USDT", Some("2.00"))
    }
    #[test]
    fn inverted() {
        check("TRY", "USDT", Some("0.05"))
    }
    #[test]
    fn through_btc() {
        check("ETH", "USDT", Some("6000.00"))
    }
    #[test]
    fn no_price() {
        check("XYZ", "USDT", None)
    }

    #[test]
    fn a_value_too_large_for_a_decimal_is_unknown_not_a_panic() {
        let huge = balance("ABC", "70000000000000000000000000", "0");
        let prices: HashMap<String, Decimal> = [
            ("ABCUSDT", "1000000000"),
            ("USDTXYZ", "0.0000000000000000000000000001"),
        ]
        .into_iter()
        .map(|(s, p)| (s.to_owned(), p.parse().unwrap()))
        .collect();
        assert_eq!(value_in(&huge, "USDT", &prices), None);
        assert_eq!(value_in(&balance("XYZ", "10", "0"), "USDT", &prices), None);
    }

    #[test]
    fn json_keeps_the_server_strings() {
        let out = render_json(&[balance("BTC", "1.50000000", "0.00000000")], None);
        assert_eq!(
            out,
            r#"[{"asset":"BTC","free":"1.50000000","locked":"0.00000000"}]"#
        );
    }

    #[test]
    fn table_aligns_numbers_right() {
        let out = render_table(
            &[
                balance("BTC", "1.50000000", "0.00000000"),
                balance("USDT", "10000.00", "5.00"),
            ],
            None,
        );
        let expected = [
            "ASSET        FREE      LOCKED       TOTAL",
            "BTC    1.50000000  0.00000000  1.50000000",
            "USDT     10000.00        5.00    10005.00",
        ];
        assert_eq!(out, expected.join("\n"));
    }
}
