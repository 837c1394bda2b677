"""Device, thread and random-number helpers. Nothing here touches global random state."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn ``"auto"`` into CUDA when it is present, else CPU; pass other names through.

    Raises
    ------
    ValueError
        When CUDA is asked for and there is none.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but this machine has no CUDA device; use 'auto'")
    return resolved


@contextlib.contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run a block with ``n_threads`` intra-op threads, restoring the previous count afterwards.

    Tiny MLPs train fastest on one thread on this project's reference machine: the cost of
    synchronising threads exceeds the work of a 29x12 matrix product. ``None`` leaves torch alone.
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


PRECISIONS = ("float32", "bfloat16")


def autocast(precision: str, device: torch.device | str = "cpu") -> contextlib.AbstractContextManager:
    """A context that runs a block in ``precision``: float32 as written, or bfloat16 mixed precision.

    bfloat16 uses torch's autocast: weights, optimiser state and losses stay float32, matrix
    products and convolutions run in bfloat16. On a CPU with native bfloat16 instructions
    (AVX512-BF16 or AMX) the book's DCGAN trains about 1.6 times as fast (bench/gan_speed.py); on
    a CPU without them bfloat16 is emulated and slower than float32.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


def make_generators(
    random_state: int | np.random.Generator | None,
) -> tuple[np.random.Generator, torch.Generator]:
    """Local numpy and torch generators from a ``random_state``; global seeds are never touched.

    The torch seed is drawn from the numpy generator, so one integer fixes both streams.
    """
    rng = (
        random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    )
    torch_gen = torch.Generator()
    torch_gen.manual_seed(int(rng.integers(0, 2**63 - 1)))
    return rng, torch_gen


def fork_rng_seed(rng: np.random.Generator) -> int:
    """A fresh integer seed drawn from ``rng``, for components that take a seed rather than a generator."""
    return int(rng.integers(0, 2**31 - 1))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's global generator seeded, then put the caller's state back.

    Weight initialisers and dropout draw from torch's global generator. Forking it keeps model
    building and training reproducible from ``random_state`` without changing the random stream
    the rest of the user's program sees.
    """
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
