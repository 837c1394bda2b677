"""What every benchmark script shares: where the real data is, and the machine line of its table."""

from __future__ import annotations

import argparse
import os
import platform
from datetime import date
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CREDITCARD_SAMPLE = SHARED_DATA / "creditcard" / "creditcard_sample.csv.gz"


def creditcard_arguments(description: str) -> argparse.Namespace:
    """Parse ``--data`` (default: the shared real sample, or $GENFIN_CREDITCARD) and ``--seeds``."""
    parser = argparse.ArgumentParser(description=description)
    default = Path(os.environ.get("GENFIN_CREDITCARD", CREDITCARD_SAMPLE))
    parser.add_argument("--data", type=Path, default=default, help="creditcard.csv(.gz) or the sample")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"no data at {args.data}: pass --data PATH to creditcard.csv(.gz) or the sample")
    return args


def machine_line() -> str:
    """CPU model, core count and the date, for the line beside a table."""
    model = platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"machine: {model}, {os.cpu_count()} CPUs; date: {date.today()}"


def load_average(digits: int = 1) -> str:
    """The 1, 5 and 15 minute load averages ("n/a" where the system has none)."""
    try:
        return " / ".join(f"{x:.{digits}f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
