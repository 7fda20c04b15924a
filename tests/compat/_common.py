"""Shared by the compat scripts: read the sandbox URL and key, run flows, report."""

import os
import sys
import traceback

BASE_URL = os.environ["MBX_SANDBOX_URL"]
API_KEY = os.environ["MBX_SANDBOX_API_KEY"]
API_SECRET = os.environ["MBX_SANDBOX_API_SECRET"]

_results = []


def flow(name):
    """Decorator: run the function as a named flow and record PASS/FAIL."""

    def wrap(fn):
        try:
            fn()
            _results.append((name, None))
        except Exception as err:  # noqa: BLE001 - report every failure
            _results.append((name, f"{type(err).__name__}: {err}"))
            traceback.print_exc(file=sys.stderr)
        return fn

    return wrap


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def finish(client_name, version):
    failed = 0
    for name, error in _results:
        if error is None:
            print(f"{client_name} {version}: PASS {name}")
        else:
            failed += 1
            print(f"{client_name} {version}: FAIL {name}: {error}")
    sys.exit(1 if failed else 0)
