"""binance-sdk-spot (the official Python SDK) against the sandbox via `base_path`."""

from decimal import Decimal
from importlib.metadata import version

from binance_sdk_spot.spot import ConfigurationRestAPI, Spot
from binance_sdk_spot.rest_api.models import (
    KlinesIntervalEnum,
    NewOrderSideEnum,
    NewOrderTimeInForceEnum,
    NewOrderTypeEnum,
    OrderTestSideEnum,
    OrderTestTimeInForceEnum,
    OrderTestTypeEnum,
    OrderListOcoAboveTypeEnum,
    OrderListOcoBelowTimeInForceEnum,
    OrderListOcoBelowTypeEnum,
    OrderListOcoSideEnum,
    OrderListOpoPendingSideEnum,
    OrderListOpoPendingTypeEnum,
    OrderListOpoWorkingSideEnum,
    OrderListOpoWorkingTimeInForceEnum,
    OrderListOpoWorkingTypeEnum,
)

from _common import API_KEY, API_SECRET, BASE_URL, check, finish, flow


def plain(obj):
    """A model (or one-of wrapper) as the JSON it was read from."""
    obj = getattr(obj, "actual_instance", obj)
    if isinstance(obj, list):
        return [plain(item) for item in obj]
    return obj if isinstance(obj, dict) else obj.to_dict()


config = ConfigurationRestAPI(api_key=API_KEY, api_secret=API_SECRET, base_path=BASE_URL)
api = Spot(config_rest_api=config).rest_api
state = {}


@flow("ping/time")
def _():
    api.ping().data()
    check(api.time().data().server_time > 0, "serverTime")


@flow("exchangeInfo")
def _():
    info = api.exchange_info(symbol="BTCUSDT").data()
    check(info.symbols[0].symbol == "BTCUSDT", "symbol")
    check(len(info.symbols[0].filters) >= 4, "filters")


@flow("depth")
def _():
    book = api.depth(symbol="BTCUSDT", limit=5).data()
    check(Decimal(book.bids[0][0]) < Decimal(book.asks[0][0]), "book not crossed")


@flow("klines")
def _():
    klines = api.klines(symbol="BTCUSDT", interval=KlinesIntervalEnum["INTERVAL_1m"].value, limit=10).data()
    check(len(klines) == 10, f"10 klines, got {len(klines)}")


@flow("tickers")
def _():
    check(api.ticker_price(symbol="BTCUSDT").data() is not None, "price")
    check(api.ticker24hr(symbol="BTCUSDT").data() is not None, "24hr")
    check(api.ticker_book_ticker(symbol="BTCUSDT").data() is not None, "book")
    check(api.avg_price(symbol="BTCUSDT").data().mins == 5, "avg price")


@flow("account/balances")
def _():
    account = api.get_account(omit_zero_balances=True).data()
    check(account.can_trade, "canTrade")
    check(any(b.asset == "USDT" and Decimal(b.free) > 0 for b in account.balances), "USDT")
    check(api.account_commission(symbol="BTCUSDT").data().symbol == "BTCUSDT", "commission")


@flow("test order")
def _():
    api.order_test(
        symbol="BTCUSDT",
        side=OrderTestSideEnum["BUY"].value,
        type=OrderTestTypeEnum["LIMIT"].value,
        time_in_force=OrderTestTimeInForceEnum["GTC"].value,
        quantity=0.001,
        price=50000.0,
    ).data()


@flow("limit order")
def _():
    order = api.new_order(
        symbol="BTCUSDT",
        side=NewOrderSideEnum["BUY"].value,
        type=NewOrderTypeEnum["LIMIT"].value,
        time_in_force=NewOrderTimeInForceEnum["GTC"].value,
        quantity=0.001,
        price=50000.0,
    ).data()
    check(order.status == "NEW", f"status {order.status}")
    state["order_id"] = order.order_id


@flow("query order")
def _():
    order = api.get_order(symbol="BTCUSDT", order_id=state["order_id"]).data()
    check(order.status == "NEW", "query")
    check(len(api.get_open_orders(symbol="BTCUSDT").data()) >= 1, "open orders")


@flow("cancel order")
def _():
    res = api.delete_order(symbol="BTCUSDT", order_id=state["order_id"]).data()
    check(res.status == "CANCELED", "cancel")


@flow("trading day ticker")
def _():
    one = plain(api.ticker_trading_day(symbol="BTCUSDT").data())
    check(one["symbol"] == "BTCUSDT" and one["count"] > 0, f"FULL: {one}")
    check(one["closeTime"] - one["openTime"] == 86_399_999, "one day")
    many = plain(api.ticker_trading_day(symbols=["BTCUSDT", "BNBBTC"], type="MINI",
                                         time_zone="8").data())
    check([row["symbol"] for row in many] == ["BTCUSDT", "BNBBTC"], f"MINI: {many}")


@flow("reference price, calculation, execution rules, block trades")
def _():
    reference = api.reference_price(symbol="BTCUSDT").data()
    check(Decimal(reference.reference_price) > 0, f"referencePrice: {reference}")
    calculation = plain(api.reference_price_calculation(symbol="BTCUSDT").data())
    check(calculation["calculationType"] == "ARITHMETIC_MEAN", f"calculation: {calculation}")
    rules = api.execution_rules(symbol="BTCUSDT").data()
    rule = rules.symbol_rules[0].rules[0]
    check(rule.rule_type == "PRICE_RANGE" and Decimal(rule.bid_limit_mult_up) > 1, f"{rules}")
    blocks = api.historical_block_trades(symbol="BTCUSDT", from_id=1).data()
    check(len(plain(blocks)) == 0, f"block trades: {blocks}")


@flow("SOR order + allocations")
def _():
    info = api.exchange_info(symbol="BTCUSDT").data()
    check(info.sors[0].symbols == ["BTCUSDT"], f"sors: {info.sors}")
    test = api.sor_order_test(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.001,
                              compute_commission_rates=True).data()
    check(plain(test)["standardCommissionForOrder"]["taker"], f"sor test: {test}")
    order = api.sor_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.001).data()
    check(order.used_sor and order.working_floor == "SOR", f"sor order: {order}")
    check(order.fills[0].match_type == "ONE_PARTY_TRADE_REPORT", f"fills: {order.fills}")
    allocations = api.my_allocations(symbol="BTCUSDT", order_id=order.order_id).data()
    check(len(allocations) == len(order.fills), f"allocations: {allocations}")


def _prices():
    last = Decimal(api.ticker_price(symbol="BTCUSDT").data().actual_instance.price)
    return lambda factor: float((last * Decimal(factor)).quantize(Decimal("0.01")))


@flow("stop-loss-limit order")
def _():
    at = _prices()
    order = api.new_order(
        symbol="BTCUSDT",
        side=NewOrderSideEnum["SELL"].value,
        type=NewOrderTypeEnum["STOP_LOSS_LIMIT"].value,
        time_in_force=NewOrderTimeInForceEnum["GTC"].value,
        quantity=0.001,
        price=at("0.89"),
        stop_price=at("0.90"),
    ).data()
    queried = api.get_order(symbol="BTCUSDT", order_id=order.order_id).data()
    check(queried.type == "STOP_LOSS_LIMIT" and queried.status == "NEW", f"query: {queried}")
    res = api.delete_order(symbol="BTCUSDT", order_id=order.order_id).data()
    check(res.status == "CANCELED", "cancel")


@flow("oco order list")
def _():
    at = _prices()
    placed = api.order_list_oco(
        symbol="BTCUSDT",
        side=OrderListOcoSideEnum["SELL"].value,
        quantity=0.001,
        above_type=OrderListOcoAboveTypeEnum["LIMIT_MAKER"].value,
        below_type=OrderListOcoBelowTypeEnum["STOP_LOSS_LIMIT"].value,
        above_price=at("1.05"),
        below_stop_price=at("0.95"),
        below_price=at("0.94"),
        below_time_in_force=OrderListOcoBelowTimeInForceEnum["GTC"].value,
    ).data()
    check(placed.contingency_type == "OCO" and len(placed.orders) == 2, f"placed: {placed}")
    res = api.delete_order_list(symbol="BTCUSDT", order_list_id=placed.order_list_id).data()
    check(res.list_order_status == "ALL_DONE", f"cancel: {res}")
    check([r.status for r in res.order_reports] == ["CANCELED", "CANCELED"], "legs canceled")


@flow("opo order list")
def _():
    at = _prices()
    placed = api.order_list_opo(
        symbol="BTCUSDT",
        working_type=OrderListOpoWorkingTypeEnum["LIMIT"].value,
        working_side=OrderListOpoWorkingSideEnum["BUY"].value,
        working_price=at("0.95"),
        working_quantity=0.001,
        working_time_in_force=OrderListOpoWorkingTimeInForceEnum["GTC"].value,
        pending_type=OrderListOpoPendingTypeEnum["LIMIT_MAKER"].value,
        pending_side=OrderListOpoPendingSideEnum["SELL"].value,
        pending_price=at("1.05"),
    ).data()
    check(placed.contingency_type == "OTO" and len(placed.orders) == 2, f"placed: {placed}")
    res = api.delete_order_list(symbol="BTCUSDT", order_list_id=placed.order_list_id).data()
    check(res.list_order_status == "ALL_DONE", f"cancel: {res}")


finish("binance-sdk-spot", version("binance-sdk-spot"))
