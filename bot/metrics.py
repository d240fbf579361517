"""The bot's Prometheus metrics (served by bot/web.py at /metrics).

One registry per Application, so two apps in one test process do not share counters. Counters move where the
thing happens (the core counts commands); gauges that describe stored state (outbox depth, deliveries by
result, scheduler lateness, live copies) are read from the database when scraped, so they cannot drift from it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from storage.db import Database
from storage.metrics import MetricsQueries

__all__ = ["Metrics"]

# Handler latency: commands answer in milliseconds; a slow one (a big export) in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = CommandTally()
        self.registry.register(self.commands)
        self.outbox_depth = Gauge("humako_outbox_pending", "Messages waiting to be delivered",
                                  ["platform"], registry=self.registry)
        self.outbox_age = Gauge("humako_outbox_oldest_pending_seconds",
                                "Age of the oldest message waiting to be delivered (0 when none)",
                                registry=self.registry)
        self.deliveries = Gauge("humako_outbox_rows", "Outbox rows by platform and result (sent, pending, "
                                "unreachable, failed, ...)", ["platform", "result"], registry=self.registry)
        self.scheduler_late = Gauge("humako_scheduler_late_seconds",
                                    "Largest lateness of a scheduled row finished in the last hour",
                                    registry=self.registry)
        self.scheduler_rows = Gauge("humako_scheduler_rows", "Scheduled rows by status (pending, done, dropped, "
                                    "failed, ...)", ["status"], registry=self.registry)
        self.live_copies = Gauge("humako_live_copies", "Posted copies kept current by live edits",
                                 ["platform"], registry=self.registry)
        self.live_edits = Counter("humako_live_edits", "Live edits of posted copies, by result (edited, gone, "
                                  "refused, retry, failed)", ["platform", "result"], registry=self.registry)
        self.rate_limited = Counter("humako_rate_limited", "429 answers from a platform (each was waited out)",
                                    ["platform"], registry=self.registry)

    def command(self, command: str, frontend: str, outcome: str, seconds: float) -> None:
        self.commands.record(command, frontend, outcome, seconds)

    async def refresh(self, db: Database, now: datetime) -> None:
        """Read the stored state into the gauges (just before a scrape)."""
        stored = MetricsQueries(db)
        self.outbox_depth.clear()
        self.deliveries.clear()
        self.live_copies.clear()
        self.scheduler_rows.clear()
        for platform, status, count in await stored.outbox_by_status():
            self.deliveries.labels(platform, status).set(count)
            if status == "pending":
                self.outbox_depth.labels(platform).set(count)
        oldest = await stored.oldest_pending()
        self.outbox_age.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self.scheduler_late.set(await stored.latest_lateness(now - timedelta(hours=1)))
        for status, count in await stored.scheduled_by_status():
            self.scheduler_rows.labels(status).set(count)
        for platform, count in await stored.live_copies():
            self.live_copies.labels(platform).set(count)


class CommandTally(Collector):
    """Commands run (humako_commands_total) and their handlers' latency (humako_command_seconds), kept as plain
    numbers and made into metric families only when scraped: every command records here, and prometheus_client's
    own counter and histogram take a lock per increment, three per command. One event loop records, so no lock."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}
        # Per (command, frontend): a count per latency bucket (the last one +Inf), then the sum of seconds.
        self.latency: dict[tuple[str, str], list[float]] = {}

    def record(self, command: str, frontend: str, outcome: str, seconds: float) -> None:
        key = (command, frontend, outcome)
        self.counts[key] = self.counts.get(key, 0) + 1
        tally = self.latency.get((command, frontend))
        if tally is None:
            tally = self.latency[(command, frontend)] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        tally[bisect_left(LATENCY_BUCKETS, seconds)] += 1  # the first bucket whose bound is >= seconds
        tally[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        commands = CounterMetricFamily("humako_commands", "Commands run, by outcome (handled, refused, failed)",
                                       labels=["command", "frontend", "outcome"])
        for outcome_labels, count in self.counts.items():
            commands.add_metric(list(outcome_labels), count)
        yield commands
        latency = HistogramMetricFamily("humako_command_seconds", "Time a command's handler took",
                                        labels=["command", "frontend"])
        bounds = [*map(floatToGoString, LATENCY_BUCKETS), "+Inf"]
        for labels, tally in self.latency.items():
            below, buckets = 0.0, []
            for bound, in_bucket in zip(bounds, tally[:-1], strict=True):
                below += in_bucket
                buckets.append((bound, below))
            latency.add_metric(list(labels), buckets, sum_value=tally[-1])
        yield latency
