"""ccxt's binance exchange against the sandbox: base URLs point at it, spot only."""

import ccxt

from _common import API_KEY, API_SECRET, BASE_URL, check, finish, flow

exchange = ccxt.binance({
    "apiKey": API_KEY,
    "secret": API_SECRET,
    "options": {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}},
})
for name in list(exchange.urls["api"]):
    if name in ("public", "private", "v1", "v3"):
        exchange.urls["api"][name] = BASE_URL + ("/api/v1" if name == "v1" else "/api/v3")
    elif name in ("sapi", "sapiV2", "sapiV3", "sapiV4"):
        exchange.urls["api"][name] = BASE_URL + "/sapi/" + {"sapi": "v1", "sapiV2": "v2", "sapiV3": "v3", "sapiV4": "v4"}[name]
state = {}


@flow("ping/time")
def _():
    check(exchange.fetch_time() > 0, "time")
    check(exchange.fetch_status()["status"] in ("ok", None), "status")


@flow("markets")
def _():
    markets = exchange.load_markets()
    check("BTC/USDT" in markets, "BTC/USDT market")
    check(markets["BNB/BTC"]["precision"]["price"] is not None, "precision")


@flow("depth")
def _():
    book = exchange.fetch_order_book("BTC/USDT", limit=5)
    check(book["bids"][0][0] < book["asks"][0][0], "book not crossed")


@flow("klines")
def _():
    ohlcv = exchange.fetch_ohlcv("BTC/USDT", "1m", limit=10)
    check(len(ohlcv) == 10, f"10 candles, got {len(ohlcv)}")


@flow("tickers")
def _():
    check(exchange.fetch_ticker("BTC/USDT")["last"] > 0, "ticker")
    check(len(exchange.fetch_tickers(["BTC/USDT", "ETH/USDT"])) == 2, "tickers")


@flow("account/balances")
def _():
    balance = exchange.fetch_balance()
    check(balance["USDT"]["free"] > 0, "USDT free")


@flow("test order")
def _():
    exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 50000, {"test": True})


@flow("limit order")
def _():
    order = exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 50000)
    check(order["status"] == "open", f"status {order['status']}")
    state["id"] = order["id"]


@flow("query order")
def _():
    order = exchange.fetch_order(state["id"], "BTC/USDT")
    check(order["status"] == "open", "query")
    check(any(o["id"] == state["id"] for o in exchange.fetch_open_orders("BTC/USDT")), "open orders")


@flow("cancel order")
def _():
    order = exchange.cancel_order(state["id"], "BTC/USDT")
    check(order["status"] == "canceled", f"cancel: {order['status']}")


@flow("trading day ticker + reference price (implicit API)")
def _():
    ticker = exchange.public_get_ticker_tradingday({"symbol": "BTCUSDT"})
    check(ticker["symbol"] == "BTCUSDT", f"tradingDay: {ticker}")
    reference = exchange.public_get_referenceprice({"symbol": "BTCUSDT"})
    check(float(reference["referencePrice"]) > 0, f"referencePrice: {reference}")


@flow("SOR order (sor: True)")
def _():
    exchange.create_order("BTC/USDT", "market", "buy", 0.001, None, {"sor": True, "test": True})
    order = exchange.create_order("BTC/USDT", "market", "buy", 0.001, None, {"sor": True})
    check(order["status"] == "closed" and order["filled"] == 0.001, f"sor: {order}")
    check(order["info"]["usedSor"] is True, f"usedSor: {order['info']}")


def _prices():
    last = exchange.fetch_ticker("BTC/USDT")["last"]
    return lambda factor: exchange.price_to_precision("BTC/USDT", last * factor)


@flow("stop-loss-limit order")
def _():
    at = _prices()
    order = exchange.create_order(
        "BTC/USDT", "STOP_LOSS_LIMIT", "sell", 0.001, at(0.89), {"stopPrice": at(0.90)}
    )
    queried = exchange.fetch_order(order["id"], "BTC/USDT")
    check(queried["status"] == "open", f"query: {queried['status']}")
    check(float(queried["triggerPrice"] or 0) == float(at(0.90)), f"trigger {queried['triggerPrice']}")
    canceled = exchange.cancel_order(order["id"], "BTC/USDT")
    check(canceled["status"] == "canceled", f"cancel: {canceled['status']}")


@flow("oco order list")
def _():
    at = _prices()
    placed = exchange.private_post_orderlist_oco({
        "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001",
        "aboveType": "LIMIT_MAKER", "abovePrice": at(1.05),
        "belowType": "STOP_LOSS_LIMIT", "belowStopPrice": at(0.95), "belowPrice": at(0.94),
        "belowTimeInForce": "GTC",
    })
    check(placed["contingencyType"] == "OCO", f"placed: {placed}")
    open_ids = [o["id"] for o in exchange.fetch_open_orders("BTC/USDT")]
    check(all(str(o["orderId"]) in open_ids for o in placed["orders"]), "legs open")
    res = exchange.private_delete_orderlist({"symbol": "BTCUSDT", "orderListId": placed["orderListId"]})
    check(res["listOrderStatus"] == "ALL_DONE", f"cancel: {res}")


finish("ccxt", ccxt.__version__)
