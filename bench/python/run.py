"""One benchmark run of one Python SDK against the fixture server; prints
one JSON line in the same shape as bench-client.

    run.py --sdk official|python-pinterest --workload me|pin|page|walk10k|create
           --base http://127.0.0.1:PORT [--units N] [--concurrency C] [--warmup W]

official:          pinterest-api-sdk 0.2.7, pointed at the server with PINTEREST_API_URI.
python-pinterest:  python-pinterest 0.2.0, pointed at it through its DEFAULT_API_URL.
Each lives in its own virtualenv: both install a package named `pinterest`.
"""

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time

TOKEN = "bench-token"
MEDIA_SOURCE = {"source_type": "image_url", "url": "https://www.example.com/cake.jpg"}


def usage():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def official(base):
    os.environ["PINTEREST_API_URI"] = base + "/v5"
    os.environ["PINTEREST_ACCESS_TOKEN"] = TOKEN
    from pinterest.client import PinterestSDKClient
    from pinterest.organic.boards import Board
    from pinterest.organic.pins import Pin
    from openapi_generated.pinterest_client.api.user_account_api import UserAccountApi

    client = PinterestSDKClient.create_default_client()
    users = UserAccountApi(client)
    board = Board(board_id="10000", client=client)

    def walk():
        # The SDK's own way to page: Bookmark.get_next().
        pins, bookmark = board.list_pins(page_size=250)
        n = len(pins)
        while bookmark:
            pins, bookmark = bookmark.get_next()
            n += len(pins)
        return n

    return {
        "me": lambda: users.user_account_get() and 1,
        "pin": lambda: Pin(pin_id="42", client=client) and 1,
        "page": lambda: len(board.list_pins(page_size=250)[0]),
        "walk10k": walk,
        "create": lambda: Pin.create(board_id="10000", media_source=MEDIA_SOURCE, title="Lemon cake",
                                     description="A moist lemon cake with a sharp glaze.",
                                     link="https://www.example.com/recipes/lemon-cake", client=client) and 1,
    }


def python_pinterest(base, asynchronous=False):
    from pinterest import Api, AsyncApi

    api = (AsyncApi if asynchronous else Api)(access_token=TOKEN)
    api.DEFAULT_API_URL = base + "/v5/"

    if asynchronous:
        async def walk():
            n, bookmark = 0, None
            while True:
                page = await api.boards.list_pins(board_id="10000", page_size=250, bookmark=bookmark, return_json=True)
                n += len(page["items"])
                bookmark = page.get("bookmark")
                if not bookmark:
                    return n

        async def one(coro):
            await coro
            return 1

        return {
            "me": lambda: one(api.user_account.get()),
            "pin": lambda: one(api.pins.get(pin_id="42")),
            "page": lambda: one(api.boards.list_pins(board_id="10000", page_size=250)),
            "walk10k": walk,
            "create": lambda: one(api.pins.create(board_id="10000", media_source=MEDIA_SOURCE, title="Lemon cake")),
        }

    def walk():
        n, bookmark = 0, None
        while True:
            page = api.boards.list_pins(board_id="10000", page_size=250, bookmark=bookmark)
            n += len(page.items)
            bookmark = page.bookmark
            if not bookmark:
                return n

    return {
        "me": lambda: api.user_account.get() and 1,
        "pin": lambda: api.pins.get(pin_id="42") and 1,
        "page": lambda: len(api.boards.list_pins(board_id="10000", page_size=250).items),
        "walk10k": walk,
        "create": lambda: api.pins.create(board_id="10000", media_source=MEDIA_SOURCE, title="Lemon cake") and 1,
    }


def percentile(sorted_samples, q):
    if not sorted_samples:
        return 0.0
    i = round((len(sorted_samples) - 1) * q)
    return sorted_samples[min(i, len(sorted_samples) - 1)]


def report(args, latencies, elapsed, cpu, rss, items):
    latencies.sort()
    units = max(len(latencies), 1)
    print(json.dumps({
        "contender": args.sdk,
        "workload": args.workload,
        "concurrency": args.concurrency,
        "units": len(latencies),
        "items": items,
        "elapsed_s": elapsed,
        "units_per_s": units / elapsed,
        "p50_us": percentile(latencies, 0.50) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "cpu_per_unit_us": cpu * 1e6 / units,
        "max_rss_kib": rss,
    }))


def run_sync(args, fn):
    for _ in range(args.warmup):
        fn()
    cpu0, _ = usage()
    latencies, items = [], 0
    start = time.perf_counter()
    for _ in range(args.units):
        t = time.perf_counter()
        items += fn()
        latencies.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    cpu1, rss = usage()
    report(args, latencies, elapsed, cpu1 - cpu0, rss, items)


async def run_async(args, fn):
    for _ in range(args.warmup):
        await fn()
    cpu0, _ = usage()
    latencies, items = [], [0]
    remaining = [args.units]

    async def worker():
        while remaining[0] > 0:
            remaining[0] -= 1
            t = time.perf_counter()
            items[0] += await fn()
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - start
    cpu1, rss = usage()
    report(args, latencies, elapsed, cpu1 - cpu0, rss, items[0])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sdk", required=True, choices=["official", "python-pinterest"])
    p.add_argument("--workload", required=True, choices=["me", "pin", "page", "walk10k", "create"])
    p.add_argument("--base", required=True)
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--warmup", type=int, default=20)
    args = p.parse_args()
    if args.concurrency > 1:
        if args.sdk != "python-pinterest":
            sys.exit("only python-pinterest has an async client")
        asyncio.run(run_async(args, python_pinterest(args.base, asynchronous=True)[args.workload]))
    elif args.sdk == "official":
        run_sync(args, official(args.base)[args.workload])
    else:
        run_sync(args, python_pinterest(args.base)[args.workload])


if __name__ == "__main__":
    main()
