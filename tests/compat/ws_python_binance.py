"""python-binance's BinanceSocketManager against the sandbox's WebSocket
Streams (aggTrade, diff and partial depth, kline, multiplex); only the
stream base URL changes."""

import asyncio
from decimal import Decimal

import binance
from binance import AsyncClient, BinanceSocketManager

from _common import API_KEY, API_SECRET, BASE_URL, check, finish, flow

WS_URL = BASE_URL.replace("http://", "ws://", 1) + "/"


async def first_messages(open_socket, count):
    # The constructor does not contact Binance (AsyncClient.create would ping it).
    client = AsyncClient(API_KEY, API_SECRET)
    bm = BinanceSocketManager(client)
    bm.STREAM_URL = WS_URL
    messages = []
    try:
        async with open_socket(bm) as stream:
            while len(messages) < count:
                msg = await asyncio.wait_for(stream.recv(), timeout=10)
                check(msg.get("e") != "error", f"socket error: {msg}")
                messages.append(msg)
    finally:
        await client.close_connection()
    return messages


def run(open_socket, count=1):
    return asyncio.run(first_messages(open_socket, count))


@flow("aggTrade socket")
def _():
    msg = run(lambda bm: bm.aggtrade_socket("BTCUSDT"))[0]
    check(msg["e"] == "aggTrade" and msg["s"] == "BTCUSDT", f"aggTrade: {msg}")
    check(Decimal(msg["p"]) > 0, "price")


@flow("trade socket")
def _():
    msg = run(lambda bm: bm.trade_socket("ETHUSDT"))[0]
    check(msg["e"] == "trade" and msg["s"] == "ETHUSDT", f"trade: {msg}")


@flow("depth socket (diff, 100ms)")
def _():
    first, second = run(lambda bm: bm.depth_socket("BTCUSDT", interval=100), 2)
    check(first["e"] == "depthUpdate", f"diff depth: {first}")
    check(second["U"] == first["u"] + 1, "U of the next event is u + 1")


@flow("depth socket (partial 5)")
def _():
    msg = run(lambda bm: bm.depth_socket("BTCUSDT", depth=BinanceSocketManager.WEBSOCKET_DEPTH_5))[0]
    check(len(msg["bids"]) == 5 and len(msg["asks"]) == 5, f"5 levels: {msg}")


@flow("kline socket")
def _():
    msg = run(lambda bm: bm.kline_socket("BNBUSDT", interval=AsyncClient.KLINE_INTERVAL_1MINUTE))[0]
    check(msg["e"] == "kline" and msg["k"]["i"] == "1m", f"kline: {msg}")


@flow("multiplex socket")
def _():
    msgs = run(lambda bm: bm.multiplex_socket(["btcusdt@bookTicker", "ethusdt@miniTicker"]), 2)
    streams = {m["stream"] for m in msgs}
    check(streams <= {"btcusdt@bookTicker", "ethusdt@miniTicker"}, f"combined: {streams}")
    check(all("data" in m for m in msgs), "combined envelope")


finish("python-binance (streams)", binance.__version__)
