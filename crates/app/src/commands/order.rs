//! `mbx order`: place (checked before sending, never sent twice), test,
//! query and cancel orders, over `mbx_client::orders`; the order lists and
//! amendments are in `order_list`.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use mbx_client::orders::{Confirmation, OrderRequest, PlaceError, Placed, Prepared, Trading};
use mbx_domain::model::{
    Decimal, NewOrder, Order, OrderRef, OrderType, Side, StpMode, TimeInForce,
};
use mbx_domain::preflight::{Check, Rounding};

use crate::cli::GlobalArgs;
use crate::commands::order_list;
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError;
use crate::printer::{Align, Printer, Table, written};

/// Place, test, query, amend and cancel orders and order lists.
///
/// Every order is checked before it is sent against the symbol's filters
/// (price grid and bounds, quantity step and bounds, notional, price bands
/// around the market, open-order counts, the account's own filters): an
/// order the exchange would refuse is refused here, exit 2, naming the
/// filter, the rule and the nearest values that pass. `--round` puts the
/// numbers on the symbol's grid first. The symbol's rules are cached for
/// 10 minutes per environment (in `~/.cache/mbx`), and fetched again when
/// the exchange answers a filter failure (`-1013`).
///
/// Every order gets a client order id (shown on stderr before it is
/// sent). When the answer is lost (timeout, dropped connection, 5xx,
/// `-1007`), the order is never sent again: mbx looks it up by that id and
/// reports it placed or not placed; if the lookups fail too, it says the
/// outcome is unknown and what to check (exit 1, category
/// `unknown_outcome`).
///
/// On production (`api.binance.com` and its alternates) an order asks for
/// confirmation on the terminal, showing side, quantity, price and
/// notional; `--yes` skips the question. Without a terminal and without
/// `--yes` it is refused before anything is sent.
///
/// Examples:
///
///   mbx order buy BTCUSDT 0.001 --price 50000 --sandbox
///
///   mbx order buy BTCUSDT 0.0012345 --price 50000.005 --round down --test --sandbox
///
///   mbx order sell BTCUSDT 0.001 --json --sandbox
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct OrderArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Place a buy order (see `mbx order --help`).
    ///
    /// Checked against the symbol's filters first; refused locally (exit 2)
    /// with the filter and the nearest values that pass. Without `--type`,
    /// an order with `--price` is LIMIT and one without is MARKET.
    ///
    /// Examples:
    ///
    ///   mbx order buy BTCUSDT 0.001 --price 50000 --sandbox
    ///
    ///   mbx order buy BTCUSDT 0.0012345 --price 50000.005 --round down --test --sandbox
    #[command(verbatim_doc_comment)]
    Buy(PlaceArgs),
    /// Place a sell order (see `mbx order --help`).
    ///
    /// Checked against the symbol's filters first; refused locally (exit 2)
    /// with the filter and the nearest values that pass. `--quote-qty`
    /// sells at market for that much quote asset.
    ///
    /// Examples:
    ///
    ///   mbx order sell BTCUSDT 0.001 --sandbox
    ///
    ///   mbx order sell BTCUSDT --quote-qty 100 --json --sandbox
    #[command(verbatim_doc_comment)]
    Sell(PlaceArgs),
    /// Show one order.
    ///
    /// By the exchange's `--id` or your `--client-id` (shown on stderr when
    /// the order was placed). The examples start a sandbox in the
    /// background, place an order on it, and show it.
    ///
    /// Examples:
    ///
    ///   mbx sandbox --port 9931 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.001 --price 50000 --client-id demo-1 --base-url http://127.0.0.1:9931 >/dev/null; mbx order status BTCUSDT --client-id demo-1 --base-url http://127.0.0.1:9931
    ///
    ///   mbx sandbox --port 9932 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.001 --price 50000 --client-id demo-2 --base-url http://127.0.0.1:9932 >/dev/null; mbx order status BTCUSDT --client-id demo-2 --json --base-url http://127.0.0.1:9932
    #[command(verbatim_doc_comment)]
    Status(RefArgs),
    /// Cancel one order.
    ///
    /// By the exchange's `--id` or your `--client-id`; an order that is no
    /// longer open answers -2011. The examples start a sandbox in the
    /// background, place an order on it, and cancel it.
    ///
    /// Examples:
    ///
    ///   mbx sandbox --port 9933 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.001 --price 50000 --client-id demo-3 --base-url http://127.0.0.1:9933 >/dev/null; mbx order cancel BTCUSDT --client-id demo-3 --base-url http://127.0.0.1:9933
    ///
    ///   mbx sandbox --port 9934 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.001 --price 50000 --client-id demo-4 --base-url http://127.0.0.1:9934 >/dev/null; mbx order cancel BTCUSDT --client-id demo-4 --json --base-url http://127.0.0.1:9934
    #[command(verbatim_doc_comment)]
    Cancel(RefArgs),
    /// Cancel every open order on a symbol (order lists included).
    ///
    /// Nothing open is not an error: an empty list.
    ///
    /// Examples:
    ///
    ///   mbx order cancel-all BTCUSDT --sandbox
    ///
    ///   mbx sandbox --port 9935 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.001 --price 50000 --base-url http://127.0.0.1:9935 >/dev/null; mbx order buy BTCUSDT 0.001 --price 51000 --base-url http://127.0.0.1:9935 >/dev/null; mbx order cancel-all BTCUSDT --base-url http://127.0.0.1:9935
    #[command(verbatim_doc_comment)]
    CancelAll(SymbolArgs),
    /// Place an OCO: two orders, one above the market and one below; when
    /// one trades, the other is canceled.
    ///
    /// Both orders have SIDE and QUANTITY. One is `limit-maker`,
    /// `take-profit` or `take-profit-limit`, the other `stop-loss` or
    /// `stop-loss-limit` (Binance's rule). On the sell side the above
    /// order takes the profit and the below order stops the loss; on the
    /// buy side it is the other way round. Each order is checked against
    /// the symbol's filters first (refused locally, exit 2, naming the
    /// order, the filter and the flag that would pass); the list gets a
    /// client id (`--list-client-id`, or made up and shown on stderr), and
    /// a lost answer is looked up by it, never sent again.
    ///
    /// Examples:
    ///
    ///   mbx order oco BTCUSDT sell 0.001 --above-type limit-maker --above-price 150000 --below-type stop-loss-limit --below-stop-price 60000 --below-price 59000 --sandbox
    ///
    ///   mbx order oco BTCUSDT buy 0.001 --above-type stop-loss --above-stop-price 150000 --below-type limit-maker --below-price 60000 --json --sandbox
    #[command(verbatim_doc_comment)]
    Oco(crate::commands::order_list::OcoArgs),
    /// Place an OTO: a working order and a pending order placed once the
    /// working order has filled (`--opo`: an OPO).
    ///
    /// The working order (SIDE, QUANTITY, `--working-price`) is `limit`
    /// (the default) or `limit-maker`. The pending order has any type
    /// (`--pending-type`), the other side and the same quantity unless
    /// `--pending-side` and `--pending-quantity` say otherwise; with
    /// `--opo` it trades exactly what the working order filled. Checked
    /// and sent once, as `mbx order oco`.
    ///
    /// Examples:
    ///
    ///   mbx order oto BTCUSDT buy 0.001 --working-price 50000 --pending-type limit-maker --pending-price 150000 --sandbox
    ///
    ///   mbx order oto BTCUSDT buy 0.001 --working-price 50000 --pending-type stop-loss --pending-stop-price 40000 --opo --json --sandbox
    #[command(verbatim_doc_comment)]
    Oto(crate::commands::order_list::OtoArgs),
    /// Place an OTOCO: a working order and an OCO pair placed once the
    /// working order has filled (`--opo`: an OPOCO).
    ///
    /// The working order as in `mbx order oto`; the pending pair as in
    /// `mbx order oco`, with `--pending-above-*` and `--pending-below-*`
    /// flags, the other side and the same quantity unless
    /// `--pending-side` and `--pending-quantity` say otherwise.
    ///
    /// Examples:
    ///
    ///   mbx order otoco BTCUSDT buy 0.001 --working-price 50000 --pending-above-type limit-maker --pending-above-price 150000 --pending-below-type stop-loss --pending-below-stop-price 40000 --sandbox
    ///
    ///   mbx order otoco BTCUSDT buy 0.001 --working-price 50000 --pending-above-type limit-maker --pending-above-price 150000 --pending-below-type stop-loss-limit --pending-below-stop-price 40000 --pending-below-price 39000 --opo --json --sandbox
    #[command(verbatim_doc_comment)]
    Otoco(crate::commands::order_list::OtocoArgs),
    /// Show or cancel an order list (`mbx order list status|cancel`).
    ///
    /// Lists are named by the exchange's `--list-id` or your
    /// `--list-client-id`; `mbx orders --lists` lists the open ones.
    ///
    /// Examples:
    ///
    ///   mbx sandbox --port 9943 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order oco BTCUSDT sell 0.001 --above-type limit-maker --above-price 150000 --below-type stop-loss --below-stop-price 60000 --list-client-id demo-list-5 --base-url http://127.0.0.1:9943 >/dev/null; mbx order list status BTCUSDT --list-client-id demo-list-5 --base-url http://127.0.0.1:9943
    ///
    ///   mbx sandbox --port 9944 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order oco BTCUSDT sell 0.001 --above-type limit-maker --above-price 150000 --below-type stop-loss --below-stop-price 60000 --list-client-id demo-list-6 --base-url http://127.0.0.1:9944 >/dev/null; mbx order list cancel BTCUSDT --list-client-id demo-list-6 --base-url http://127.0.0.1:9944
    #[command(verbatim_doc_comment)]
    List(crate::commands::order_list::ListArgs),
    /// Reduce an open order's quantity, keeping its place in the queue.
    ///
    /// Order Amend Keep Priority: the new quantity must be smaller than the
    /// order's (checked first, with the symbol's step); the order keeps its
    /// id and its priority, and takes a new client order id. A lost answer
    /// is settled by looking for the order under that new id, never by
    /// sending the amendment again. `--ws` sends it over a WebSocket API
    /// session (`order.amend.keepPriority`) instead of REST. The examples
    /// start a sandbox in the background, place an order on it, and amend
    /// it (the last one over the WebSocket API).
    ///
    /// Examples:
    ///
    ///   mbx sandbox --port 9941 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.002 --price 50000 --client-id demo-5 --base-url http://127.0.0.1:9941 >/dev/null; mbx order amend BTCUSDT --client-id demo-5 --quantity 0.001 --base-url http://127.0.0.1:9941
    ///
    ///   mbx sandbox --port 9942 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.002 --price 50000 --client-id demo-6 --base-url http://127.0.0.1:9942 >/dev/null; mbx order amend BTCUSDT --client-id demo-6 --quantity 0.0015 --json --base-url http://127.0.0.1:9942
    ///
    ///   mbx sandbox --port 9946 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order buy BTCUSDT 0.002 --price 50000 --client-id demo-7 --base-url http://127.0.0.1:9946 >/dev/null; mbx order amend BTCUSDT --client-id demo-7 --quantity 0.001 --ws --base-url http://127.0.0.1:9946
    #[command(verbatim_doc_comment)]
    Amend(crate::commands::order_list::AmendArgs),
}

/// A new order. Without `--type`, an order with `--price` is LIMIT and one
/// without is MARKET.
#[derive(Debug, clap::Args)]
struct PlaceArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol, e.g. `BTCUSDT`.
    #[arg(value_name = "SYMBOL")]
    symbol: String,

    /// The base quantity, e.g. `0.001` (omit with `--quote-qty`).
    #[arg(value_name = "QUANTITY", required_unless_present = "quote_qty")]
    quantity: Option<Decimal>,

    /// The limit price.
    #[arg(long, value_name = "P")]
    price: Option<Decimal>,

    /// The order type (default: limit with `--price`, else market).
    #[arg(long = "type", value_name = "TYPE", value_enum)]
    order_type: Option<TypeArg>,

    /// Time in force of a limit order (default gtc).
    #[arg(long, value_name = "TIF", value_enum)]
    tif: Option<TifArg>,

    /// The trigger price of a stop-loss or take-profit order.
    #[arg(long, value_name = "P")]
    stop_price: Option<Decimal>,

    /// A trailing stop, in basis points (100 = 1 %).
    #[arg(long, value_name = "N")]
    trailing_delta: Option<u32>,

    /// Spend (buy) or receive (sell) this much quote asset, at market.
    #[arg(long, value_name = "Q", conflicts_with = "quantity")]
    quote_qty: Option<Decimal>,

    /// Your id for the order (made up when not given).
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,

    /// Self-trade prevention mode.
    #[arg(long, value_name = "MODE", value_enum)]
    stp: Option<StpArg>,

    /// Round prices to the tick and quantities to the step first.
    #[arg(long, value_name = "WAY", value_enum)]
    round: Option<RoundArg>,

    /// Send to `order/test`: checked by the exchange, never placed; shows
    /// the commission rates.
    #[arg(long)]
    test: bool,

    /// Do not ask for confirmation on production.
    #[arg(long, short = 'y')]
    yes: bool,

    /// Send over a WebSocket API session (`order.place`) instead of REST.
    #[arg(long)]
    ws: bool,

    /// With `--ws`: the WebSocket API URL, when it cannot be derived.
    #[arg(long, value_name = "URL", requires = "ws")]
    ws_api_url: Option<String>,
}

/// An existing order, by the exchange's id or yours.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["id", "client_id"])))]
struct RefArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol.
    #[arg(value_name = "SYMBOL")]
    symbol: String,

    /// The exchange's order id.
    #[arg(long, value_name = "N")]
    id: Option<u64>,

    /// Your client order id.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
}

#[derive(Debug, clap::Args)]
struct SymbolArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol.
    #[arg(value_name = "SYMBOL")]
    symbol: String,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum TypeArg {
    Limit,
    Market,
    LimitMaker,
    StopLoss,
    StopLossLimit,
    TakeProfit,
    TakeProfitLimit,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum TifArg {
    Gtc,
    Ioc,
    Fok,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum StpArg {
    None,
    ExpireMaker,
    ExpireTaker,
    ExpireBoth,
    Decrement,
    Transfer,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum RoundArg {
    Down,
    Up,
    Nearest,
}

impl TypeArg {
    pub(crate) fn order_type(self) -> OrderType {
        match self {
            TypeArg::Limit => OrderType::Limit,
            TypeArg::Market => OrderType::Market,
            TypeArg::LimitMaker => OrderType::LimitMaker,
            TypeArg::StopLoss => OrderType::StopLoss,
            TypeArg::StopLossLimit => OrderType::StopLossLimit,
            TypeArg::TakeProfit => OrderType::TakeProfit,
            TypeArg::TakeProfitLimit => OrderType::TakeProfitLimit,
        }
    }
}

impl TifArg {
    pub(crate) fn tif(self) -> TimeInForce {
        match self {
            TifArg::Gtc => TimeInForce::Gtc,
            TifArg::Ioc => TimeInForce::Ioc,
            TifArg::Fok => TimeInForce::Fok,
        }
    }
}

impl StpArg {
    pub(crate) fn mode(self) -> StpMode {
        match self {
            StpArg::None => StpMode::None,
            StpArg::ExpireMaker => StpMode::ExpireMaker,
            StpArg::ExpireTaker => StpMode::ExpireTaker,
            StpArg::ExpireBoth => StpMode::ExpireBoth,
            StpArg::Decrement => StpMode::Decrement,
            StpArg::Transfer => StpMode::Transfer,
        }
    }
}

impl RoundArg {
    pub(crate) fn rounding(self) -> Rounding {
        match self {
            RoundArg::Down => Rounding::Down,
            RoundArg::Up => Rounding::Up,
            RoundArg::Nearest => Rounding::Nearest,
        }
    }
}

pub fn run(global: &GlobalArgs, args: OrderArgs) -> Result<(), CliError> {
    match args.action {
        Action::Buy(args) => place(global, Side::Buy, args),
        Action::Sell(args) => place(global, Side::Sell, args),
        Action::Status(args) => by_ref(global, args, false),
        Action::Cancel(args) => by_ref(global, args, true),
        Action::CancelAll(args) => cancel_all(global, args),
        Action::Oco(args) => order_list::run_oco(global, args),
        Action::Oto(args) => order_list::run_oto(global, args),
        Action::Otoco(args) => order_list::run_otoco(global, args),
        Action::List(args) => order_list::run_list(global, args),
        Action::Amend(args) => order_list::run_amend(global, args),
    }
}

fn place(global: &GlobalArgs, side: Side, args: PlaceArgs) -> Result<(), CliError> {
    let request = request(side, &args);
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = place_with(&ctx, &args, &request).await;
        ctx.finish().await;
        res
    })
}

async fn place_with(
    ctx: &Context,
    args: &PlaceArgs,
    request: &OrderRequest,
) -> Result<(), CliError> {
    // A real-money order needs a yes; without a terminal to ask on, refuse
    // before anything (not even the symbol's rules) is fetched. Connecting
    // the context sends nothing.
    let asks = must_ask(ctx, args.yes || args.test, "place a real-money order")?;
    ctx.credentials()?;
    let ws = match args.ws {
        true => Some(ctx.ws_orders(args.ws_api_url.as_deref()).await?),
        false => None,
    };
    let trading = ctx.trading(ws);
    let printer = &ctx.printer;
    let prepared = trading.prepare(request).await.map_err(place_error)?;
    for rounded in &prepared.rounded {
        printer.notice(&format!(
            "rounded {} {} to {}",
            rounded.field, rounded.from, rounded.to
        ));
    }
    for note in &prepared.notes {
        printer.warn(note);
    }
    let what = describe(&prepared);
    if asks {
        confirm(&what, &ctx.environment().to_string())?;
    }
    let verb = if args.test { "testing" } else { "sending" };
    printer.notice(&format!(
        "{verb} order `{}`: {what}",
        prepared.client_order_id()
    ));
    if args.test {
        let commissions = trading.test(&prepared).await.map_err(place_error)?;
        if printer.is_json() {
            return written(printer.json(&serde_json::json!({
                "outcome": "tested",
                "order": order_json(&prepared.order),
                "commission": commissions,
            })));
        }
        let rates = &commissions.standard_commission_for_order;
        let mut table = Table::new(&[
            ("", Align::Left),
            ("MAKER", Align::Right),
            ("TAKER", Align::Right),
        ]);
        table.row(vec![
            "standard".into(),
            rates.maker.to_string(),
            rates.taker.to_string(),
        ]);
        if let Some(special) = &commissions.special_commission_for_order {
            table.row(vec![
                "special".into(),
                special.maker.to_string(),
                special.taker.to_string(),
            ]);
        }
        let tax = &commissions.tax_commission_for_order;
        table.row(vec![
            "tax".into(),
            tax.maker.to_string(),
            tax.taker.to_string(),
        ]);
        written(printer.line(&format!(
            "the exchange accepts order `{}` (not placed); commission rates:",
            prepared.client_order_id()
        )))?;
        return written(printer.table(&table));
    }
    let placed = trading
        .place(&prepared)
        .await
        .map_err(|err| unknown_hint(place_error(err), &prepared))?;
    print_placed(printer, &placed)
}

/// The order as the user asked for it.
fn request(side: Side, args: &PlaceArgs) -> OrderRequest {
    let order_type = match args.order_type {
        Some(order_type) => order_type.order_type(),
        None if args.price.is_some() => OrderType::Limit,
        None => OrderType::Market,
    };
    let mut request = OrderRequest::new(&args.symbol.to_ascii_uppercase(), side, order_type);
    request.quantity = args.quantity;
    request.quote_order_qty = args.quote_qty;
    request.price = args.price;
    request.stop_price = args.stop_price;
    request.trailing_delta = args.trailing_delta;
    request.time_in_force = args.tif.map(TifArg::tif);
    request.client_order_id = args.client_id.clone();
    request.self_trade_prevention_mode = args.stp.map(StpArg::mode);
    request.rounding = args.round.map(RoundArg::rounding);
    request
}

/// `BUY 0.001 BTCUSDT LIMIT GTC at 50000.00 (notional 50.00000 USDT)`.
fn describe(prepared: &Prepared) -> String {
    let order = &prepared.order;
    let mut text = format!("{} ", order.side);
    match (order.quantity, order.quote_order_qty) {
        (Some(quantity), _) => text.push_str(&format!("{quantity} {}", order.symbol)),
        (None, Some(quote)) => text.push_str(&format!(
            "{} for {quote} {}",
            order.symbol, prepared.symbol.quote_asset
        )),
        (None, None) => text.push_str(&order.symbol),
    }
    text.push_str(&format!(" {}", order.order_type));
    if let Some(tif) = order.time_in_force {
        text.push_str(&format!(" {tif}"));
    }
    match order.price {
        Some(price) => text.push_str(&format!(" at {price}")),
        None => text.push_str(" at market"),
    }
    if let Some(stop) = order.stop_price {
        text.push_str(&format!(", stop {stop}"));
    }
    if let Some(notional) = prepared.notional() {
        let about = if prepared.notional_is_estimate() {
            "≈ "
        } else {
            ""
        };
        text.push_str(&format!(
            " (notional {about}{} {})",
            notional.normalize(),
            prepared.symbol.quote_asset
        ));
    }
    text
}

/// Refuses a real-money action before anything is fetched when there is
/// no terminal to ask on; says whether to ask.
pub(crate) fn must_ask(ctx: &Context, yes: bool, what: &str) -> Result<bool, CliError> {
    let asks = ctx.environment().is_real_money() && !yes;
    if asks && !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            format!(
                "refusing to {what} on {} without confirmation: there is no terminal to ask on; nothing was sent",
                ctx.environment()
            ),
            Some("pass `--yes` to confirm in a script, or run it on a terminal"),
        ));
    }
    Ok(asks)
}

/// Asks on the terminal; anything but `y` or `yes` sends nothing.
pub(crate) fn confirm(what: &str, environment: &str) -> Result<(), CliError> {
    let mut stderr = std::io::stderr();
    let _ = write!(
        stderr,
        "place {what} on {environment} with real money? [y/N] "
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        return Ok(());
    }
    Err(CliError::usage(
        "not confirmed; nothing was sent",
        Some("answer `y` to send it, or pass `--yes`"),
    ))
}

/// An order failure as the user sees it: a local refusal names the flags
/// that would pass.
fn place_error(err: PlaceError) -> CliError {
    place_error_with(err, "")
}

/// As [`place_error`], for a leg whose flags start with `prefix` (e.g.
/// `--below-price` for the prefix `below-`).
pub(crate) fn place_error_with(err: PlaceError, prefix: &str) -> CliError {
    let hint = match &err {
        PlaceError::Refused(refusal) => Some(refusal_hint(
            refusal.suggestion.as_ref(),
            &refusal.failures,
            prefix,
        )),
        _ => None,
    };
    let cli = CliError::from(err.to_error());
    match hint {
        Some(hint) => cli.with_hint(hint),
        None => cli,
    }
}

/// The flags of the nearest passing order, and `--round` when a grid is
/// the problem.
fn refusal_hint(
    suggestion: Option<&NewOrder>,
    failures: &[mbx_domain::preflight::FilterFailure],
    prefix: &str,
) -> String {
    let mut parts = Vec::new();
    if let Some(order) = suggestion {
        let flag = |field: mbx_domain::preflight::Field| match field.name() {
            "price" => Some(format!("--{prefix}price")),
            "stopPrice" => Some(format!("--{prefix}stop-price")),
            "quantity" => Some("QUANTITY".to_owned()),
            "quoteOrderQty" => Some("--quote-qty".to_owned()),
            "trailingDelta" => Some(format!("--{prefix}trailing-delta")),
            _ => None,
        };
        let mut seen = Vec::new();
        for failure in failures {
            let value = match failure.field.name() {
                "price" => order.price.map(|v| v.to_string()),
                "stopPrice" => order.stop_price.map(|v| v.to_string()),
                "quantity" => order.quantity.map(|v| v.to_string()),
                "quoteOrderQty" => order.quote_order_qty.map(|v| v.to_string()),
                "trailingDelta" => order.trailing_delta.map(|v| v.to_string()),
                _ => None,
            };
            if let (Some(flag), Some(value)) = (flag(failure.field), value)
                && !seen.contains(&flag)
            {
                parts.push(if flag == "QUANTITY" {
                    format!("quantity `{value}`")
                } else {
                    format!("`{flag} {value}`")
                });
                seen.push(flag);
            }
        }
    }
    let on_grid = failures.iter().any(|f| {
        matches!(
            f.check,
            Check::PriceFilter | Check::LotSize | Check::MarketLotSize | Check::Precision
        )
    });
    let mut hint = match parts.is_empty() {
        true => "change the order to pass the filter; `mbx api GET /api/v3/exchangeInfo -p symbol=SYMBOL` shows the symbol's rules".to_owned(),
        false => format!("use {}", parts.join(" and ")),
    };
    if on_grid {
        hint.push_str(", or `--round nearest` to round to the symbol's grid");
    }
    hint
}

/// An unknown outcome says which command shows the truth.
fn unknown_hint(err: CliError, prepared: &Prepared) -> CliError {
    let id = prepared.client_order_id();
    let symbol = &prepared.order.symbol;
    match err.error().category() {
        mbx_domain::Category::UnknownOutcome => err.with_hint(format!(
            "do not send it again yet: check `mbx order status {symbol} --client-id {id}` (and `mbx orders {symbol} --all`) once the exchange answers; the order may have been placed"
        )),
        _ if matches!(err.error(), mbx_domain::Error::NotExecuted { .. }) => err.with_hint(format!(
            "nothing was placed; run the same command again to send it (order `{id}` does not exist)"
        )),
        _ => err,
    }
}

fn print_placed(printer: &Printer, placed: &Placed) -> Result<(), CliError> {
    let ack = &placed.ack;
    let confirmation = match &placed.how {
        Confirmation::Answered => "answered",
        Confirmation::LookedUp { .. } => "looked_up",
    };
    if printer.is_json() {
        return written(printer.json(&serde_json::json!({
            "outcome": "placed",
            "confirmation": confirmation,
            "order": ack,
        })));
    }
    if let Confirmation::LookedUp { after } = &placed.how {
        printer.warn(&format!(
            "the answer was lost ({}); the order was found by its client order id and was not sent again",
            after
        ));
    }
    let mut table = Table::new(&ORDER_COLUMNS);
    let text = |value: Option<Decimal>| value.map_or_else(|| "-".to_owned(), |v| v.to_string());
    table.row(vec![
        ack.symbol.clone(),
        ack.order_id.to_string(),
        ack.client_order_id.clone(),
        ack.side.map_or_else(|| "-".to_owned(), |s| s.to_string()),
        ack.order_type
            .map_or_else(|| "-".to_owned(), |t| t.to_string()),
        text(ack.price),
        text(ack.orig_qty),
        text(ack.executed_qty),
        ack.status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
    ]);
    written(printer.table(&table))?;
    if !ack.fills.is_empty() {
        let mut fills = Table::new(&[
            ("FILL PRICE", Align::Right),
            ("QUANTITY", Align::Right),
            ("COMMISSION", Align::Right),
            ("ASSET", Align::Left),
        ]);
        for fill in &ack.fills {
            fills.row(vec![
                fill.price.to_string(),
                fill.qty.to_string(),
                fill.commission.to_string(),
                fill.commission_asset.clone(),
            ]);
        }
        written(printer.line(""))?;
        written(printer.table(&fills))?;
    }
    Ok(())
}

/// The columns of an order row.
pub const ORDER_COLUMNS: [(&str, Align); 9] = [
    ("SYMBOL", Align::Left),
    ("ORDER ID", Align::Right),
    ("CLIENT ORDER ID", Align::Left),
    ("SIDE", Align::Left),
    ("TYPE", Align::Left),
    ("PRICE", Align::Right),
    ("QUANTITY", Align::Right),
    ("EXECUTED", Align::Right),
    ("STATUS", Align::Left),
];

/// Orders as a table, or as a JSON array.
pub fn print_orders(printer: &Printer, orders: &[Order], empty: &str) -> Result<(), CliError> {
    if printer.is_json() {
        return written(printer.json(&orders));
    }
    if orders.is_empty() {
        return written(printer.line(empty));
    }
    let mut table = Table::new(&ORDER_COLUMNS);
    for order in orders {
        table.row(vec![
            order.symbol.clone(),
            order.order_id.to_string(),
            order.placed_client_order_id().to_owned(),
            order.side.to_string(),
            order.order_type.to_string(),
            order.price.to_string(),
            order.orig_qty.to_string(),
            order.executed_qty.to_string(),
            order.status.to_string(),
        ]);
    }
    written(printer.table(&table))
}

/// The order's parameters as the exchange gets them, as a JSON object.
fn order_json(order: &NewOrder) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    order.for_each_param(|name, value| {
        map.insert(name.to_owned(), serde_json::Value::from(value));
    });
    serde_json::Value::Object(map)
}

fn by_ref(global: &GlobalArgs, args: RefArgs, cancel: bool) -> Result<(), CliError> {
    let order = match (&args.id, &args.client_id) {
        (Some(id), _) => OrderRef::Id(*id),
        (None, Some(id)) => OrderRef::ClientId(id.clone()),
        (None, None) => {
            return Err(CliError::usage(
                "name the order with `--id N` or `--client-id ID`",
                None,
            ));
        }
    };
    let symbol = args.symbol.to_ascii_uppercase();
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = async {
            ctx.credentials()?;
            let trading: Trading = ctx.trading(None);
            let found = match cancel {
                true => trading.cancel(&symbol, &order).await?,
                false => trading.status(&symbol, &order).await?,
            };
            print_orders(&ctx.printer, std::slice::from_ref(&found), "")
        }
        .await;
        ctx.finish().await;
        res
    })
}

fn cancel_all(global: &GlobalArgs, args: SymbolArgs) -> Result<(), CliError> {
    let symbol = args.symbol.to_ascii_uppercase();
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = async {
            ctx.credentials()?;
            let canceled = ctx.trading(None).cancel_all(&symbol).await?;
            print_orders(
                &ctx.printer,
                &canceled,
                &format!("no open orders on {symbol}"),
            )
        }
        .await;
        ctx.finish().await;
        res
    })
}
