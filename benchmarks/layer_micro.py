"""Micro-benchmark of the channel layer alone: stock ``channels_redis.core.RedisChannelLayer``
against ``rtcpool_django.layers.RedisChannelLayer``, two layer instances (two "processes")
in one event loop on one Redis, nothing else.

    .venv/bin/python benchmarks/layer_micro.py [--messages 10000] [--redis redis://...]

Scenarios (each per layer, on a fresh prefix that is flushed afterwards):
  send       N sequential ``send`` calls to a channel of the other instance
  send+recv  20 concurrent senders, N ``send`` calls in all, while 20 receivers on the
             other instance take them (20 pairs)
  rtt        500 ping-pongs between the instances, p50 round trip
  send_many  (ours only) the N messages of ``send`` in calls of 100
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from channels_redis.core import RedisChannelLayer as StockLayer

from rtcpool_django.layers import RedisChannelLayer as OurLayer


def make(cls, url: str, prefix: str):
    host = {"address": url, "socket_timeout": None, "max_connections": 1000}
    return cls(hosts=[host], prefix=prefix, capacity=1_000_000)


async def bench(cls, url: str, n: int) -> dict[str, float]:
    prefix = f"bench{uuid.uuid4().hex[:8]}:"
    sender, receiver = make(cls, url, prefix), make(cls, url, prefix)
    figures: dict[str, float] = {}
    try:
        target = await receiver.new_channel()
        started = time.perf_counter()
        for i in range(n):
            await sender.send(target, {"type": "m", "n": i})
        figures["send msg/s"] = n / (time.perf_counter() - started)
        for _ in range(n):
            await receiver.receive(target)

        channels = [await receiver.new_channel() for _ in range(20)]

        async def take(channel: str, count: int) -> None:
            for _ in range(count):
                await receiver.receive(channel)

        async def give(channel: str, count: int) -> None:
            for i in range(count):
                await sender.send(channel, {"type": "m", "n": i})

        started = time.perf_counter()
        takers = [asyncio.ensure_future(take(c, n // 20)) for c in channels]
        await asyncio.gather(*(give(c, n // 20) for c in channels))
        await asyncio.gather(*takers)
        figures["send+recv msg/s"] = n // 20 * 20 / (time.perf_counter() - started)

        ping, pong = await sender.new_channel(), await receiver.new_channel()

        async def echo() -> None:
            while True:
                message = await receiver.receive(pong)
                await receiver.send(ping, message)

        echoer = asyncio.ensure_future(echo())
        rtts = []
        for i in range(550):
            started = time.perf_counter()
            await sender.send(pong, {"type": "ping", "n": i})
            await sender.receive(ping)
            if i >= 50:
                rtts.append(time.perf_counter() - started)
        echoer.cancel()
        figures["rtt p50 ms"] = statistics.median(rtts) * 1000

        if hasattr(sender, "send_many"):
            started = time.perf_counter()
            for start in range(0, n, 100):
                await sender.send_many(
                    [(target, {"type": "m", "n": i}) for i in range(start, min(n, start + 100))]
                )
            figures["send_many msg/s"] = n / (time.perf_counter() - started)
    finally:
        await sender.flush()
        await receiver.flush()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    stock = await bench(StockLayer, args.redis, args.messages)
    ours = await bench(OurLayer, args.redis, args.messages)
    print(f"{'figure':<18}{'stock':>12}{'ours':>12}{'ours/stock':>12}")
    for key in stock:
        print(f"{key:<18}{stock[key]:>12.1f}{ours[key]:>12.1f}{ours[key] / stock[key]:>12.2f}")
    for key in ours.keys() - stock.keys():
        print(f"{key:<18}{'-':>12}{ours[key]:>12.1f}")


if __name__ == "__main__":
    asyncio.run(main())
