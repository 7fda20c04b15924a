"""Orders per second of a Python Binance client on one connection, for
benches/orders.rs: the same limit IOC order as mbx places, sent one after
another against the same sandbox, each waiting for its answer.

Usage: python_orders.py (python-binance|ccxt) URL API_KEY API_SECRET COUNT
Prints one line: `<client> <version> <count> orders in <seconds> s`.
Uses the pinned versions `cargo xtask compat` installs in `.venv-compat`.
"""

import sys
import time

client_name, url, key, secret, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
ORDER = dict(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="IOC", quantity="0.001", price="50000")

if client_name == "python-binance":
    import binance
    from binance.client import Client

    client = Client(key, secret, ping=False)
    client.API_URL = url + "/api"
    version = binance.__version__

    def place():
        answer = client.create_order(**ORDER)
        assert answer["status"] == "EXPIRED", answer
elif client_name == "ccxt":
    import ccxt

    exchange = ccxt.binance({"apiKey": key, "secret": secret, "options": {"defaultType": "spot"}})
    for name in ("public", "private", "v3"):
        exchange.urls["api"][name] = url + "/api/v3"
    version = ccxt.__version__

    def place():
        # The raw endpoint: the same request as the others, without
        # load_markets' unified-symbol layer in the loop.
        answer = exchange.privatePostOrder(dict(ORDER))
        assert answer["status"] == "EXPIRED", answer
else:
    sys.exit(f"unknown client {client_name}")

for _ in range(20):  # warm-up: connection, clock
    place()
started = time.perf_counter()
for _ in range(count):
    place()
elapsed = time.perf_counter() - started
print(f"{client_name} {version} {count} orders in {elapsed:.3f} s")
