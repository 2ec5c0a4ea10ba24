"""The `BusinessMetrics` port as CloudWatch embedded metric format (EMF), through Powertools.

Counts are kept in memory during an invocation and written when the handler's work ends
(`published()`, also when it raised): one EMF document per (metric, dimensions), its value the count,
printed to stdout, where Lambda sends it to CloudWatch Logs and CloudWatch extracts the metric.

Why not one `Metrics` object and `@metrics.log_metrics`: an EMF document has one set of dimensions
for all its metrics, and Powertools' `Metrics` one per invocation, while these metrics each have their
own (`cancelled_by` for a cancellation, `channel` for a message). `single_metric` writes a document per
metric with its own dimensions; adding up first keeps it to one per (metric, dimensions) and invocation.
Every document also has the `service` dimension (POWERTOOLS_SERVICE_NAME).

Powertools' metrics module is imported on the first write, so only functions that counted something
load it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from therapy_booking.settings import MetricsSettings

type Series = tuple[str, tuple[tuple[str, str], ...]]  # metric name, its dimensions sorted by name


class EmfBusinessMetrics:
    def __init__(self, settings: MetricsSettings) -> None:
        self._namespace = settings.namespace
        self._service = settings.service
        self._counts: Counter[Series] = Counter()
        self._lock = threading.Lock()  # the local stack runs handlers on several threads

    def count(self, name: str, **dimensions: str) -> None:
        series = (name, tuple(sorted((key, str(value)) for key, value in dimensions.items())))
        with self._lock:
            self._counts[series] += 1

    @contextmanager
    def published(self) -> Iterator[None]:
        """Write what was counted inside, when it ends (also when it raised)."""
        try:
            yield
        finally:
            self.flush()

    def flush(self) -> None:
        """Write each series counted since the last flush as one EMF document, and forget them."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return
        from aws_lambda_powertools.metrics import MetricUnit, single_metric
        from aws_lambda_powertools.metrics.functions import is_metrics_disabled

        if is_metrics_disabled():  # POWERTOOLS_METRICS_DISABLED, honoured as Powertools' Metrics does (local stack)
            return

        for (name, dimensions), value in sorted(counts.items()):
            with single_metric(
                name=name,
                unit=MetricUnit.Count,
                value=value,
                namespace=self._namespace,
                default_dimensions={"service": self._service, **dict(dimensions)},
            ):
                pass
