"""Samples of a fixed-noise batch written after every epoch: PNG grids of images, CSV files of rows.

Looking at the outputs is the book's way to "track failures early". The PNG writer here is a few
lines of ``zlib`` rather than matplotlib: the training layer sits below ``genfin.plots``, and a grid
written every epoch should cost milliseconds, not a figure's rendering time.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from genfin.training.gan_monitor import FixedNoise
from genfin.training.loop import Callback, Trainer

__all__ = ["SampleSnapshots", "image_grid", "write_png"]


def image_grid(images: np.ndarray, n_cols: int | None = None, gap: int = 1) -> np.ndarray:
    """Tile ``(n, height, width)`` grey images in [0, 1] into one image, ``gap`` white pixels apart."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"expected images of shape (n, height, width), got {images.shape}")
    n, height, width = images.shape
    n_cols = int(n_cols or np.ceil(np.sqrt(n)))
    n_rows = -(-n // n_cols)
    grid = np.ones((n_rows * (height + gap) - gap, n_cols * (width + gap) - gap))
    for i, image in enumerate(images):
        row, col = divmod(i, n_cols)
        top, left = row * (height + gap), col * (width + gap)
        grid[top : top + height, left : left + width] = image
    return grid


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write a 2-D array of grey values in [0, 1] as an 8-bit grey-scale PNG file."""
    pixels = np.round(np.clip(np.asarray(image, dtype=np.float64), 0, 1) * 255).astype(np.uint8)
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {pixels.shape}")
    height, width = pixels.shape

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    # Each scanline starts with filter type 0 (none).
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey, no interlace
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
    return path


class SampleSnapshots(Callback):
    """After every ``every`` epochs, draw the fixed-noise samples and hand them to ``write``.

    Parameters
    ----------
    noise
        The latent vectors; the same every epoch, so the snapshots show one sample changing.
    write
        ``write(samples, epoch)`` with the generator's raw output as a numpy array and the 1-based
        epoch; it saves them however suits the data (see ``genfin.models.gan`` for PNG grids and
        CSV files).
    every
        Epochs between snapshots.
    """

    def __init__(self, noise: FixedNoise, write: Callable[[np.ndarray, int], None], every: int = 1) -> None:
        self.noise = noise
        self.write = write
        self.every = int(every)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:  # noqa: D102
        if int(logs["epoch"]) % self.every == 0:
            self.write(self.noise.draw(trainer.task.sampler).numpy(), int(logs["epoch"]))
