"""ccxt pro's binance watch methods against the sandbox's WebSocket Streams
and WebSocket API (user data through userDataStream.subscribe.signature);
only the base URLs change."""

import asyncio

import ccxt
import ccxt.pro

from _common import API_KEY, API_SECRET, BASE_URL, check, finish, flow

WS_BASE = BASE_URL.replace("http://", "ws://", 1)


def make_exchange():
    exchange = ccxt.pro.binance({
        "apiKey": API_KEY,
        "secret": API_SECRET,
        "options": {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}},
    })
    for name in list(exchange.urls["api"]):
        if name in ("public", "private", "v1", "v3"):
            exchange.urls["api"][name] = BASE_URL + ("/api/v1" if name == "v1" else "/api/v3")
        elif name in ("sapi", "sapiV2", "sapiV3", "sapiV4"):
            version = {"sapi": "v1", "sapiV2": "v2", "sapiV3": "v3", "sapiV4": "v4"}[name]
            exchange.urls["api"][name] = BASE_URL + "/sapi/" + version
    exchange.urls["api"]["ws"]["spot"] = WS_BASE + "/ws"
    exchange.urls["api"]["ws"]["margin"] = WS_BASE + "/ws"
    exchange.urls["api"]["ws"]["ws-api"]["spot"] = WS_BASE + "/ws-api/v3"
    return exchange


def run(body):
    async def main():
        exchange = make_exchange()
        try:
            await exchange.load_markets()
            return await asyncio.wait_for(body(exchange), timeout=20)
        finally:
            await exchange.close()

    return asyncio.run(main())


@flow("watch_trades")
def _():
    async def body(ex):
        trades = await ex.watch_trades("BTC/USDT")
        check(trades and trades[-1]["symbol"] == "BTC/USDT", f"trades: {trades}")

    run(body)


@flow("watch_order_book (snapshot + diff depth)")
def _():
    async def body(ex):
        for _ in range(3):
            book = await ex.watch_order_book("BTC/USDT")
        check(book["bids"][0][0] < book["asks"][0][0], "book not crossed")
        rest = await ex.fetch_order_book("BTC/USDT", limit=5000)
        check(abs(book["nonce"] - rest["nonce"]) < 50, "nonce near the REST lastUpdateId")

    run(body)


@flow("watch_ohlcv")
def _():
    async def body(ex):
        candles = await ex.watch_ohlcv("ETH/USDT", "1m")
        check(candles and len(candles[-1]) == 6, f"ohlcv: {candles}")

    run(body)


@flow("watch_ticker")
def _():
    async def body(ex):
        ticker = await ex.watch_ticker("BNB/USDT")
        check(ticker["symbol"] == "BNB/USDT" and ticker["last"] > 0, f"ticker: {ticker}")

    run(body)


@flow("watch_orders + watch_balance (user data)")
def _():
    async def body(ex):
        orders_task = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
        balance_task = asyncio.ensure_future(ex.watch_balance())
        await asyncio.sleep(1.0)
        rest = ccxt.binance({"apiKey": API_KEY, "secret": API_SECRET,
                             "options": {"defaultType": "spot"}})
        rest.urls["api"]["private"] = BASE_URL + "/api/v3"
        rest.urls["api"]["public"] = BASE_URL + "/api/v3"
        rest.markets = ex.markets
        rest.markets_by_id = ex.markets_by_id
        order = rest.create_order("BTC/USDT", "limit", "buy", 0.001, 20000)
        orders = await orders_task
        check(any(o["id"] == order["id"] for o in orders), f"orders: {orders}")
        balance = await balance_task
        check("USDT" in balance, f"balance: {balance}")

    run(body)


@flow("create_order_ws through SOR (sor.order.place)")
def _():
    async def body(ex):
        order = await ex.create_order_ws("BTC/USDT", "market", "buy", 0.001, None, {"sor": True})
        check(order["status"] == "closed" and order["filled"] == 0.001, f"sor: {order}")

    run(body)


finish("ccxt pro", ccxt.__version__)
