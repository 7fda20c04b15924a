//! `mbx balances --watch`: the balances kept current from the user-data
//! stream, as a table redrawn in place on a terminal, or as one line (or
//! NDJSON object) per change otherwise.
// See: issue #7

use std::collections::HashMap;
use std::io::{self, IsTerminal as _, Write as _};
use std::time::Duration;

use mbx_adapters_ws::{ApiNotice, UserItem};
use mbx_domain::balance_mirror::BalanceMirror;
use mbx_domain::model::{Balance, Decimal};
use mbx_domain::ports::AccountData as _;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::commands::balances::{prices, render_table, round_value, value_in};
use crate::commands::{stdout_result, stream};
use crate::context::Context;
use crate::env;
use crate::output::{UserError, print_data};

/// Quote prices are fetched again at most this often.
const PRICE_REFRESH: Duration = Duration::from_secs(5);

/// What `mbx balances --watch` was asked for.
#[derive(Debug)]
pub struct Options {
    /// `--all`: include zero balances in the table and the first lines.
    pub all: bool,
    /// `--quote`, upper-cased.
    pub quote: Option<String>,
    /// Stop after this many changed balances.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// The WebSocket API URL, when not derived from the REST target.
    pub ws_api_url: Option<String>,
}

/// How changes are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The table, redrawn in place (stdout is a terminal).
    Table { color: bool },
    /// `ASSET FREE LOCKED TOTAL [VALUE]`, one line per changed balance.
    Lines,
    /// One JSON object per changed balance.
    Json,
}

/// Follows the account until Ctrl-C, `--count` changes or `--duration`.
pub async fn watch(ctx: &Context, options: &Options) -> Result<(), UserError> {
    let mode = if ctx.json {
        Mode::Json
    } else if io::stdout().is_terminal() {
        Mode::Table {
            color: std::env::var_os(env::NO_COLOR).is_none(),
        }
    } else {
        Mode::Lines
    };
    let (api, mut items) = stream::subscribe_user_data(ctx, options.ws_api_url.as_deref()).await?;
    let res = follow(ctx, options, mode, &mut items).await;
    api.close().await;
    res
}

async fn follow(
    ctx: &Context,
    options: &Options,
    mode: Mode,
    items: &mut mpsc::Receiver<UserItem>,
) -> Result<(), UserError> {
    // The snapshot comes after the subscription: events older than it are
    // ignored by the mirror, newer ones are applied on top.
    let account = ctx.client.account(false).await?;
    let mut mirror = BalanceMirror::new(account.update_time, account.balances);
    let mut quote = match &options.quote {
        Some(asset) => Some(Quote {
            asset: asset.clone(),
            prices: prices(ctx).await?,
            fetched: Instant::now(),
        }),
        None => None,
    };
    let mut view = View {
        mode,
        all: options.all,
        drawn_lines: 0,
        highlight: Vec::new(),
    };
    stdout_result(view.start(&mirror, quote.as_ref()))?;

    let deadline = options.duration.map(|duration| Instant::now() + duration);
    // On a terminal with a quote, values follow the prices too.
    let mut price_ticks = tokio::time::interval_at(Instant::now() + PRICE_REFRESH, PRICE_REFRESH);
    price_ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let redraws_on_ticks = matches!(mode, Mode::Table { .. }) && quote.is_some();
    let mut n_changes = 0u64;
    let mut is_reconnect = false;
    loop {
        if options.count.is_some_and(|count| n_changes >= count) {
            return Ok(());
        }
        let item = tokio::select! {
            item = items.recv() => item,
            _ = price_ticks.tick(), if redraws_on_ticks => {
                if let Some(quote) = &mut quote {
                    quote.refresh(ctx).await;
                }
                stdout_result(view.redraw(&mirror, quote.as_ref()))?;
                continue;
            }
            () = stream::sleep_until_deadline(deadline) => return Ok(()),
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let Some(item) = item else { return Ok(()) };
        let (changed, reconciled) = match item {
            UserItem::Event { event, .. } => (mirror.apply(&event), false),
            UserItem::Notice(ApiNotice::Resubscribed { subscription_id }) => {
                eprintln!(
                    "subscribed again (subscription {subscription_id}); fetching the account over REST"
                );
                view.wrote_to_stderr();
                match ctx.client.account(false).await {
                    Ok(account) => {
                        let changed = mirror.reset(account.update_time, account.balances);
                        eprintln!(
                            "reconciled: {} balance(s) changed while disconnected",
                            changed.len()
                        );
                        (changed, true)
                    }
                    Err(err) => {
                        eprintln!("warning: cannot fetch the account to reconcile: {err}");
                        continue;
                    }
                }
            }
            // The first connection was reported with the subscription.
            UserItem::Notice(ApiNotice::Connected) if !is_reconnect => continue,
            UserItem::Notice(notice) => {
                is_reconnect |= matches!(notice, ApiNotice::Disconnected { .. });
                stream::report_api_notice(&notice);
                view.wrote_to_stderr();
                continue;
            }
        };
        if changed.is_empty() && !(reconciled && matches!(mode, Mode::Table { .. })) {
            continue;
        }
        if let Some(quote) = &mut quote {
            quote.refresh(ctx).await;
        }
        let budget = options.count.map(|count| count - n_changes);
        let shown = budget.map_or(changed.as_slice(), |budget| {
            &changed[..changed
                .len()
                .min(usize::try_from(budget).unwrap_or(usize::MAX))]
        });
        n_changes += shown.len() as u64;
        stdout_result(view.changed(&mirror, quote.as_ref(), shown, reconciled))?;
    }
}

/// The quote asset and the last prices, fetched again when old.
#[derive(Debug)]
struct Quote {
    asset: String,
    prices: HashMap<String, Decimal>,
    fetched: Instant,
}

impl Quote {
    /// Fetches the prices again if the last fetch is older than
    /// [`PRICE_REFRESH`]; on failure keeps the old ones and says so.
    async fn refresh(&mut self, ctx: &Context) {
        if self.fetched.elapsed() < PRICE_REFRESH {
            return;
        }
        self.fetched = Instant::now();
        match prices(ctx).await {
            Ok(prices) => self.prices = prices,
            Err(err) => eprintln!("warning: cannot refresh the prices: {}", err.msg),
        }
    }

    fn value(&self, balance: &Balance) -> Option<Decimal> {
        value_in(balance, &self.asset, &self.prices)
    }
}

/// What is on the screen (or already printed).
#[derive(Debug)]
struct View {
    mode: Mode,
    all: bool,
    /// Lines of the last table drawn, to go back over; 0 after stderr
    /// output, so the next table is drawn below it.
    drawn_lines: usize,
    /// Assets that changed last, shown in bold.
    highlight: Vec<String>,
}

impl View {
    /// The first output: the table, or one line per balance.
    fn start(&mut self, mirror: &BalanceMirror, quote: Option<&Quote>) -> io::Result<()> {
        match self.mode {
            Mode::Table { .. } => self.redraw(mirror, quote),
            Mode::Lines | Mode::Json => {
                let shown: Vec<Balance> = mirror
                    .balances()
                    .filter(|balance| self.all || !balance.is_zero())
                    .collect();
                self.print_lines(&shown, quote, false)
            }
        }
    }

    fn changed(
        &mut self,
        mirror: &BalanceMirror,
        quote: Option<&Quote>,
        changed: &[Balance],
        reconciled: bool,
    ) -> io::Result<()> {
        match self.mode {
            Mode::Table { .. } => {
                self.highlight = changed.iter().map(|b| b.asset.clone()).collect();
                self.redraw(mirror, quote)
            }
            Mode::Lines | Mode::Json => self.print_lines(changed, quote, reconciled),
        }
    }

    fn print_lines(
        &self,
        balances: &[Balance],
        quote: Option<&Quote>,
        reconciled: bool,
    ) -> io::Result<()> {
        for balance in balances {
            let value = quote.map(|quote| quote.value(balance));
            let text = if self.mode == Mode::Json {
                json_line(balance, value, reconciled)
            } else {
                plain_line(balance, value)
            };
            print_data(&text)?;
        }
        Ok(())
    }

    /// Draws the table over the previous one.
    fn redraw(&mut self, mirror: &BalanceMirror, quote: Option<&Quote>) -> io::Result<()> {
        let Mode::Table { color } = self.mode else {
            return Ok(());
        };
        let balances: Vec<Balance> = mirror
            .balances()
            .filter(|balance| self.all || !balance.is_zero())
            .collect();
        let values: Option<Vec<Option<Decimal>>> =
            quote.map(|quote| balances.iter().map(|b| quote.value(b)).collect());
        let quote_column = quote.map(|q| q.asset.as_str()).zip(values.as_deref());
        let highlight = if color { &self.highlight[..] } else { &[] };
        let mut text = screen(&balances, quote_column, highlight);
        let unpriced = values.map_or(0, |values| values.iter().filter(|v| v.is_none()).count());
        if unpriced > 0 {
            text.push_str(&format!(
                "\nnote: {unpriced} asset(s) have no price and are left out of the total"
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
        let mut stdout = io::stdout().lock();
        stdout.write_all(out.as_bytes())?;
        stdout.flush()
    }

    fn wrote_to_stderr(&mut self) {
        self.drawn_lines = 0;
    }
}

/// The balances table with the rows of `highlight` in bold.
fn screen(
    balances: &[Balance],
    quote: Option<(&str, &[Option<Decimal>])>,
    highlight: &[String],
) -> String {
    let table = render_table(balances, quote);
    if balances.is_empty() {
        return table;
    }
    // Row i + 1 is balances[i] (row 0 is the header).
    table
        .lines()
        .enumerate()
        .map(|(idx, line)| {
            let is_highlighted = idx
                .checked_sub(1)
                .and_then(|idx| balances.get(idx))
                .is_some_and(|balance| highlight.contains(&balance.asset));
            if is_highlighted {
                format!("\x1b[1m{line}\x1b[0m")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `ASSET FREE LOCKED TOTAL`, plus the value (`-` without a price) with a quote.
fn plain_line(balance: &Balance, value: Option<Option<Decimal>>) -> String {
    let mut line = format!(
        "{} {} {} {}",
        balance.asset,
        balance.free,
        balance.locked,
        balance.total()
    );
    if let Some(value) = value {
        match value {
            Some(value) => line.push_str(&format!(" {}", round_value(value))),
            None => line.push_str(" -"),
        }
    }
    line
}

/// `{"asset":..,"free":..,"locked":..,"total":..}`, plus `"value"` (a
/// string or null) with a quote and `"reconciled":true` after a reconnect.
fn json_line(balance: &Balance, value: Option<Option<Decimal>>, reconciled: bool) -> String {
    let mut object = serde_json::json!({
        "asset": balance.asset,
        "free": balance.free.to_string(),
        "locked": balance.locked.to_string(),
        "total": balance.total().to_string(),
    });
    if let Some(value) = value {
        object["value"] = match value {
            Some(value) => serde_json::Value::String(round_value(value).to_string()),
            None => serde_json::Value::Null,
        };
    }
    if reconciled {
        object["reconciled"] = serde_json::Value::Bool(true);
    }
    object.to_string()
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

    #[test]
    fn plain_lines_keep_the_server_decimals() {
        let btc = balance("BTC", "2.00000000", "0.50000000");
        assert_eq!(
            plain_line(&btc, None),
            "BTC 2.00000000 0.50000000 2.50000000"
        );
        assert_eq!(
            plain_line(&btc, Some(Some("150000.123456789".parse().unwrap()))),
            "BTC 2.00000000 0.50000000 2.50000000 150000.12345679"
        );
        assert_eq!(
            plain_line(&balance("XYZ", "1", "0"), Some(None)),
            "XYZ 1 0 1 -"
        );
    }

    #[test]
    fn json_lines() {
        let usdt = balance("USDT", "9950.00000000", "50.00000000");
        assert_eq!(
            json_line(&usdt, None, false),
            r#"{"asset":"USDT","free":"9950.00000000","locked":"50.00000000","total":"10000.00000000"}"#
        );
        let value: serde_json::Value =
            serde_json::from_str(&json_line(&usdt, Some(None), true)).unwrap();
        assert_eq!(
            (&value["value"], &value["reconciled"]),
            (&serde_json::Value::Null, &serde_json::Value::Bool(true))
        );
    }

    #[test]
    fn the_screen_shows_changed_rows_in_bold() {
        let balances = [
            balance("BTC", "1.50000000", "0.00000000"),
            balance("USDT", "10000.00", "5.00"),
        ];
        let expected = [
            "ASSET        FREE      LOCKED       TOTAL",
            "BTC    1.50000000  0.00000000  1.50000000",
            "\x1b[1mUSDT     10000.00        5.00    10005.00\x1b[0m",
        ];
        assert_eq!(
            screen(&balances, None, &["USDT".to_owned()]),
            expected.join("\n")
        );
        assert_eq!(
            screen(&balances, None, &[]),
            render_table(&balances, None),
            "nothing changed, nothing in bold"
        );
    }
}
