//! `mbx orders` (open orders, or a symbol's history) and `mbx trades` (the
//! account's trades with their fees), over `mbx_client::orders`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mbx_domain::model::Millis;

use crate::cli::GlobalArgs;
use crate::commands::order::print_orders;
use crate::commands::order_list::print_lists;
use crate::commands::parse_duration;
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError;
use crate::printer::{Align, FormatArgs, Table, written};

/// List open orders or order lists, or their history.
///
/// Without `--all`: the open orders on SYMBOL, or on every symbol (weight
/// 80) when no symbol is given. With `--all`: every order on SYMBOL
/// (`allOrders`), the latest 500, or those created since `--since`.
/// With `--lists`: order lists (OCO, OTO, OTOCO, ...) instead, a row per
/// order of each list: the open ones (`openOrderList`), or with `--all`
/// every one (`allOrderList`, the latest 500, or those created since
/// `--since`, at most 24 hours), on SYMBOL when given.
/// `--json` prints the orders as the exchange sends them (decimals as
/// strings).
///
/// Examples:
///
///   mbx orders --sandbox
///
///   mbx orders BTCUSDT --all --since 24h --sandbox
///
///   mbx sandbox --port 9945 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order oco BTCUSDT sell 0.001 --above-type limit-maker --above-price 150000 --below-type stop-loss --below-stop-price 60000 --base-url http://127.0.0.1:9945 >/dev/null; mbx orders --lists --base-url http://127.0.0.1:9945
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct OrdersArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    #[command(flatten)]
    format: FormatArgs,

    /// Only this symbol (required with `--all`, unless `--lists`).
    #[arg(value_name = "SYMBOL")]
    symbol: Option<String>,

    /// Every status, not only open orders.
    #[arg(long)]
    all: bool,

    /// Order lists instead of orders.
    #[arg(long)]
    lists: bool,

    /// With `--all`: orders created in the last DURATION (e.g. `30m`,
    /// `24h`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "all")]
    since: Option<Duration>,
}

/// List the account's trades on a symbol, with their fees.
///
/// Prints time (UTC), side, price, quantity, quote quantity, the fee and
/// its asset, and whether the order was the maker, oldest first.
///
/// Examples:
///
///   mbx trades BTCUSDT --sandbox
///
///   mbx sandbox --port 9936 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.001 --base-url http://127.0.0.1:9936 >/dev/null; mbx trades BTCUSDT --json --base-url http://127.0.0.1:9936
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct TradesArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol.
    #[arg(value_name = "SYMBOL")]
    symbol: String,

    /// At most this many (the latest), up to 1000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: Option<u32>,
}

pub fn run(global: &GlobalArgs, args: OrdersArgs) -> Result<(), CliError> {
    let symbol = args.symbol.as_deref().map(str::to_ascii_uppercase);
    if args.all && !args.lists && symbol.is_none() {
        return Err(CliError::usage(
            "`--all` needs a SYMBOL: the order history is asked per symbol",
            Some("e.g. `mbx orders BTCUSDT --all`; `mbx orders --lists --all` needs none"),
        ));
    }
    let since = args.since.map(|ago| {
        now_ms().saturating_sub(Millis::try_from(ago.as_millis()).unwrap_or(Millis::MAX))
    });
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = async {
            ctx.credentials()?;
            let printer = &ctx.printer.clone().with_format(&args.format);
            let trading = ctx.trading(None);
            if args.lists {
                let lists = match args.all {
                    true => trading.list_history(symbol.as_deref(), since).await?,
                    false => trading.open_lists(symbol.as_deref()).await?,
                };
                let empty = match (&symbol, args.all) {
                    (Some(symbol), false) => format!("no open order lists on {symbol}"),
                    (None, false) => "no open order lists".to_owned(),
                    (Some(symbol), true) => format!("no order lists on {symbol}"),
                    (None, true) => "no order lists".to_owned(),
                };
                return print_lists(printer, &lists, &empty);
            }
            match (&symbol, args.all) {
                (Some(symbol), true) => {
                    let orders = trading.history(symbol, since, None).await?;
                    print_orders(printer, &orders, &format!("no orders on {symbol}"))
                }
                _ => {
                    let orders = trading.open_orders(symbol.as_deref()).await?;
                    let empty = match &symbol {
                        Some(symbol) => format!("no open orders on {symbol}"),
                        None => "no open orders".to_owned(),
                    };
                    print_orders(printer, &orders, &empty)
                }
            }
        }
        .await;
        ctx.finish().await;
        res
    })
}

pub fn run_trades(global: &GlobalArgs, args: TradesArgs) -> Result<(), CliError> {
    let symbol = args.symbol.to_ascii_uppercase();
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = async {
            ctx.credentials()?;
            let trades = ctx.trading(None).trades(&symbol, args.limit).await?;
            let printer = &ctx.printer;
            if printer.is_json() {
                return written(printer.json(&trades));
            }
            if trades.is_empty() {
                return written(printer.line(&format!("no trades on {symbol}")));
            }
            let mut table = Table::new(&[
                ("TIME (UTC)", Align::Left),
                ("SIDE", Align::Left),
                ("PRICE", Align::Right),
                ("QUANTITY", Align::Right),
                ("QUOTE", Align::Right),
                ("FEE", Align::Right),
                ("FEE ASSET", Align::Left),
                ("ROLE", Align::Left),
                ("ORDER ID", Align::Right),
            ]);
            for trade in &trades {
                table.row(vec![
                    utc(trade.time),
                    if trade.is_buyer { "BUY" } else { "SELL" }.to_owned(),
                    trade.price.to_string(),
                    trade.qty.to_string(),
                    trade.quote_qty.to_string(),
                    trade.commission.to_string(),
                    trade.commission_asset.clone(),
                    if trade.is_maker { "maker" } else { "taker" }.to_owned(),
                    trade.order_id.to_string(),
                ]);
            }
            written(printer.table(&table))
        }
        .await;
        ctx.finish().await;
        res
    })
}

fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            Millis::try_from(elapsed.as_millis()).unwrap_or(Millis::MAX)
        })
}

/// `2026-12-03 17:36:41`.
fn utc(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |time| time.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}
