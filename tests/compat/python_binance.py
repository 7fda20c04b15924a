"""python-binance (sammchardy) against the sandbox; only the base URLs change."""

from decimal import Decimal

import binance
from binance.client import Client

from _common import API_KEY, API_SECRET, BASE_URL, check, finish, flow

client = Client(API_KEY, API_SECRET, ping=False)
client.API_URL = BASE_URL + "/api"
client.MARGIN_API_URL = BASE_URL + "/sapi"
state = {}


@flow("ping/time")
def _():
    check(client.ping() == {}, "ping")
    check(client.get_server_time()["serverTime"] > 0, "serverTime")


@flow("exchangeInfo")
def _():
    info = client.get_exchange_info()
    check(any(s["symbol"] == "BTCUSDT" for s in info["symbols"]), "BTCUSDT listed")
    symbol = client.get_symbol_info("BNBBTC")
    check(symbol["quoteAsset"] == "BTC", "BNBBTC info")


@flow("depth")
def _():
    book = client.get_order_book(symbol="BTCUSDT", limit=5)
    check(Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0]), "book not crossed")


@flow("klines")
def _():
    klines = client.get_klines(symbol="BTCUSDT", interval=Client.KLINE_INTERVAL_1MINUTE, limit=10)
    check(len(klines) == 10, f"10 klines, got {len(klines)}")
    hist = client.get_historical_klines("ETHUSDT", Client.KLINE_INTERVAL_1HOUR, "1 day ago UTC")
    check(len(hist) >= 20, f"historical klines: {len(hist)}")


@flow("tickers")
def _():
    check(client.get_symbol_ticker(symbol="BTCUSDT")["symbol"] == "BTCUSDT", "price ticker")
    check(len(client.get_all_tickers()) >= 7, "all tickers")
    check("lastPrice" in client.get_ticker(symbol="BTCUSDT"), "24hr ticker")
    check(client.get_orderbook_ticker(symbol="BTCUSDT")["bidPrice"], "book ticker")
    check(client.get_avg_price(symbol="BTCUSDT")["mins"] == 5, "avg price")


@flow("account/balances")
def _():
    account = client.get_account()
    check(account["canTrade"], "canTrade")
    check(Decimal(client.get_asset_balance(asset="USDT")["free"]) > 0, "USDT balance")
    check(client.get_account_status()["data"] == "Normal", "account status")
    check(client.get_account_api_permissions()["enableReading"], "api permissions")


@flow("test order")
def _():
    res = client.create_test_order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="50000"
    )
    check(res == {}, f"test order: {res}")


@flow("limit order")
def _():
    order = client.order_limit_buy(symbol="BTCUSDT", quantity="0.001", price="50000")
    check(order["status"] == "NEW", f"status {order['status']}")
    state["order_id"] = order["orderId"]


@flow("query order")
def _():
    order = client.get_order(symbol="BTCUSDT", orderId=state["order_id"])
    check(order["status"] == "NEW", "query")
    check(any(o["orderId"] == state["order_id"] for o in client.get_open_orders(symbol="BTCUSDT")), "open")


@flow("cancel order")
def _():
    res = client.cancel_order(symbol="BTCUSDT", orderId=state["order_id"])
    check(res["status"] == "CANCELED", "cancel")


@flow("market order + myTrades")
def _():
    order = client.order_market_buy(symbol="BTCUSDT", quoteOrderQty="100")
    check(order["status"] == "FILLED", "market filled")
    check(len(client.get_my_trades(symbol="BTCUSDT")) >= 1, "my trades")


@flow("trading day ticker")
def _():
    ticker = client.v3_get_ticker_trading_day(symbol="BTCUSDT")
    check(ticker["symbol"] == "BTCUSDT" and ticker["count"] > 0, f"tradingDay: {ticker}")


@flow("SOR order + allocations")
def _():
    order = client.v3_post_sor_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    check(order["usedSor"] is True and order["status"] == "FILLED", f"sor: {order}")
    allocations = client.get_allocations(symbol="BTCUSDT", orderId=order["orderId"])
    check(len(allocations) == len(order["fills"]), f"allocations: {allocations}")


def _prices():
    last = Decimal(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
    return lambda factor: str((last * Decimal(factor)).quantize(Decimal("0.01")))


@flow("stop-loss-limit order")
def _():
    at = _prices()
    order = client.create_order(
        symbol="BTCUSDT", side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC",
        quantity="0.001", price=at("0.89"), stopPrice=at("0.90"),
    )
    check("orderId" in order, f"placed: {order}")
    queried = client.get_order(symbol="BTCUSDT", orderId=order["orderId"])
    check(queried["type"] == "STOP_LOSS_LIMIT" and queried["status"] == "NEW", f"query: {queried}")
    check(Decimal(queried["stopPrice"]) == Decimal(at("0.90")), "stopPrice")
    res = client.cancel_order(symbol="BTCUSDT", orderId=order["orderId"])
    check(res["status"] == "CANCELED", "cancel")


@flow("oco order list")
def _():
    at = _prices()
    placed = client.create_oco_order(
        symbol="BTCUSDT", side="SELL", quantity="0.001",
        aboveType="LIMIT_MAKER", abovePrice=at("1.05"),
        belowType="STOP_LOSS_LIMIT", belowStopPrice=at("0.95"), belowPrice=at("0.94"),
        belowTimeInForce="GTC",
    )
    check(placed["contingencyType"] == "OCO" and len(placed["orders"]) == 2, f"placed: {placed}")
    check(any(l["orderListId"] == placed["orderListId"] for l in client.get_open_oco_orders()), "open lists")
    res = client.v3_delete_order_list(symbol="BTCUSDT", orderListId=placed["orderListId"])
    check(res["listOrderStatus"] == "ALL_DONE", f"cancel: {res}")
    check([r["status"] for r in res["orderReports"]] == ["CANCELED", "CANCELED"], "legs canceled")


finish("python-binance", binance.__version__)
