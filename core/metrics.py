"""Prometheus metrics, one registry per app so that two apps in a process never mix: requests
and their latency, and the event loop's lag (``watch_loop_lag``)."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

# How often the loop's lag is sampled: a sleep of this long that wakes late measures the lag.
LAG_SAMPLE_SECONDS = 0.1


class HttpMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kohtaamo_http_requests_total",
            "HTTP requests answered, by route, method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "kohtaamo_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ("route",),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )

        self.loop_lag = Histogram(
            "kohtaamo_event_loop_lag_seconds",
            "How late the event loop ran a timer due every 0.1 s: the time nothing else could run.",
            buckets=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    async def watch_loop_lag(self) -> None:
        """Until cancelled: sample the loop's lag into ``loop_lag``."""
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + LAG_SAMPLE_SECONDS
            await asyncio.sleep(LAG_SAMPLE_SECONDS)
            self.loop_lag.observe(max(0.0, loop.time() - expected))
