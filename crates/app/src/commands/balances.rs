//! `mbx balances`: the account's balances as a table or JSON, once or live.

use std::ops::ControlFlow;
use std::time::Duration;

use mbx_client::account_feed::{AccountFeed, AccountOutput, AccountState, CountBy, FeedNotice};
use mbx_client::balances::{self, BalanceSheet, BalancesQuery, normalize_asset, round_value};
use mbx_client::session::{Limits, Session};
use mbx_domain::model::{Balance, Decimal};

use crate::cli::GlobalArgs;
use crate::commands::stream::describe_api_notice;
use crate::commands::{ctrl_c, parse_duration};
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError;
use crate::printer::{Align, FormatArgs, Printer, Table, TableFormat, written};

/// Show the account's balances.
///
/// Prints the non-zero balances (asset, free, locked, total) with the exact
/// decimals the server sent, lined up on the decimal point; `--format csv`
/// prints them as CSV (`ASSET,FREE,LOCKED,TOTAL`, plus the value with
/// `--quote`, no total row). `--all` includes zero balances. `--quote USDT`
/// adds each balance's estimated value in USDT from the last ticker prices
/// (directly, inverted, or through BTC, USDT, ETH or BNB), with a total.
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
/// account is fetched again (and again, with a growing wait, until it
/// succeeds), so no change is lost. It runs until Ctrl-C, `--count`
/// changes or `--duration`.
///
/// Needs an API key with reading permission (`BINANCE_API_KEY` and
/// `BINANCE_API_SECRET`, `BINANCE_PRIVATE_KEY_FILE`, or a profile). To try it
/// without an account, `--sandbox` starts a local sandbox exchange with a
/// demo account.
///
/// `--watch --sandbox` shows the demo account, but nothing moves there
/// unless you trade. The useful demo runs `mbx sandbox --port 8080` in
/// another terminal (it prints a demo key and secret: put them in
/// `BINANCE_API_KEY` and `BINANCE_API_SECRET`), watches it with
/// `mbx balances --watch --base-url http://127.0.0.1:8080`, and moves money
/// with `curl -X POST 'http://127.0.0.1:8080/sandbox/deposit?asset=BTC&amount=0.5'`.
///
/// Examples:
///
///   mbx balances --sandbox --quote USDT
///
///   mbx balances --sandbox --format csv
///
///   mbx balances --watch --sandbox --duration 2s
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct BalancesArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    #[command(flatten)]
    format: FormatArgs,

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
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "watch")]
    duration: Option<Duration>,

    /// With `--watch`: the WebSocket API URL, when it cannot be derived from
    /// the REST target, e.g. `wss://ws-api.binance.com:443/ws-api/v3`.
    #[arg(long, value_name = "URL", requires = "watch")]
    ws_api_url: Option<String>,
}

/// Quote prices are fetched again this often in the live table.
const PRICE_REFRESH: Duration = Duration::from_secs(5);

pub fn run(global: &GlobalArgs, args: BalancesArgs) -> Result<(), CliError> {
    if args.watch && args.format.format == TableFormat::Csv {
        return Err(CliError::usage(
            "`--format csv` prints the balances once; `--watch` follows them",
            Some("use `--watch --json` for one JSON object per change, or drop `--watch`"),
        ));
    }
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = if args.watch {
            watch(&ctx, &args).await
        } else {
            show(&ctx, &args).await
        };
        ctx.finish().await;
        res
    })
}

async fn show(ctx: &Context, args: &BalancesArgs) -> Result<(), CliError> {
    ctx.credentials()?;
    let printer = &ctx.printer.clone().with_format(&args.format);
    let query = BalancesQuery {
        include_zero: args.all,
        quote: args.quote.clone(),
    };
    let sheet = balances::fetch(ctx.account().as_ref(), ctx.market().as_ref(), &query).await?;
    if printer.is_json() {
        let rows: Vec<serde_json::Value> = sheet
            .rows
            .iter()
            .map(|row| {
                let mut value = serde_json::json!({
                    "asset": row.balance.asset,
                    "free": row.balance.free.to_string(),
                    "locked": row.balance.locked.to_string(),
                });
                if sheet.quote.is_some() {
                    value["value"] = value_json(row.value);
                }
                value
            })
            .collect();
        return written(printer.json(&rows));
    }
    if sheet.unpriced() > 0 {
        printer.notice(&format!(
            "note: {} asset(s) have no price and are left out of the total",
            sheet.unpriced()
        ));
    }
    if sheet.rows.is_empty() {
        printer.notice("no non-zero balances (use `--all` to list every asset)");
    }
    written(printer.table(&sheet_table(&sheet)))
}

/// The table: a header, one row per balance, and a total with a quote.
fn sheet_table(sheet: &BalanceSheet) -> Table {
    let value_header = sheet.quote.as_ref().map(|quote| format!("VALUE ({quote})"));
    let mut columns = vec![
        ("ASSET", Align::Left),
        ("FREE", Align::Decimal),
        ("LOCKED", Align::Decimal),
        ("TOTAL", Align::Decimal),
    ];
    if let Some(header) = &value_header {
        columns.push((header.as_str(), Align::Decimal));
    }
    let mut table = Table::new(&columns);
    for row in &sheet.rows {
        let mut cells = balance_cells(&row.balance);
        if sheet.quote.is_some() {
            cells.push(value_text(row.value));
        }
        table.row(cells);
    }
    if sheet.quote.is_some() {
        table.footer(vec![
            "TOTAL".into(),
            String::new(),
            String::new(),
            String::new(),
            sheet.total().to_string(),
        ]);
    }
    table
}

fn balance_cells(balance: &Balance) -> Vec<String> {
    vec![
        balance.asset.clone(),
        balance.free.to_string(),
        balance.locked.to_string(),
        balance.total().to_string(),
    ]
}

fn value_text(value: Option<Decimal>) -> String {
    value.map_or("-".to_owned(), |value| round_value(value).to_string())
}

fn value_json(value: Option<Decimal>) -> serde_json::Value {
    match value {
        Some(value) => serde_json::Value::String(round_value(value).to_string()),
        None => serde_json::Value::Null,
    }
}

/// How `--watch` shows changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WatchMode {
    /// The table, redrawn in place (stdout is a terminal).
    Table,
    /// `ASSET FREE LOCKED TOTAL [VALUE]`, one line per changed balance.
    Lines,
    /// One JSON object per changed balance.
    Json,
}

async fn watch(ctx: &Context, args: &BalancesArgs) -> Result<(), CliError> {
    let printer = &ctx.printer;
    let mode = if printer.is_json() {
        WatchMode::Json
    } else if printer.stdout_is_terminal() {
        WatchMode::Table
    } else {
        WatchMode::Lines
    };
    let quote = args.quote.as_deref().map(normalize_asset);
    let feed = AccountFeed {
        user_data: ctx.user_data(args.ws_api_url.as_deref())?,
        account: ctx.account(),
        market: ctx.market(),
        quote: quote.map(|asset| {
            let refresh = (mode == WatchMode::Table).then_some(PRICE_REFRESH);
            (asset, refresh)
        }),
        count_by: CountBy::BalanceChanges,
    };
    let limits = Limits {
        count: args.count,
        duration: args.duration,
    };
    let mut session = Session::new(limits, ctrl_c());
    let mut view = View {
        printer: printer.clone(),
        mode,
        all: args.all,
        drawn_lines: 0,
        highlight: Vec::new(),
        failed: None,
    };
    feed.run(&mut session, |state, output| view.show(state, output))
        .await?;
    match view.failed {
        Some(err) => written(Err(err)),
        None => Ok(()),
    }
}

/// What is on the screen (or already printed).
struct View {
    printer: Printer,
    mode: WatchMode,
    all: bool,
    /// Lines of the last table drawn, to go back over; 0 after stderr
    /// output, so the next table is drawn below it.
    drawn_lines: usize,
    /// Assets that changed last, shown in bold.
    highlight: Vec<String>,
    /// A write to stdout that failed.
    failed: Option<std::io::Error>,
}

impl View {
    fn show(&mut self, state: &AccountState, output: AccountOutput) -> ControlFlow<()> {
        let res = match output {
            AccountOutput::Started {
                subscription_id,
                balances,
            } => {
                if let Some(id) = subscription_id {
                    self.notice(&format!(
                        "subscribed to the user-data stream (subscription {id})"
                    ));
                }
                match self.mode {
                    WatchMode::Table => self.redraw(state),
                    WatchMode::Lines | WatchMode::Json => {
                        let shown: Vec<Balance> = balances
                            .into_iter()
                            .filter(|balance| self.all || !balance.is_zero())
                            .collect();
                        self.print_lines(state, &shown, false)
                    }
                }
            }
            AccountOutput::Event { changed, .. } => self.changed(state, &changed, false),
            AccountOutput::BalancesReconciled { balances, .. } => {
                self.changed(state, &balances, true)
            }
            AccountOutput::PricesRefreshed => self.redraw(state),
            AccountOutput::Notice(notice) => {
                self.notice(&describe_feed_notice(&notice));
                if matches!(notice, FeedNotice::Reconciled { .. }) && self.mode == WatchMode::Table
                {
                    self.redraw(state)
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        };
        match res {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => {
                self.failed = Some(err);
                ControlFlow::Break(())
            }
        }
    }

    fn notice(&mut self, text: &str) {
        self.printer.notice(text);
        self.drawn_lines = 0;
    }

    fn changed(
        &mut self,
        state: &AccountState,
        changed: &[Balance],
        reconciled: bool,
    ) -> std::io::Result<()> {
        match self.mode {
            WatchMode::Table => {
                self.highlight = changed.iter().map(|b| b.asset.clone()).collect();
                self.redraw(state)
            }
            WatchMode::Lines | WatchMode::Json => self.print_lines(state, changed, reconciled),
        }
    }

    fn print_lines(
        &self,
        state: &AccountState,
        balances: &[Balance],
        reconciled: bool,
    ) -> std::io::Result<()> {
        for balance in balances {
            let value = state.quote().map(|_| state.value(balance));
            if self.mode == WatchMode::Json {
                let mut object = serde_json::json!({
                    "asset": balance.asset,
                    "free": balance.free.to_string(),
                    "locked": balance.locked.to_string(),
                    "total": balance.total().to_string(),
                });
                if let Some(value) = value {
                    object["value"] = value_json(value);
                }
                if reconciled {
                    object["reconciled"] = serde_json::Value::Bool(true);
                }
                self.printer.json(&object)?;
            } else {
                let mut line = balance_cells(balance).join(" ");
                if let Some(value) = value {
                    line.push(' ');
                    line.push_str(&value_text(value));
                }
                self.printer.line(&line)?;
            }
        }
        Ok(())
    }

    /// Draws the table over the previous one.
    fn redraw(&mut self, state: &AccountState) -> std::io::Result<()> {
        if self.mode != WatchMode::Table {
            return Ok(());
        }
        let balances: Vec<Balance> = state
            .balances()
            .into_iter()
            .filter(|balance| self.all || !balance.is_zero())
            .collect();
        let prices_known = state.quote().is_some();
        let sheet = BalanceSheet {
            rows: balances
                .iter()
                .map(|balance| mbx_client::balances::BalanceRow {
                    balance: balance.clone(),
                    value: state.value(balance),
                })
                .collect(),
            quote: state.quote().map(str::to_owned),
        };
        let mut text = if balances.is_empty() {
            "no non-zero balances (use `--all` to list every asset)".to_owned()
        } else {
            screen(
                &sheet,
                if self.printer.color() {
                    &self.highlight
                } else {
                    &[]
                },
            )
        };
        if prices_known && sheet.unpriced() > 0 {
            text.push_str(&format!(
                "\nnote: {} asset(s) have no price and are left out of the total",
                sheet.unpriced()
            ));
        }
        text.push_str("\nwatching for changes; Ctrl-C to stop");
        let mut out = String::new();
        if self.drawn_lines > 0 {
            // Back to the start of the previous table, and clear below.
            out.push_str(&format!("\r\x1b[{}A\x1b[J", self.drawn_lines));
        }
        out.push_str(&text);
        out.push('\n');
        self.drawn_lines = text.lines().count();
        self.printer.raw(&out)
    }
}

/// The balances table with the rows of `highlight` in bold.
fn screen(sheet: &BalanceSheet, highlight: &[String]) -> String {
    let table = sheet_table(sheet).render();
    // Row i + 1 is sheet.rows[i] (row 0 is the header).
    table
        .lines()
        .enumerate()
        .map(|(idx, line)| {
            let is_highlighted = idx
                .checked_sub(1)
                .and_then(|idx| sheet.rows.get(idx))
                .is_some_and(|row| highlight.contains(&row.balance.asset));
            if is_highlighted {
                format!("\x1b[1m{line}\x1b[0m")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A feed notice as one line for stderr.
pub fn describe_feed_notice(notice: &FeedNotice) -> String {
    match notice {
        FeedNotice::Connection(notice) => describe_api_notice(notice),
        FeedNotice::Reconciling { subscription_id } => {
            format!("subscribed again (subscription {subscription_id}); reconciling over REST")
        }
        FeedNotice::Reconciled { balances, orders } => format!(
            "reconciled: {balances} balance(s) and {orders} order(s) changed while disconnected"
        ),
        FeedNotice::ReconcileFailed { error, retry_in } => format!(
            "warning: cannot reconcile over REST ({}); trying again in {} s",
            error,
            retry_in.as_secs().max(1)
        ),
        FeedNotice::OpenOrdersUnavailable { error } => format!(
            "warning: cannot read the open orders ({error}); orders are reconciled only on symbols seen in events"
        ),
        FeedNotice::PricesUnavailable { error } => {
            format!("warning: cannot refresh the prices ({error}); keeping the old ones")
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use mbx_client::balances::BalanceRow;

    use super::*;

    fn balance(asset: &str, free: &str, locked: &str) -> Balance {
        Balance {
            asset: asset.into(),
            free: free.parse().unwrap(),
            locked: locked.parse().unwrap(),
        }
    }

    fn sheet(balances: Vec<Balance>) -> BalanceSheet {
        BalanceSheet {
            rows: balances
                .into_iter()
                .map(|balance| BalanceRow {
                    balance,
                    value: None,
                })
                .collect(),
            quote: None,
        }
    }

    #[test]
    fn balances_line_up_on_the_decimal_point() {
        let out = sheet_table(&sheet(vec![
            balance("BTC", "1.50000000", "0.00000000"),
            balance("USDT", "10000.25", "5.5"),
        ]))
        .render();
        let expected = [
            "ASSET            FREE      LOCKED           TOTAL",
            "BTC        1.50000000  0.00000000      1.50000000",
            "USDT   10000.25        5.5         10005.75",
        ];
        assert_eq!(out, expected.join("\n"));
    }

    #[test]
    fn the_total_is_a_footer_left_out_of_csv() {
        let mut sheet = sheet(vec![balance("BTC", "1.5", "0")]);
        sheet.quote = Some("USDT".into());
        sheet.rows[0].value = Some("98000.75".parse().unwrap());
        let table = sheet_table(&sheet);
        assert_eq!(
            table.render().lines().last(),
            Some("TOTAL                           98000.75")
        );
        assert_eq!(
            table.to_csv().unwrap(),
            "ASSET,FREE,LOCKED,TOTAL,VALUE (USDT)\nBTC,1.5,0,1.5,98000.75\n"
        );
    }

    #[test]
    fn the_screen_shows_changed_rows_in_bold() {
        let sheet = sheet(vec![
            balance("BTC", "1.50000000", "0.00000000"),
            balance("USDT", "10000.25", "5.5"),
        ]);
        let expected = [
            "ASSET            FREE      LOCKED           TOTAL",
            "BTC        1.50000000  0.00000000      1.50000000",
            "\x1b[1mUSDT   10000.25        5.5         10005.75\x1b[0m",
        ];
        assert_eq!(screen(&sheet, &["USDT".to_owned()]), expected.join("\n"));
        assert_eq!(
            screen(&sheet, &[]),
            sheet_table(&sheet).render(),
            "nothing changed, nothing in bold"
        );
    }
}
