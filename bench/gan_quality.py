"""MNIST DCGAN quality at a fixed CPU budget: the book's recipe against genfin's defaults, and an ablation.

Claims checked (GAN issue): at the same budget, genfin's default tricks (``GANTricks()``) give a
lower FID than the book's recipe and collapse in none of 5 seeds; an ablation (each trick switched
in turn) shows what each trick does.

Protocol, per run:

- **Budget**: a fixed number of optimiser steps (one discriminator and one generator step at batch
  128), the same for every run, so runs compare under any machine load. ``--steps`` gives it;
  otherwise ``--minutes`` x a rate in steps per second (``--steps-per-second``, or calibrated at
  the start on genfin's default step at ``--threads`` threads). Wall and CPU seconds are printed.
- **Data**: the estimator's collapse detector works per epoch (3 warm-up epochs, then a sign must
  persist 2 epochs), so the budget is split into ``--epochs`` epochs (default 10) over a random
  subset of the 60,000 training images of ``steps_per_epoch x 128`` images (without replacement,
  drawn from the seed: every arm of a seed trains on the same images).
- **Model**: ``genfin.GAN(kind="image")`` (the book's DCGAN, latent 100, Adam 2e-4 / 0.5, batch
  128) with ``tricks`` of the arm, ``random_state=seed``, ``n_threads=--threads``. The collapse
  detector gets ``classify`` (genfin's MNIST classifier) and ``min_classes=8``.
- **Quality**: ``--n-fid`` samples (default 10,000) drawn with ``random_state=seed + 1000`` against
  the 10,000 MNIST test images, with ``genfin.evaluate.images.ImageQuality`` on genfin's MNIST
  classifier (``load_mnist_classifier``): FID (lower is better; compare at equal n only), class
  coverage (classes with at least 1% of the samples; 1.0 = all 10), normalised entropy of the mean
  predicted class distribution (1 = uniform over the classes), classifier score.
- **Collapse**, decided before the runs: (a) the estimator's detector reported any event
  (discriminator won, diversity below 0.2 of the data's, or fewer than 8 classes among 256
  fixed-noise samples, for 2 epochs in a row after the warm-up), or (b) post hoc on the final
  samples: class coverage below 0.8 (fewer than 8 classes with 1% of the samples) or normalised
  class entropy below 0.8.
- **Samples**: a grid of the first 64 final samples per run,
  ``bench/results/gan_quality_<steps>steps_<run>_seed<seed>.png``.

Arms: ``book``: the book's code, which is ``GANTricks.book()`` with ``real_label=1.0``: the book
sets real targets to 0.9 and then adds ``0.05 * U(0, 1) + 0.05`` to every target, so its real
targets lie in [0.95, 1.0] (genfin's LabelTargets with real_label 1.0 and noise 0.05 give the same
[0.95, 1.0]) and its fake targets in [0.05, 0.10] (genfin's give [0, 0.05]: not expressible, the
one remaining difference besides Keras' initialisers of the layers the book does not initialise
itself and Adam's epsilon). ``book-library``: ``GANTricks.book()`` unchanged (real targets [0.85,
0.9]). ``defaults``: ``GANTricks()``.

``--ablation``: genfin's defaults with each trick of ``ABLATION`` changed in turn (on-by-default
tricks off, off-by-default tricks on with the value given there), over ``--ablation-seeds``
seeds, against the defaults on the same seeds; ``--ablation-tricks`` picks some.

    OMP_WAIT_POLICY=PASSIVE python bench/gan_quality.py [--data /work/shared/data/mnist]
        [--minutes 30 | --steps N] [--steps-per-second R] [--epochs 10] [--seeds 5]
        [--arms book,defaults] [--ablation] [--ablation-seeds 3] [--ablation-tricks a,b]
        [--n-fid 10000] [--threads 2] [--precision float32|bfloat16] [--out FILE]

Per-run rows are appended to ``bench/results/gan_quality_runs_<steps>steps[_<precision>].csv`` as
they finish (``--runs-csv`` to change); a run already there (same steps, precision and ``--n-fid``)
is read instead of repeated, so an interrupted benchmark resumes; ``--report-from CSV`` rebuilds
the report from such a file, e.g. after adding seeds with ``--first-seed``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import shlex
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from _common import SHARED_DATA, load_average, machine_line
from genfin.data import load_mnist
from genfin.evaluate.images import ImageQuality
from genfin.evaluate.mnist_classifier import load_mnist_classifier
from genfin.models import GAN
from genfin.nn.gan import DCGANDiscriminator, DCGANGenerator
from genfin.training.gan_task import GANTask
from genfin.training.gan_tricks import GANTricks
from genfin.training.snapshots import image_grid, write_png

BATCH = 128
MIN_CLASSES = 8
POST_HOC_COVERAGE = 0.8
POST_HOC_ENTROPY = 0.8
RESULTS = Path("bench/results")
ARMS = {
    "book": dataclasses.replace(GANTricks.book(), real_label=1.0),
    "book-library": GANTricks.book(),
    "defaults": GANTricks(),
}
# name -> (what changes, overrides of GANTricks()); on-by-default tricks first.
ABLATION: dict[str, tuple[str, dict]] = {
    "soft-labels": ("soft labels off (real_label 1.0)", {"real_label": 1.0}),
    "label-noise": ("label noise off", {"label_noise": 0.0}),
    "minimax": ("minimax generator loss", {"generator_loss": "minimax"}),
    "uniform-latent": ("uniform latents", {"latent": "uniform"}),
    "batch-norm": ("batch norm off (generator)", {"batch_norm": "none"}),
    "concatenated": ("one concatenated real+fake batch", {"separate_batches": False}),
    "relu": ("ReLU instead of LeakyReLU 0.2", {"leaky_slope": 0.0}),
    "instance-noise": ("instance noise off", {"instance_noise": 0.0}),
    "d-dropout": ("discriminator dropout off", {"discriminator_dropout": 0.0}),
    "averaged-generator": ("averaged generator off", {"average_generator": 0.0}),
    "batch-norm-both": ("batch norm in D too", {"batch_norm": "both"}),
    "noise-layers": ("noise layers 0.1 in D", {"noise_layers": 0.1}),
    "g-dropout": ("generator dropout 0.3", {"generator_dropout": 0.3}),
    "g-dropout-sampling": (
        "generator dropout 0.3, kept at sampling",
        {"generator_dropout": 0.3, "dropout_at_sampling": True},
    ),
    "historical-averaging": ("historical averaging 1e-3", {"historical_averaging": 1e-3}),
    "replay": ("replay buffer 1,024, half of each fake batch", {"replay_buffer": 1024}),
    "frozen-copies": ("frozen target copies, refreshed every 10 steps", {"frozen_copies_every": 10}),
    "entropy": ("entropy bonus 0.1", {"entropy": 0.1}),
    "g-schedule": (
        "G trains while its loss > 1.0, up to 3 steps (more G steps: more compute)",
        {"generator_loss_target": 1.0, "max_generator_steps": 3},
    ),
}


def calibrate(threads: int, n_steps: int = 5) -> float:
    """Steps per second of genfin's default DCGAN step at batch 128 on this machine, now."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    generator, discriminator = DCGANGenerator(batch_norm=True), DCGANDiscriminator()
    X = torch.rand(BATCH * (n_steps + 2), 1, 28, 28) * 2 - 1
    task = GANTask(
        generator,
        discriminator,
        X=X,
        y=None,
        batch_size=BATCH,
        epochs=1,
        tricks=GANTricks(),
        random=torch.Generator().manual_seed(0),
    )
    batches = task.batches(0)
    for batch in batches[:2]:
        task.train_step(batch)
    started = time.perf_counter()
    for batch in batches[2:]:
        task.train_step(batch)
    return (len(batches) - 2) / (time.perf_counter() - started)


def run_one(
    name: str,
    tricks: GANTricks,
    seed: int,
    train_images: np.ndarray,
    args: argparse.Namespace,
    steps_per_epoch: int,
    quality: ImageQuality,
    classifier,
) -> dict:
    """Train one GAN at the budget, measure its samples, save a grid; return the run's row."""
    rng = np.random.default_rng(seed)
    subset = train_images[rng.choice(len(train_images), steps_per_epoch * BATCH, replace=False)]

    def classify(samples: torch.Tensor) -> torch.Tensor:
        pixels = ((samples[:, 0].detach().cpu() + 1) / 2).clamp(0, 1).numpy()
        return torch.as_tensor(classifier.predict(pixels))

    gan = GAN(
        kind="image",
        epochs=args.epochs,
        batch_size=BATCH,
        tricks=tricks,
        random_state=seed,
        n_threads=args.threads,
        precision=args.precision,
        collapse="warn",
    )
    load0 = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the events are read from collapse_events_
        gan.fit(subset, classify=classify, min_classes=MIN_CLASSES)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    samples = gan.sample(args.n_fid, random_state=seed + 1000)
    values = quality.compute(samples)
    safe = name.replace(" ", "_").replace("/", "-")
    grid = RESULTS / f"gan_quality_{steps_per_epoch * args.epochs}steps{_suffix(args)}_{safe}_seed{seed}.png"
    write_png(grid, image_grid(samples[:64], n_cols=8))
    last = gan.history_[-1]
    detector = [f"{e['sign']}@{e['epoch']}" for e in gan.collapse_events_]
    post_hoc = values["class_coverage"] < POST_HOC_COVERAGE or values["class_entropy"] < POST_HOC_ENTROPY
    row = {
        "run": name,
        "seed": seed,
        "steps": steps_per_epoch * args.epochs,
        "train_images": len(subset),
        "precision": args.precision,
        "n_fid": args.n_fid,
        "wall_s": wall,
        "cpu_s": cpu,
        "load_1min": (load0 + os.getloadavg()[0]) / 2,
        **values,
        "d_real": last.get("d_real"),
        "d_fake": last.get("d_fake"),
        "sample_diversity": last.get("sample_diversity"),
        "classes_covered_256": last.get("classes_covered"),
        "detector_events": ";".join(detector),
        "collapse_detector": bool(detector),
        "collapse_post_hoc": bool(post_hoc),
        "collapsed": bool(detector) or bool(post_hoc),
    }
    print(
        f"{name} seed {seed}: FID {values['fid']:.2f}, coverage {values['class_coverage']:.2f}, "
        f"entropy {values['class_entropy']:.3f}, detector {detector or 'none'}, post hoc {post_hoc}; "
        f"{wall:.0f} s wall, {cpu:.0f} s CPU, load {row['load_1min']:.1f}",
        flush=True,
    )
    return row


def _suffix(args: argparse.Namespace) -> str:
    """File-name suffix of the precision: none for float32 (as before the switch existed)."""
    return "" if args.precision == "float32" else f"_{args.precision}"


def mean_std(values: pd.Series, digits: int = 2) -> str:
    """Mean ± std (or the single value)."""
    values = values.dropna()
    if values.empty:
        return "-"
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def arm_table(results: pd.DataFrame, names: list[str]) -> list[str]:
    """Markdown rows: quality and collapse counts per arm."""
    lines = [
        "| run | seeds | FID (lower better) | class coverage | class entropy | classifier score "
        "| collapsed: detector | collapsed: post hoc | collapsed: either | train wall s / CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        g = results[results["run"] == name]
        if g.empty:
            continue
        n = len(g)
        lines.append(
            f"| {name} | {n} | {mean_std(g['fid'])} | {mean_std(g['class_coverage'])} "
            f"| {mean_std(g['class_entropy'], 3)} | {mean_std(g['classifier_score'])} "
            f"| {int(g['collapse_detector'].sum())} / {n} | {int(g['collapse_post_hoc'].sum())} / {n} "
            f"| {int(g['collapsed'].sum())} / {n} | {g['wall_s'].mean():.0f} / {g['cpu_s'].mean():.0f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the arms (and the ablation), print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_DATA / "mnist"), help="folder with the MNIST IDX files")
    parser.add_argument("--minutes", type=float, default=30.0, help="budget per run, turned into steps")
    parser.add_argument("--steps", type=int, help="budget per run in optimiser steps (overrides --minutes)")
    parser.add_argument("--steps-per-second", type=float, help="rate for --minutes; default: calibrate")
    parser.add_argument("--epochs", type=int, default=10, help="epochs the budget is split into")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--arms", default="book,defaults", help=f"comma list of {sorted(ARMS)}")
    parser.add_argument("--no-arms", action="store_true", help="run only the ablation")
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--ablation-seeds", type=int, default=3)
    parser.add_argument("--ablation-tricks", help=f"comma list of {list(ABLATION)}; default all")
    parser.add_argument("--n-fid", type=int, default=10_000, help="generated images per FID")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--precision",
        default="float32",
        choices=["float32", "bfloat16"],
        help="training arithmetic of every run (GAN(precision=...)); bfloat16: ~1.6x faster with AVX512-BF16",
    )
    parser.add_argument("--first-seed", type=int, default=0, help="the arms run seeds first .. first+seeds-1")
    parser.add_argument("--report-from", help="only rebuild the report from this per-run CSV")
    parser.add_argument("--runs-csv", help="per-run rows CSV (default: in bench/results)")
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.report_from:
        return report_from_csv(args, argv)
    arms = [] if args.no_arms else [a.strip() for a in args.arms.split(",") if a.strip()]
    if unknown := [a for a in arms if a not in ARMS]:
        parser.error(f"unknown arm(s) {unknown}; choose from {sorted(ARMS)}")
    tricks_wanted = list(ABLATION) if not args.ablation_tricks else args.ablation_tricks.split(",")
    if unknown := [t for t in tricks_wanted if t not in ABLATION]:
        parser.error(f"unknown ablation trick(s) {unknown}; choose from {list(ABLATION)}")

    started = datetime.now()
    load_before = load_average()
    train, test = load_mnist(args.data)
    classifier = load_mnist_classifier(mnist_folder=args.data)
    quality = ImageQuality(classifier).fit(test.images)
    if args.steps is not None:
        steps, budget = args.steps, f"{args.steps} optimiser steps per run (given)"
    else:
        rate = args.steps_per_second
        how = "given"
        if rate is None:
            rate, how = calibrate(args.threads), "calibrated now"
        steps = max(1, round(args.minutes * 60 * rate))
        budget = (
            f"{steps} optimiser steps per run = {args.minutes:g} min x {rate:.3f} steps/s ({how}, "
            f"genfin's default step, batch {BATCH}, {args.threads} threads)"
        )
    steps_per_epoch = max(1, math.ceil(steps / args.epochs))
    steps = steps_per_epoch * args.epochs
    print(f"budget: {budget}; {steps} steps = {args.epochs} epochs x {steps_per_epoch}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs_csv = Path(args.runs_csv or RESULTS / f"gan_quality_runs_{steps}steps{_suffix(args)}.csv")

    rows: list[dict] = []
    # Runs already in the per-run file (same steps, precision and FID sample size) are read, not
    # repeated: an interrupted benchmark resumes, and an ablation can reuse the arms' defaults.
    done: dict[tuple[str, int], dict] = {}
    if runs_csv.exists():
        for row in pd.read_csv(runs_csv).to_dict("records"):
            same = row.get("steps") == steps and row.get("precision", "float32") == args.precision
            if same and row.get("n_fid", args.n_fid) == args.n_fid:
                done[(row["run"], int(row["seed"]))] = row

    def record(row: dict) -> None:
        rows.append(row)
        frame = pd.DataFrame([row])
        if runs_csv.exists():  # an older file may lack a newer column: keep its layout
            frame = frame.reindex(columns=pd.read_csv(runs_csv, nrows=0).columns)
        frame.to_csv(runs_csv, mode="a", header=not runs_csv.exists(), index=False)

    def go(name: str, tricks: GANTricks, seed: int) -> None:
        if (name, seed) in done:
            print(f"{name} seed {seed}: read from {runs_csv}", flush=True)
            rows.append(done[(name, seed)])
            return
        record(run_one(name, tricks, seed, train.images, args, steps_per_epoch, quality, classifier))

    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for arm in arms:
            go(arm, ARMS[arm], seed)
    ablation_names: list[str] = []
    if args.ablation:
        for seed in range(args.ablation_seeds):
            if not any(r["run"] == "defaults" and r["seed"] == seed for r in rows):
                go("defaults", ARMS["defaults"], seed)
            for key in tricks_wanted:
                label, overrides = ABLATION[key]
                name = f"defaults, {label}"
                if name not in ablation_names:
                    ablation_names.append(name)
                tricks = dataclasses.replace(GANTricks(), **overrides)
                go(name, tricks, seed)
    results = pd.DataFrame(rows)
    load_after = load_average()
    header = [
        f"- date: {started:%Y-%m-%d %H:%M} (local); load average (1/5/15 min) {load_before} before, "
        f"{load_after} after",
        f"- budget: {budget}; split into {args.epochs} epochs of {steps_per_epoch} steps over a random "
        f"subset of {steps_per_epoch * BATCH:,} training images per seed",
    ]
    return finish(results, args, argv, header, arms, ablation_names, len(test.images))


def report_from_csv(args: argparse.Namespace, argv: list[str] | None) -> int:
    """Rebuild the report from the per-run rows of earlier invocations (``--report-from``)."""
    results = pd.read_csv(args.report_from)
    if "precision" in results:  # the runs' own precision, whatever --precision says now
        args.precision = "/".join(sorted(set(results["precision"])))
    arms = [arm for arm in ARMS if arm in set(results["run"])]
    ablation_names = list(dict.fromkeys(r for r in results["run"] if r.startswith("defaults, ")))
    steps = sorted(results["steps"].unique())
    images = sorted(results["train_images"].unique())
    header = [
        f"- report built {datetime.now():%Y-%m-%d %H:%M} (local) from {args.report_from} "
        f"({len(results)} runs); the 1-min load average during the runs was "
        f"{results['load_1min'].min():.1f} to {results['load_1min'].max():.1f}",
        f"- budget: {', '.join(map(str, steps))} optimiser steps per run, split into {args.epochs} epochs "
        f"over a random subset of {', '.join(f'{int(i):,}' for i in images)} training images per seed",
    ]
    return finish(results, args, argv, header, arms, ablation_names, 10_000)


def finish(
    results: pd.DataFrame,
    args: argparse.Namespace,
    argv: list[str] | None,
    header: list[str],
    arms: list[str],
    ablation_names: list[str],
    n_test: int,
) -> int:
    """Print (and write) the report of ``results``."""
    command = "OMP_WAIT_POLICY=PASSIVE python " + " ".join(
        shlex.quote(a) for a in ["bench/gan_quality.py", *(argv if argv is not None else sys.argv[1:])]
    )
    lines = [
        "### MNIST DCGAN at a fixed budget: the book's recipe against genfin's defaults",
        "",
        f"- command: `{command}`",
        f"- {machine_line()}; torch {torch.__version__}, {args.threads} threads, {args.precision} training; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}",
        *header,
        f"- quality: {args.n_fid:,} samples per run against the {n_test:,} MNIST test images, "
        "features and classes from genfin's MNIST classifier; collapse: detector event, or class coverage "
        f"< {POST_HOC_COVERAGE} or class entropy < {POST_HOC_ENTROPY} on the final samples",
        "",
    ]
    if arms:
        lines += arm_table(results, arms)
        lines += [
            "",
            "| run | seed | FID | class coverage | class entropy | detector events | final d_real / d_fake "
            "| wall s | CPU s | 1-min load |",
            "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
        ]
        for _, r in results[results["run"].isin(arms)].sort_values(["run", "seed"]).iterrows():
            events = r["detector_events"]
            events = events if isinstance(events, str) and events else "-"
            lines.append(
                f"| {r['run']} | {r['seed']} | {r['fid']:.1f} | {r['class_coverage']:.2f} "
                f"| {r['class_entropy']:.3f} | {events} | {r['d_real']:.2f} / {r['d_fake']:.2f} "
                f"| {r['wall_s']:.0f} | {r['cpu_s']:.0f} | {r['load_1min']:.1f} |"
            )
        if "book" in arms and "defaults" in arms:
            paired = results.pivot_table(index="seed", columns="run", values="fid")
            paired = paired[["book", "defaults"]].dropna()
            wins = int((paired["defaults"] < paired["book"]).sum())
            book_fid, default_fid = paired["book"].mean(), paired["defaults"].mean()
            defaults_rows = results[results["run"] == "defaults"]
            n_collapsed = int(defaults_rows["collapsed"].sum())
            lines += [
                "",
                "Verdict at this budget: genfin's defaults beat the book's FID on "
                f"{wins} of {len(paired)} seeds "
                f"(mean {default_fid:.2f} against {book_fid:.2f}): "
                f"**{'MET' if default_fid < book_fid and wins == len(paired) else 'NOT MET'}**; "
                f"defaults collapsed in {n_collapsed} of {len(defaults_rows)} seeds: "
                f"**{'MET' if n_collapsed == 0 else 'NOT MET'}**"
                + ("" if len(defaults_rows) >= 5 else f" (only {len(defaults_rows)} seeds; the target is 5)"),
            ]
    if ablation_names:
        ablation_seeds = sorted(set(results.loc[results["run"].isin(ablation_names), "seed"]))
        base = results[(results["run"] == "defaults") & (results["seed"].isin(ablation_seeds))]
        base_fid = base.set_index("seed")["fid"]
        lines += [
            "",
            "Ablation: genfin's defaults with one trick changed, seed(s) "
            f"{', '.join(map(str, ablation_seeds))} "
            f"(defaults on the same seeds: FID {mean_std(base['fid'])})",
            "",
            "| change to the defaults | FID | FID minus defaults' (same seeds) | class coverage "
            "| class entropy | collapsed (either rule) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name in ablation_names:
            g = results[results["run"] == name].set_index("seed")
            delta = (g["fid"] - base_fid.reindex(g.index)).dropna()
            lines.append(
                f"| {name.removeprefix('defaults, ')} | {mean_std(g['fid'])} | {mean_std(delta)} "
                f"| {mean_std(g['class_coverage'])} | {mean_std(g['class_entropy'], 3)} "
                f"| {int(g['collapsed'].sum())} / {len(g)} |"
            )
    report = "\n".join(lines)
    print()
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
