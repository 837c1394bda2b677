"""Plain-text output shared by the commands."""

from __future__ import annotations

from collections.abc import Mapping

#: Metrics that are counts, printed as whole numbers.
_COUNTS = ("n", "n_fraud")


def metric_lines(metrics: Mapping[str, float], indent: str = "") -> list[str]:
    """One aligned ``name  value`` line per metric of ``genfin.evaluate.detection_metrics``."""
    width = max(len(name) for name in metrics)
    return [
        f"{indent}{name:<{width}}  {value:,.0f}"
        if name in _COUNTS
        else f"{indent}{name:<{width}}  {value:.4f}"
        for name, value in metrics.items()
    ]
