"""binance-sdk-spot's WebSocket Streams and WebSocket API clients (including
its user data subscription) against the sandbox; only the URLs change."""

import asyncio
from decimal import Decimal
from importlib.metadata import version

import requests
from binance_sdk_spot.spot import (
    ConfigurationWebSocketAPI,
    ConfigurationWebSocketStreams,
    Spot,
)

from _common import API_KEY, API_SECRET, BASE_URL, check, finish, flow

WS_BASE = BASE_URL.replace("http://", "ws://", 1)


async def stream_messages(subscribe, count):
    client = Spot(config_ws_streams=ConfigurationWebSocketStreams(stream_url=WS_BASE))
    connection = await client.websocket_streams.create_connection()
    got = []
    done = asyncio.Event()

    def on_message(data):
        got.append(data)
        if len(got) >= count:
            done.set()

    try:
        stream = await subscribe(connection)
        stream.on("message", on_message)
        await asyncio.wait_for(done.wait(), timeout=10)
        await stream.unsubscribe()
    finally:
        await connection.close_connection(close_session=True)
    return got


def streams(subscribe, count=1):
    return asyncio.run(stream_messages(subscribe, count))


def plain(obj):
    """A model (or one-of wrapper) as the JSON it was read from."""
    obj = getattr(obj, "actual_instance", obj)
    if isinstance(obj, list):
        return [plain(item) for item in obj]
    return obj if isinstance(obj, (dict, str, int, float)) else obj.to_dict()


def field(obj, name):
    return plain(obj)[name]


def result(response):
    """The `result` of a WebSocket API response, whatever model wraps it."""
    data = plain(response.data())
    return data["result"] if "result" in data else data


@flow("streams: aggTrade")
def _():
    msg = streams(lambda c: c.agg_trade(symbol="btcusdt"))[0]
    check(field(msg, "e") == "aggTrade", f"aggTrade: {msg}")


@flow("streams: diff depth")
def _():
    msg = streams(lambda c: c.diff_book_depth(symbol="btcusdt", update_speed="100ms"))[0]
    check(field(msg, "e") == "depthUpdate", f"depthUpdate: {msg}")


@flow("streams: kline")
def _():
    msg = streams(lambda c: c.kline(symbol="ethusdt", interval="1s"))[0]
    check(field(msg, "e") == "kline", f"kline: {msg}")


@flow("streams: bookTicker")
def _():
    msg = streams(lambda c: c.book_ticker(symbol="btcusdt"))[0]
    check(Decimal(field(msg, "b")) < Decimal(field(msg, "a")), f"bookTicker: {msg}")


@flow("streams: referencePrice")
def _():
    msg = streams(lambda c: c.reference_price(symbol="btcusdt"))[0]
    check(field(msg, "e") == "referencePrice" and Decimal(field(msg, "r")) > 0, f"{msg}")


def ws_api_config():
    return ConfigurationWebSocketAPI(
        api_key=API_KEY, api_secret=API_SECRET, stream_url=WS_BASE + "/ws-api/v3"
    )


async def with_ws_api(body):
    client = Spot(config_ws_api=ws_api_config())
    connection = await client.websocket_api.create_connection()
    try:
        return await body(connection)
    finally:
        await connection.close_connection(close_session=True)


@flow("ws api: ping/time/exchangeInfo/depth/ticker.price")
def _():
    async def body(c):
        await c.ping()
        check(result(await c.time())["serverTime"] > 0, "serverTime")
        info = result(await c.exchange_info(symbol="BNBBTC"))
        check(info["symbols"][0]["symbol"] == "BNBBTC", "exchangeInfo")
        book = result(await c.depth(symbol="BTCUSDT", limit=5))
        check(len(book["bids"]) == 5, "depth")
        price = result(await c.ticker_price(symbol="ETHUSDT"))
        check(Decimal(price["price"]) > 0, "ticker.price")

    asyncio.run(with_ws_api(body))


@flow("ws api: account.status")
def _():
    async def body(c):
        account = (await c.account_status(omit_zero_balances=True)).data().result
        check(any(b.asset == "USDT" for b in account.balances), "USDT balance")

    asyncio.run(with_ws_api(body))


@flow("ws api: order.test/place/status/cancel, openOrders.status")
def _():
    async def body(c):
        await c.order_test(symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
                           quantity=0.001, price=50000)
        placed = (await c.order_place(symbol="BTCUSDT", side="BUY", type="LIMIT",
                                      time_in_force="GTC", quantity=0.001, price=50000)).data().result
        check(placed.status == "NEW", f"placed: {placed}")
        status = (await c.order_status(symbol="BTCUSDT", order_id=placed.order_id)).data().result
        check(status.order_id == placed.order_id, "order.status")
        open_orders = (await c.open_orders_status(symbol="BTCUSDT")).data().result
        check(any(o.order_id == placed.order_id for o in open_orders), "openOrders.status")
        canceled = result(await c.order_cancel(symbol="BTCUSDT", order_id=placed.order_id))
        check(canceled["status"] == "CANCELED", f"cancel: {canceled}")

    asyncio.run(with_ws_api(body))


@flow("ws api: user data (subscribe.signature) sees a REST order")
def _():
    async def body(c):
        events = []
        got = asyncio.Event()
        sub = await c.user_data_stream_subscribe_signature()

        def on_event(data):
            events.append(data)
            got.set()

        sub.stream.on("message", on_event)
        # A REST order from another client (python's requests, signed by hand).
        import hashlib, hmac, time
        query = (f"symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001"
                 f"&price=50000&timestamp={int(time.time() * 1000)}")
        sig = hmac.new(API_SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()
        r = requests.post(f"{BASE_URL}/api/v3/order?{query}&signature={sig}",
                          headers={"X-MBX-APIKEY": API_KEY}, timeout=10)
        check(r.status_code == 200, f"REST order: {r.text}")
        await asyncio.wait_for(got.wait(), timeout=10)
        model = getattr(events[0], "actual_instance", events[0])
        check(type(model).__name__ == "ExecutionReport", f"executionReport: {model!r}")
        check("'x': 'NEW'" in str(plain(model)) or "x='NEW'" in repr(model), f"NEW: {model!r}")

    asyncio.run(with_ws_api(body))


@flow("ws api: ticker.tradingDay, referencePrice, sor.order.place, myAllocations")
def _():
    async def body(c):
        day = result(await c.ticker_trading_day(symbols=["BTCUSDT", "ETHUSDT"], time_zone="00:00"))
        check(len(plain(day)) == 2, f"ticker.tradingDay: {day}")
        reference = result(await c.reference_price(symbol="ETHUSDT"))
        check(Decimal(plain(reference)["referencePrice"]) > 0, f"referencePrice: {reference}")
        placed = (await c.sor_order_place(symbol="ETHUSDT", side="BUY", type="MARKET",
                                          quantity=0.01)).data().result
        check(len(placed) == 1 and placed[0].used_sor, f"sor.order.place: {placed}")
        allocations = result(await c.my_allocations(symbol="ETHUSDT", order_id=placed[0].order_id))
        check(len(plain(allocations)) == len(placed[0].fills), f"myAllocations: {allocations}")

    asyncio.run(with_ws_api(body))


finish("binance-sdk-spot (websockets)", version("binance-sdk-spot"))
