"""Speed of genfin's AutoencoderDetector against PyOD's AutoEncoder and the book's Keras recipe.

Every method trains the book's 29-12-29 network (12 tanh units) for the same number of epochs with
batch 128 on the same synthetic rows (genfin.data.make_transactions, the shape of the real
credit card file), and each runs in a FRESH subprocess so that its peak memory is its own and no
thread setting leaks from one method to the next. Each method runs once with torch's default number
of threads and once with torch limited to 1 thread (``--threads``).

Measured per method: training rows per second (rows x epochs / seconds of the whole ``fit`` call,
scaling and the library's own end-of-fit scoring included), scoring rows per second (scoring every
row from raw features; best of ``--repeats``), and peak resident memory (``ru_maxrss``). Each
method runs ``--runs`` times in fresh processes, in rounds, and its best run is reported: on a
shared machine the slowest runs measure the neighbours more than the method.

    python bench/speed_autoencoder.py [--rows 284807] [--epochs 2] [--repeats 5] [--runs 2]
                                      [--baseline-rows 50000] [--threads default,1]
                                      [--skip-keras] [--skip-pyod] [--out FILE]

With more than one torch thread PyOD and Keras are very slow on a busy 2-core machine, so in those
runs they use the first ``--baseline-rows`` rows of the same data (rows per second stay comparable;
``--baseline-rows 0`` gives them every row). Their 1-thread runs always use every row, so peak
memory is compared on equal data there. genfin always uses every row.
Needs ``pip install pyod psutil`` (the ``bench`` extra) and, for the Keras row, ``pip install keras``
(run on the torch backend unless KERAS_BACKEND says otherwise).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

BATCH_SIZE = 128
SCORING_BATCH = 65_536  # a large batch for the libraries whose scoring call takes one
TARGETS = {"pyod": 3.0, "keras": 5.0}
SCORE_TARGET = 2_000_000

METHODS = {
    "genfin": "AutoencoderDetector set for pure speed (its n_threads, below, sets the torch threads of "
    "its fit and scoring, whatever the process's setting)",
    "genfin-defaults": "AutoencoderDetector with its defaults but epochs (validation and trimming on)",
    "pyod": "PyOD AutoEncoder",
    "keras": "the book's Keras recipe",
}


# ---------------------------------------------------------------------------------------- child


def _rss_mb() -> float:
    """Current resident memory of this process, in MB."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 1e6
    except ImportError:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


Runner = tuple[Callable[[], Any], dict[str, Callable[[], Any]], dict[str, str], str]


def _genfin(X: np.ndarray, columns: list[str], epochs: int, pure: bool) -> Runner:
    import pandas as pd

    from genfin.models.autoencoder import AutoencoderDetector

    frame = pd.DataFrame(X, columns=columns)
    extra = dict(validation_fraction=0.0, trim_fraction=0.0) if pure else {}
    model = AutoencoderDetector(epochs=epochs, batch_size=BATCH_SIZE, random_state=0, **extra)
    scorers = {"score_samples(DataFrame)": lambda: model.score_samples(frame)}
    shown = (
        "hidden_layer_sizes",
        "scaler",
        "validation_fraction",
        "trim_fraction",
        "trim_rounds",
        "n_threads",
    )
    params = model.get_params()
    settings = ", ".join(f"{name}={params[name]!r}" for name in shown if name in params)
    return lambda: model.fit(frame), scorers, {"genfin": _version("genfin")}, settings


def _pyod(X: np.ndarray, columns: list[str], epochs: int) -> Runner:
    from pyod.models.auto_encoder import AutoEncoder
    from pyod.utils.stat_models import pairwise_distances_no_broadcast

    # PyOD scores with a numba kernel that is compiled on first use (several seconds, once per
    # process); compile it here, outside the timing, as torch._dynamo is imported for everyone.
    tiny = np.zeros((2, X.shape[1]), dtype=np.float32)
    pairwise_distances_no_broadcast(tiny, tiny)

    # The book's 29-12-29 shape; PyOD's own preprocessing (standardisation) and its linear output
    # layer are left as they are: the library offers no output activation.
    model = AutoEncoder(
        hidden_neuron_list=[12],
        hidden_activation_name="tanh",
        batch_norm=False,
        dropout_rate=0.0,
        epoch_num=epochs,
        batch_size=BATCH_SIZE,
        contamination=0.01,
        verbose=0,
        random_state=0,
    )
    scorers = {
        "decision_function(X)": lambda: model.decision_function(X),
        f"decision_function(X, batch_size={SCORING_BATCH})": lambda: model.decision_function(
            X, batch_size=SCORING_BATCH
        ),
    }
    settings = (
        "hidden_neuron_list=[12], hidden_activation_name='tanh', batch_norm=False, dropout_rate=0.0; "
        "left as is: preprocessing=True (standardisation), linear output layer, "
        f"optimizer_params={model.optimizer_params}; its numba scoring kernel compiled before timing"
    )
    return lambda: model.fit(X), scorers, {"pyod": _version("pyod")}, settings


def _keras(X: np.ndarray, columns: list[str], epochs: int) -> Runner:
    import keras
    from sklearn.preprocessing import MinMaxScaler

    state: dict[str, Any] = {}

    def fit() -> None:
        keras.utils.set_random_seed(0)
        scaler = MinMaxScaler()
        scaled = scaler.fit_transform(X).astype("float32")
        model = keras.Sequential(
            [
                keras.Input(shape=(X.shape[1],)),
                keras.layers.Dense(12, activation="tanh"),
                keras.layers.Dense(X.shape[1], activation="sigmoid"),
            ]
        )
        model.compile(optimizer="adam", loss="mse")
        model.fit(scaled, scaled, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True, verbose=0)
        state.update(model=model, scaler=scaler)

    def score(batch_size: int | None) -> np.ndarray:
        scaled = state["scaler"].transform(X).astype("float32")
        kwargs = {} if batch_size is None else {"batch_size": batch_size}
        recon = state["model"].predict(scaled, verbose=0, **kwargs)
        return np.mean(np.square(recon - scaled), axis=1)

    scorers = {
        "predict(X)": lambda: score(None),
        f"predict(X, batch_size={SCORING_BATCH})": lambda: score(SCORING_BATCH),
    }
    settings = (
        "sklearn MinMaxScaler, Dense(12, tanh) -> Dense(29, sigmoid), adam, mse, shuffle=True; "
        "scaling is timed as part of fit and of scoring"
    )
    return fit, scorers, {"keras": f"{keras.__version__} ({keras.backend.backend()} backend)"}, settings


def run_child(args: argparse.Namespace) -> None:
    """Measure one method in this process and print one JSON line."""
    if args.child == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    import torch

    if args.threads != "default":
        torch.set_num_threads(int(args.threads))
    threads = torch.get_num_threads()
    stored = np.load(args.data, mmap_mode="r")
    X = np.array(stored[: args.n_rows])  # only these rows are read into memory
    del stored
    n_rows = X.shape[0]
    columns = json.loads(Path(args.data).with_suffix(".json").read_text())
    if args.child in ("genfin", "genfin-defaults"):
        fit, scorers, versions, settings = _genfin(X, columns, args.epochs, pure=args.child == "genfin")
    elif args.child == "pyod":
        fit, scorers, versions, settings = _pyod(X, columns, args.epochs)
    else:
        fit, scorers, versions, settings = _keras(X, columns, args.epochs)
    del X  # each runner keeps the input its library is given (genfin: a DataFrame, not the array too)

    # torch imports its compiler stack (torch._dynamo, 1-3 s) the first time an optimiser is built.
    # Like every other import it is paid once per process, so it is paid here, outside the timing,
    # for every method alike.
    import torch._dynamo  # noqa: F401

    rss_before = _rss_mb()
    started = time.perf_counter()
    fit()
    fit_seconds = time.perf_counter() - started

    scoring: dict[str, float] = {}
    for name, scorer in scorers.items():
        best, spent = float("inf"), 0.0
        for _ in range(args.repeats):
            started = time.perf_counter()
            scores = np.asarray(scorer())
            took = time.perf_counter() - started
            best, spent = min(best, took), spent + took
            if spent > args.score_budget:  # a slow call is timed fewer times
                break
        if scores.shape != (n_rows,) or not np.isfinite(scores).all():
            raise RuntimeError(f"{args.child}: {name} gave bad scores of shape {scores.shape}")
        scoring[name] = n_rows / best
    result = {
        "method": args.child,
        "rows": n_rows,
        "epochs": args.epochs,
        "threads": threads,
        "fit_seconds": fit_seconds,
        "train_rows_per_s": n_rows * args.epochs / fit_seconds,
        "scoring": scoring,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
        "versions": {"torch": torch.__version__, **versions},
        "settings": settings,
    }
    print("RESULT " + json.dumps(result))


# ---------------------------------------------------------------------------------------- parent


def machine() -> dict[str, str]:
    """CPU model, cores and memory of this machine, from /proc where it exists."""
    cpu, memory = platform.processor() or platform.machine(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024**2:.0f} GiB RAM"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": f"{os.cpu_count()} logical cores ({usable} usable)", "memory": memory}


def run_method(method: str, threads: str, n_rows: int, args: argparse.Namespace, data: Path) -> dict:
    """Run one method in a fresh interpreter and return its measurements."""
    command = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--data",
        str(data),
        "--n-rows",
        str(n_rows),
        "--epochs",
        str(args.epochs),
        "--repeats",
        str(args.repeats),
        "--score-budget",
        str(args.score_budget),
        "--threads",
        threads,
    ]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{method} (threads={threads}) failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    result.update(load=(load_before, os.getloadavg()[0]), wall=wall, thread_setting=threads)
    print(
        f"  {method:16s} threads={threads:7s} rows={n_rows:>7,}  fit {result['fit_seconds']:7.1f} s  "
        f"{result['train_rows_per_s']:>11,.0f} train rows/s  best score "
        f"{max(result['scoring'].values()):>12,.0f} rows/s  peak {result['peak_rss_mb']:,.0f} MB  "
        f"({wall:.0f} s)",
        file=sys.stderr,
        flush=True,
    )
    return result


def best_of(runs: list[dict]) -> dict:
    """One method's runs merged: the fastest fit, the fastest of each scoring call, the highest peak."""
    best = dict(max(runs, key=lambda run: run["train_rows_per_s"]))
    best["scoring"] = {name: max(run["scoring"][name] for run in runs) for name in best["scoring"]}
    best["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    loads = [load for run in runs for load in run["load"]]
    best["load"] = (min(loads), max(loads))
    return best


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def report(results: list[dict], args: argparse.Namespace, command: str, seconds: float) -> str:
    """The markdown report: settings, machine, one row per run, and the ratios against the targets."""
    versions: dict[str, str] = {}
    for result in results:
        versions.update(result["versions"])
    info = machine()
    version_text = ", ".join(
        f"{name} {version}"
        for name, version in {
            "Python": platform.python_version(),
            **versions,
            "numpy": _version("numpy"),
            "pandas": _version("pandas"),
            "scikit-learn": _version("scikit-learn"),
        }.items()
    )
    loads = [load for result in results for load in result["load"]]
    lines = [
        f"- command: `{command}`",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; whole run {seconds / 60:.1f} min",
        f"- machine: {info['cpu']}, {info['cores']}, {info['memory']}, {platform.system()} "
        f"{platform.release()}",
        f"- software: {version_text}",
        f"- data: make_transactions(n_samples={args.rows}, fraud_rate=0.0017, random_state=0), 29 features, "
        f"float64; every method: {args.epochs} epoch(s), batch {BATCH_SIZE}, 29-12-29 with tanh code; "
        "imports and one-time compilation (torch._dynamo, loaded by torch on the first optimiser; PyOD's "
        "numba kernel) are paid before the timing, alike for all",
        f"- each figure is the best of {args.runs} fresh process(es) per method and thread setting, run "
        "in rounds (peak RSS: the highest); scoring: best of "
        f"{args.repeats} calls per process",
        f"- 1-minute load average seen during the runs: {min(loads):.1f} to {max(loads):.1f} "
        f"(this machine has {os.cpu_count()} cores; a load above that means other processes competed "
        "for the CPU and the timings are pessimistic, multi-threaded ones most of all)",
        "",
        "| method | torch threads | fit rows | fit s | train rows/s | score rows/s (best call) "
        "| other scoring call, rows/s | peak RSS MB | RSS before fit MB | load seen |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for result in results:
        scoring = result["scoring"]
        best_name = max(scoring, key=scoring.get)
        others = "; ".join(f"`{name}` {_rate(rate)}" for name, rate in scoring.items() if name != best_name)
        lines.append(
            f"| {result['method']} | {result['threads']} | {result['rows']:,} | {result['fit_seconds']:.2f} "
            f"| {_rate(result['train_rows_per_s'])} | {_rate(scoring[best_name])} (`{best_name}`) "
            f"| {others or '-'} | {result['peak_rss_mb']:,.0f} | {result['rss_before_mb']:,.0f} "
            f"| {result['load'][0]:.1f} to {result['load'][1]:.1f} |"
        )
    settings = {result["method"]: result["settings"] for result in results}
    lines += ["", "Methods (every one: batch 128, Adam at its library's default learning rate 1e-3):", ""]
    lines += [f"- **{name}**: {METHODS[name]}; {text}" for name, text in settings.items()]

    lines += ["", "| target | torch threads | measured | target | met |", "|---|---:|---:|---:|---|"]
    by_key = {(r["method"], r["thread_setting"]): r for r in results}
    for setting in args.threads.split(","):
        ours = by_key.get(("genfin", setting))
        if ours is None:
            continue
        threads = ours["threads"]
        for other, target in TARGETS.items():
            theirs = by_key.get((other, setting))
            if theirs is None:
                continue
            ratio = ours["train_rows_per_s"] / theirs["train_rows_per_s"]
            lines.append(
                f"| training speed, genfin / {other} | {threads} | {ratio:.2f}x | >= {target:.0f}x "
                f"| {'yes' if ratio >= target else '**no**'} |"
            )
        for other in TARGETS:
            theirs = by_key.get((other, setting))
            if theirs is None:
                continue
            ratio = max(ours["scoring"].values()) / max(theirs["scoring"].values())
            lines.append(
                f"| scoring speed, genfin / {other} (best call each) | {threads} | {ratio:.2f}x | - | - |"
            )
        rate = max(ours["scoring"].values())
        lines.append(
            f"| genfin scoring rows/s | {threads} | {_rate(rate)} | >= {_rate(SCORE_TARGET)} "
            f"| {'yes' if rate >= SCORE_TARGET else '**no**'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=284_807, help="rows of synthetic data (the full file's size)"
    )
    parser.add_argument("--epochs", type=int, default=2, help="training epochs, the same for every method")
    parser.add_argument("--repeats", type=int, default=5, help="scoring repeats; the best is kept")
    parser.add_argument(
        "--runs", type=int, default=2, help="fresh processes per method and thread setting; the best is kept"
    )
    parser.add_argument(
        "--baseline-rows",
        type=int,
        default=50_000,
        help="rows PyOD and Keras use in runs with more than one torch thread (0: all --rows)",
    )
    parser.add_argument(
        "--threads",
        default="default,1",
        help="comma-separated torch thread settings: 'default' and/or numbers",
    )
    parser.add_argument("--skip-keras", action="store_true")
    parser.add_argument("--skip-pyod", action="store_true")
    parser.add_argument(
        "--score-budget",
        type=float,
        default=20.0,
        help="stop repeating a scoring call after this many seconds",
    )
    parser.add_argument("--out", type=Path, help="also write the markdown report to this file")
    # Used by the parent to run one method in a fresh interpreter.
    parser.add_argument("--child", choices=sorted(METHODS), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--n-rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args)
        return

    from genfin.data import make_transactions

    command = "python bench/speed_autoencoder.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    X, _ = make_transactions(n_samples=args.rows, fraud_rate=0.0017, random_state=0)
    methods = ["genfin", "genfin-defaults"]
    if not args.skip_pyod:
        methods.append("pyod")
    if not args.skip_keras:
        if importlib.util.find_spec("keras") is None:
            print("keras is not installed: skipping the Keras recipe (pip install keras)", file=sys.stderr)
        else:
            methods.append("keras")
    baseline_rows = min(args.baseline_rows or args.rows, args.rows)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "X.npy"
        np.save(data, X.to_numpy(dtype=np.float64))
        data.with_suffix(".json").write_text(json.dumps([str(c) for c in X.columns]))
        print(f"{args.rows:,} rows x {X.shape[1]} features; one fresh process per run:", file=sys.stderr)
        runs: dict[tuple[str, str], list[dict]] = {}
        # Round after round, so that the runs of one method are spread over time, as the load is.
        for _ in range(args.runs):
            for setting in [s.strip() for s in args.threads.split(",")]:
                for method in methods:
                    slow = not method.startswith("genfin") and setting != "1"
                    n_rows = baseline_rows if slow else args.rows
                    runs.setdefault((setting, method), []).append(
                        run_method(method, setting, n_rows, args, data)
                    )
    results = [best_of(measured) for measured in runs.values()]
    text = report(results, args, command, time.perf_counter() - started)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
