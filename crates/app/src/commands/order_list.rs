//! `mbx order oco|oto|otoco` (order lists, every leg checked before
//! sending, never sent twice), `mbx order list status|cancel` and
//! `mbx order amend` (keep priority), over `mbx_client::orders`.

use mbx_client::orders::{
    AmendDone, Confirmation, ListRequest, OrderRequest, PlaceError, PlacedList, PreparedList,
};
use mbx_domain::model::{
    Decimal, LegRole, ListKind, NewOrder, OrderList, OrderListRef, OrderRef, OrderType, Side,
};

use crate::cli::GlobalArgs;
use crate::commands::order::{
    ORDER_COLUMNS, RoundArg, StpArg, TifArg, TypeArg, confirm, must_ask, place_error_with,
};
use crate::context::{self, ConnectArgs, Context};
use crate::error::CliError;
use crate::printer::{Align, Printer, Table, written};

/// The flags of one leg: `--{prefix}-type`, `--{prefix}-price`,
/// `--{prefix}-stop-price`, `--{prefix}-trailing-delta`, `--{prefix}-tif`,
/// `--{prefix}-client-id`.
macro_rules! leg_args {
    ($name:ident, $prefix:literal, $label:literal, $type_required:literal) => {
        #[derive(Debug, clap::Args)]
        pub(crate) struct $name {
            #[arg(
                long = concat!($prefix, "-type"),
                id = concat!($prefix, "-type"),
                value_name = "TYPE",
                value_enum,
                required = $type_required,
                help = concat!("The ", $label, " order's type")
            )]
            order_type: Option<TypeArg>,

            #[arg(
                long = concat!($prefix, "-price"),
                id = concat!($prefix, "-price"),
                value_name = "P",
                help = concat!("The ", $label, " order's limit price")
            )]
            price: Option<Decimal>,

            #[arg(
                long = concat!($prefix, "-stop-price"),
                id = concat!($prefix, "-stop-price"),
                value_name = "P",
                help = concat!("The ", $label, " order's trigger price (stop-loss and take-profit types)")
            )]
            stop_price: Option<Decimal>,

            #[arg(
                long = concat!($prefix, "-trailing-delta"),
                id = concat!($prefix, "-trailing-delta"),
                value_name = "N",
                help = concat!("The ", $label, " order's trailing stop, in basis points")
            )]
            trailing_delta: Option<u32>,

            #[arg(
                long = concat!($prefix, "-tif"),
                id = concat!($prefix, "-tif"),
                value_name = "TIF",
                value_enum,
                help = concat!("The ", $label, " order's time in force (default gtc for the limit types)")
            )]
            tif: Option<TifArg>,

            #[arg(
                long = concat!($prefix, "-client-id"),
                id = concat!($prefix, "-client-id"),
                value_name = "ID",
                help = concat!("Your id for the ", $label, " order (made up when not given)")
            )]
            client_id: Option<String>,
        }

        impl $name {
            /// The leg as an order request.
            fn request(
                &self,
                symbol: &str,
                side: Side,
                quantity: Option<Decimal>,
                default_type: OrderType,
            ) -> OrderRequest {
                let order_type = self.order_type.map_or(default_type, TypeArg::order_type);
                let mut request = OrderRequest::new(symbol, side, order_type);
                request.quantity = quantity;
                request.price = self.price;
                request.stop_price = self.stop_price;
                request.trailing_delta = self.trailing_delta;
                request.time_in_force = self.tif.map(TifArg::tif);
                request.client_order_id = self.client_id.clone();
                request
            }
        }
    };
}

leg_args!(AboveLeg, "above", "above", true);
leg_args!(BelowLeg, "below", "below", true);
leg_args!(WorkingLeg, "working", "working", false);
leg_args!(PendingLeg, "pending", "pending", true);
leg_args!(PendingAboveLeg, "pending-above", "pending above", true);
leg_args!(PendingBelowLeg, "pending-below", "pending below", true);

/// Buy or sell.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum SideArg {
    Buy,
    Sell,
}

impl SideArg {
    fn side(self) -> Side {
        match self {
            SideArg::Buy => Side::Buy,
            SideArg::Sell => Side::Sell,
        }
    }
}

/// What every list placement takes.
#[derive(Debug, clap::Args)]
pub(crate) struct ListCommon {
    /// Your id for the list (made up when not given; shown before
    /// sending).
    #[arg(long, value_name = "ID")]
    list_client_id: Option<String>,

    /// Self-trade prevention mode for every leg.
    #[arg(long, value_name = "MODE", value_enum)]
    stp: Option<StpArg>,

    /// Round every leg's prices to the tick and quantities to the step
    /// first.
    #[arg(long, value_name = "WAY", value_enum)]
    round: Option<RoundArg>,

    /// Do not ask for confirmation on production.
    #[arg(long, short = 'y')]
    yes: bool,

    /// Send over a WebSocket API session (`orderList.place.*`) instead of
    /// REST.
    #[arg(long)]
    ws: bool,

    /// With `--ws`: the WebSocket API URL, when it cannot be derived.
    #[arg(long, value_name = "URL", requires = "ws")]
    ws_api_url: Option<String>,
}

/// An OCO: two orders on one side and quantity, one priced above the
/// market and one below; when one trades, the other is canceled.
#[derive(Debug, clap::Args)]
pub(crate) struct OcoArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol, e.g. `BTCUSDT`.
    #[arg(value_name = "SYMBOL")]
    symbol: String,

    /// The side of both orders.
    #[arg(value_name = "SIDE", value_enum)]
    side: SideArg,

    /// The base quantity of both orders.
    #[arg(value_name = "QUANTITY")]
    quantity: Decimal,

    #[command(flatten)]
    above: AboveLeg,

    #[command(flatten)]
    below: BelowLeg,

    #[command(flatten)]
    common: ListCommon,
}

/// An OTO (or OPO): a working order, and a pending order placed once the
/// working order has filled.
#[derive(Debug, clap::Args)]
pub(crate) struct OtoArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol, e.g. `BTCUSDT`.
    #[arg(value_name = "SYMBOL")]
    symbol: String,

    /// The working order's side.
    #[arg(value_name = "SIDE", value_enum)]
    side: SideArg,

    /// The working order's base quantity.
    #[arg(value_name = "QUANTITY")]
    quantity: Decimal,

    #[command(flatten)]
    working: WorkingLeg,

    #[command(flatten)]
    pending: PendingLeg,

    /// The pending order's side (default: the other side).
    #[arg(long, value_name = "SIDE", value_enum)]
    pending_side: Option<SideArg>,

    /// The pending order's quantity (default: the working order's).
    #[arg(long, value_name = "Q", conflicts_with = "opo")]
    pending_quantity: Option<Decimal>,

    /// An OPO: the pending order trades exactly what the working order
    /// filled (no `--pending-quantity`).
    #[arg(long)]
    opo: bool,

    #[command(flatten)]
    common: ListCommon,
}

/// An OTOCO (or OPOCO): a working order, and an OCO pair placed once the
/// working order has filled.
#[derive(Debug, clap::Args)]
pub(crate) struct OtocoArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol, e.g. `BTCUSDT`.
    #[arg(value_name = "SYMBOL")]
    symbol: String,

    /// The working order's side.
    #[arg(value_name = "SIDE", value_enum)]
    side: SideArg,

    /// The working order's base quantity.
    #[arg(value_name = "QUANTITY")]
    quantity: Decimal,

    #[command(flatten)]
    working: WorkingLeg,

    #[command(flatten)]
    pending_above: PendingAboveLeg,

    #[command(flatten)]
    pending_below: PendingBelowLeg,

    /// The pending pair's side (default: the other side).
    #[arg(long, value_name = "SIDE", value_enum)]
    pending_side: Option<SideArg>,

    /// The pending pair's quantity (default: the working order's).
    #[arg(long, value_name = "Q", conflicts_with = "opo")]
    pending_quantity: Option<Decimal>,

    /// An OPOCO: the pending pair trades exactly what the working order
    /// filled (no `--pending-quantity`).
    #[arg(long)]
    opo: bool,

    #[command(flatten)]
    common: ListCommon,
}

/// `mbx order list status|cancel`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    #[command(subcommand)]
    action: ListAction,
}

#[derive(Debug, clap::Subcommand)]
enum ListAction {
    /// Show one order list and its orders.
    ///
    /// By the exchange's `--list-id` or your `--list-client-id` (shown on
    /// stderr when the list was placed). The list must be on SYMBOL: one
    /// found on another symbol is refused, naming the symbol it is on. The
    /// examples start a sandbox in the background, place an OCO on it, and
    /// show it.
    ///
    /// Examples:
    ///
    ///   mbx sandbox --port 9937 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order oco BTCUSDT sell 0.001 --above-type limit-maker --above-price 150000 --below-type stop-loss-limit --below-stop-price 60000 --below-price 59000 --list-client-id demo-list-1 --base-url http://127.0.0.1:9937 >/dev/null; mbx order list status BTCUSDT --list-client-id demo-list-1 --base-url http://127.0.0.1:9937
    ///
    ///   mbx sandbox --port 9938 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order oco BTCUSDT sell 0.001 --above-type limit-maker --above-price 150000 --below-type stop-loss --below-stop-price 60000 --list-client-id demo-list-2 --base-url http://127.0.0.1:9938 >/dev/null; mbx order list status BTCUSDT --list-client-id demo-list-2 --json --base-url http://127.0.0.1:9938
    #[command(verbatim_doc_comment)]
    Status(ListRefArgs),
    /// Cancel every order of an order list.
    ///
    /// By the exchange's `--list-id` or your `--list-client-id`; canceling
    /// one order of a list with `mbx order cancel` cancels the whole list
    /// too. The examples start a sandbox in the background, place an OCO
    /// on it, and cancel it.
    ///
    /// Examples:
    ///
    ///   mbx sandbox --port 9939 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order oco BTCUSDT sell 0.001 --above-type limit-maker --above-price 150000 --below-type stop-loss-limit --below-stop-price 60000 --below-price 59000 --list-client-id demo-list-3 --base-url http://127.0.0.1:9939 >/dev/null; mbx order list cancel BTCUSDT --list-client-id demo-list-3 --base-url http://127.0.0.1:9939
    ///
    ///   mbx sandbox --port 9940 --duration 60s >/dev/null & trap "kill $!" EXIT; sleep 1; mbx order oto BTCUSDT buy 0.001 --working-price 50000 --pending-type limit-maker --pending-price 150000 --list-client-id demo-list-4 --base-url http://127.0.0.1:9940 >/dev/null; mbx order list cancel BTCUSDT --list-client-id demo-list-4 --json --base-url http://127.0.0.1:9940
    #[command(verbatim_doc_comment)]
    Cancel(ListRefArgs),
}

/// An existing order list, by the exchange's id or yours.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["list_id", "list_client_id"])))]
struct ListRefArgs {
    #[command(flatten)]
    connect: ConnectArgs,

    /// The symbol.
    #[arg(value_name = "SYMBOL")]
    symbol: String,

    /// The exchange's order list id.
    #[arg(long, value_name = "N")]
    list_id: Option<i64>,

    /// Your list client order id.
    #[arg(long, value_name = "ID")]
    list_client_id: Option<String>,
}

/// `mbx order amend`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["id", "client_id"])))]
pub(crate) struct AmendArgs {
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

    /// The new, smaller quantity.
    #[arg(long, value_name = "Q")]
    quantity: Decimal,

    /// Do not ask for confirmation on production.
    #[arg(long, short = 'y')]
    yes: bool,

    /// Send over a WebSocket API session (`order.amend.keepPriority`)
    /// instead of REST.
    #[arg(long)]
    ws: bool,

    /// With `--ws`: the WebSocket API URL, when it cannot be derived.
    #[arg(long, value_name = "URL", requires = "ws")]
    ws_api_url: Option<String>,
}

/// The other side.
fn other(side: Side) -> Side {
    match side {
        Side::Buy => Side::Sell,
        Side::Sell => Side::Buy,
    }
}

/// A list of `kind` on `symbol` with the shared flags applied.
fn list_request(
    kind: ListKind,
    symbol: String,
    legs: Vec<(LegRole, OrderRequest)>,
    common: &ListCommon,
) -> ListRequest {
    ListRequest {
        kind,
        symbol,
        legs,
        list_client_order_id: common.list_client_id.clone(),
        self_trade_prevention_mode: common.stp.map(StpArg::mode),
        rounding: common.round.map(RoundArg::rounding),
    }
}

/// The pending orders' side (the working order's other side unless given)
/// and quantity (the working one's unless given; none for OPO/OPOCO, whose
/// pending orders sell or buy what the working order filled).
fn pending_side_and_quantity(
    side: Side,
    pending_side: Option<SideArg>,
    quantity: Decimal,
    pending_quantity: Option<Decimal>,
    opo: bool,
) -> (Side, Option<Decimal>) {
    let pending_side = pending_side.map_or(other(side), SideArg::side);
    let pending_quantity = (!opo).then(|| pending_quantity.unwrap_or(quantity));
    (pending_side, pending_quantity)
}

pub(crate) fn run_oco(global: &GlobalArgs, args: OcoArgs) -> Result<(), CliError> {
    let symbol = args.symbol.to_ascii_uppercase();
    let side = args.side.side();
    let quantity = Some(args.quantity);
    // The types have no default; clap requires them.
    let legs = vec![
        (
            LegRole::Above,
            args.above
                .request(&symbol, side, quantity, OrderType::LimitMaker),
        ),
        (
            LegRole::Below,
            args.below
                .request(&symbol, side, quantity, OrderType::StopLoss),
        ),
    ];
    let request = list_request(ListKind::Oco, symbol, legs, &args.common);
    place(global, &args.connect, &args.common, request)
}

pub(crate) fn run_oto(global: &GlobalArgs, args: OtoArgs) -> Result<(), CliError> {
    let symbol = args.symbol.to_ascii_uppercase();
    let side = args.side.side();
    let (pending_side, pending_quantity) = pending_side_and_quantity(
        side,
        args.pending_side,
        args.quantity,
        args.pending_quantity,
        args.opo,
    );
    let legs = vec![
        (
            LegRole::Working,
            args.working
                .request(&symbol, side, Some(args.quantity), OrderType::Limit),
        ),
        (
            LegRole::Pending,
            args.pending
                .request(&symbol, pending_side, pending_quantity, OrderType::Market),
        ),
    ];
    let kind = if args.opo {
        ListKind::Opo
    } else {
        ListKind::Oto
    };
    let request = list_request(kind, symbol, legs, &args.common);
    place(global, &args.connect, &args.common, request)
}

pub(crate) fn run_otoco(global: &GlobalArgs, args: OtocoArgs) -> Result<(), CliError> {
    let symbol = args.symbol.to_ascii_uppercase();
    let side = args.side.side();
    let (pending_side, pending_quantity) = pending_side_and_quantity(
        side,
        args.pending_side,
        args.quantity,
        args.pending_quantity,
        args.opo,
    );
    let legs = vec![
        (
            LegRole::Working,
            args.working
                .request(&symbol, side, Some(args.quantity), OrderType::Limit),
        ),
        (
            LegRole::PendingAbove,
            args.pending_above.request(
                &symbol,
                pending_side,
                pending_quantity,
                OrderType::LimitMaker,
            ),
        ),
        (
            LegRole::PendingBelow,
            args.pending_below.request(
                &symbol,
                pending_side,
                pending_quantity,
                OrderType::StopLoss,
            ),
        ),
    ];
    let kind = if args.opo {
        ListKind::Opoco
    } else {
        ListKind::Otoco
    };
    let request = list_request(kind, symbol, legs, &args.common);
    place(global, &args.connect, &args.common, request)
}

fn place(
    global: &GlobalArgs,
    connect: &ConnectArgs,
    common: &ListCommon,
    request: ListRequest,
) -> Result<(), CliError> {
    context::block_on(async {
        let ctx = Context::connect(global, connect).await?;
        let res = place_with(&ctx, common, &request).await;
        ctx.finish().await;
        res
    })
}

async fn place_with(
    ctx: &Context,
    common: &ListCommon,
    request: &ListRequest,
) -> Result<(), CliError> {
    let asks = must_ask(ctx, common.yes, "place a real-money order list")?;
    ctx.credentials()?;
    let ws = match common.ws {
        true => Some(ctx.ws_orders(common.ws_api_url.as_deref()).await?),
        false => None,
    };
    let trading = ctx.trading(ws);
    let printer = &ctx.printer;
    let prepared = trading.prepare_list(request).await.map_err(list_error)?;
    for (role, rounded) in &prepared.rounded {
        printer.notice(&format!(
            "rounded the {role} order's {} {} to {}",
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
    printer.notice(&format!(
        "sending order list `{}`: {what}",
        prepared.list_client_order_id()
    ));
    let placed = trading
        .place_list(&prepared)
        .await
        .map_err(|err| unknown_hint(list_error(err), &prepared))?;
    print_placed(printer, &placed)
}

/// A refusal names the flags of the leg at fault.
fn list_error(err: PlaceError) -> CliError {
    let prefix = match &err {
        PlaceError::Refused(refusal) => match refusal.leg {
            Some(LegRole::Above) => "above-",
            Some(LegRole::Below) => "below-",
            Some(LegRole::Working) => "working-",
            Some(LegRole::Pending) => "pending-",
            Some(LegRole::PendingAbove) => "pending-above-",
            Some(LegRole::PendingBelow) => "pending-below-",
            None => "",
        },
        _ => "",
    };
    place_error_with(err, prefix)
}

/// An unknown outcome says which command shows the truth.
fn unknown_hint(err: CliError, prepared: &PreparedList) -> CliError {
    let id = prepared.list_client_order_id();
    let symbol = &prepared.list.symbol;
    match err.error().category() {
        mbx_domain::Category::UnknownOutcome => err.with_hint(format!(
            "do not send it again yet: check `mbx order list status {symbol} --list-client-id {id}` (and `mbx orders --lists --all`) once the exchange answers; the list may have been placed"
        )),
        _ if matches!(err.error(), mbx_domain::Error::NotExecuted { .. }) => err.with_hint(format!(
            "nothing was placed; run the same command again to send it (order list `{id}` does not exist)"
        )),
        _ => err,
    }
}

/// `OCO SELL 0.001 BTCUSDT: above LIMIT_MAKER at 150000; below
/// STOP_LOSS_LIMIT at 59000, stop 60000`.
fn describe(prepared: &PreparedList) -> String {
    let list = &prepared.list;
    let legs: Vec<String> = list
        .legs
        .iter()
        .map(|(role, order)| format!("{role} {}", leg_text(order, list.kind, *role)))
        .collect();
    format!("{} {}: {}", list.kind, list.symbol, legs.join("; "))
}

fn leg_text(order: &NewOrder, kind: ListKind, role: LegRole) -> String {
    let mut text = format!("{} ", order.side);
    match order.quantity {
        Some(quantity) if !(kind.pending_quantity_from_fill() && role != LegRole::Working) => {
            text.push_str(&format!("{quantity} "));
        }
        _ => text.push_str("what the working order fills, "),
    }
    text.push_str(order.order_type.as_str());
    match order.price {
        Some(price) => text.push_str(&format!(" at {price}")),
        None => text.push_str(" at market"),
    }
    if let Some(stop) = order.stop_price {
        text.push_str(&format!(", stop {stop}"));
    }
    if let Some(delta) = order.trailing_delta {
        text.push_str(&format!(", trailing {delta} bps"));
    }
    if let Some(id) = &order.new_client_order_id {
        text.push_str(&format!(" (`{id}`)"));
    }
    text
}

fn print_placed(printer: &Printer, placed: &PlacedList) -> Result<(), CliError> {
    let confirmation = match &placed.how {
        Confirmation::Answered => "answered",
        Confirmation::LookedUp { .. } => "looked_up",
    };
    if printer.is_json() {
        return written(printer.json(&serde_json::json!({
            "outcome": "placed",
            "confirmation": confirmation,
            "orderList": placed.list,
        })));
    }
    if let Confirmation::LookedUp { after } = &placed.how {
        printer.warn(&format!(
            "the answer was lost ({after}); the list was found by its client id and was not sent again"
        ));
    }
    print_lists(printer, std::slice::from_ref(&placed.list), "")
}

/// The columns of a list's order row.
const LIST_COLUMNS: [(&str, Align); 11] = [
    ("LIST ID", Align::Right),
    ("LIST CLIENT ID", Align::Left),
    ("KIND", Align::Left),
    ("LIST STATUS", Align::Left),
    ("ORDER ID", Align::Right),
    ("CLIENT ORDER ID", Align::Left),
    ("SIDE", Align::Left),
    ("TYPE", Align::Left),
    ("PRICE", Align::Right),
    ("QUANTITY", Align::Right),
    ("STATUS", Align::Left),
];

/// Order lists as a table (a row per order; side, type, price, quantity
/// and status when the answer has them), or as a JSON array.
pub(crate) fn print_lists(
    printer: &Printer,
    lists: &[OrderList],
    empty: &str,
) -> Result<(), CliError> {
    if printer.is_json() {
        return written(printer.json(&lists));
    }
    if lists.is_empty() {
        return written(printer.line(empty));
    }
    let mut table = Table::new(&LIST_COLUMNS);
    let dash = || "-".to_owned();
    for list in lists {
        for order in &list.orders {
            let report = list.report(order.order_id);
            table.row(vec![
                list.order_list_id.to_string(),
                list.list_client_order_id.clone(),
                list.contingency_type.clone(),
                list.list_order_status.clone(),
                order.order_id.to_string(),
                order.client_order_id.clone(),
                report
                    .and_then(|r| r.side)
                    .map_or_else(dash, |s| s.to_string()),
                report
                    .and_then(|r| r.order_type)
                    .map_or_else(dash, |t| t.to_string()),
                report
                    .and_then(|r| r.price)
                    .map_or_else(dash, |p| p.to_string()),
                report
                    .and_then(|r| r.orig_qty)
                    .map_or_else(dash, |q| q.to_string()),
                report
                    .and_then(|r| r.status)
                    .map_or_else(dash, |s| s.to_string()),
            ]);
        }
    }
    written(printer.table(&table))
}

pub(crate) fn run_list(global: &GlobalArgs, args: ListArgs) -> Result<(), CliError> {
    let (args, cancel) = match args.action {
        ListAction::Status(args) => (args, false),
        ListAction::Cancel(args) => (args, true),
    };
    let list = match (args.list_id, &args.list_client_id) {
        (Some(id), _) => OrderListRef::Id(id),
        (None, Some(id)) => OrderListRef::ClientId(id.clone()),
        (None, None) => {
            return Err(CliError::usage(
                "name the list with `--list-id N` or `--list-client-id ID`",
                None,
            ));
        }
    };
    let symbol = args.symbol.to_ascii_uppercase();
    context::block_on(async {
        let ctx = Context::connect(global, &args.connect).await?;
        let res = async {
            ctx.credentials()?;
            let trading = ctx.trading(None);
            let found = match cancel {
                true => trading.cancel_list(&symbol, &list).await?,
                false => trading.list_status(Some(&symbol), &list).await?,
            };
            print_lists(&ctx.printer, std::slice::from_ref(&found), "")
        }
        .await;
        ctx.finish().await;
        res
    })
}

pub(crate) fn run_amend(global: &GlobalArgs, args: AmendArgs) -> Result<(), CliError> {
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
            let what = format!("reduce {order} on {symbol} to {}", args.quantity);
            let asks = must_ask(&ctx, args.yes, "amend a real-money order")?;
            ctx.credentials()?;
            if asks {
                confirm(&what, &ctx.environment().to_string())?;
            }
            let ws = match args.ws {
                true => Some(ctx.ws_orders(args.ws_api_url.as_deref()).await?),
                false => None,
            };
            ctx.printer.notice(&format!("amending: {what}"));
            let done = ctx
                .trading(ws)
                .amend(&symbol, &order, args.quantity)
                .await
                .map_err(|err| amend_error(err, &symbol))?;
            print_amended(&ctx.printer, &done)
        }
        .await;
        ctx.finish().await;
        res
    })
}

/// An amendment's failure; an unknown outcome names the id the order
/// carries if the amendment was made.
fn amend_error(err: PlaceError, symbol: &str) -> CliError {
    let new_id = match &err {
        PlaceError::Unknown {
            client_order_id, ..
        } => Some(client_order_id.clone()),
        _ => None,
    };
    let cli = place_error_with(err, "");
    match new_id {
        Some(id) => cli.with_hint(format!(
            "do not send it again yet: once the exchange answers, `mbx order status {symbol} --client-id {id}` shows the order if the amendment was made"
        )),
        None => cli,
    }
}

fn print_amended(printer: &Printer, done: &AmendDone) -> Result<(), CliError> {
    let confirmation = match &done.how {
        Confirmation::Answered => "answered",
        Confirmation::LookedUp { .. } => "looked_up",
    };
    if printer.is_json() {
        return written(printer.json(&serde_json::json!({
            "outcome": "amended",
            "confirmation": confirmation,
            "amendment": done.amended,
        })));
    }
    if let Confirmation::LookedUp { after } = &done.how {
        printer.warn(&format!(
            "the answer was lost ({after}); the order was found under its new client order id and the amendment was not sent again"
        ));
    }
    let order = &done.amended.amended_order;
    let mut table = Table::new(&ORDER_COLUMNS);
    table.row(vec![
        order.symbol.clone(),
        order.order_id.to_string(),
        order.client_order_id.clone(),
        order.side.to_string(),
        order.order_type.to_string(),
        order.price.to_string(),
        order.qty.to_string(),
        order.executed_qty.to_string(),
        order.status.to_string(),
    ]);
    written(printer.table(&table))
}
