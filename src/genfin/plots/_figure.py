"""Helpers every genfin figure shares: a fresh figure, one axes style, and saving.

Figures are built with matplotlib's object API on an Agg canvas, never through ``pyplot``: nothing
touches global state, no window opens, and a figure is freed as soon as the caller drops it.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError

__all__ = [
    "FRAUD_COLOUR",
    "GENUINE_COLOUR",
    "NEUTRAL_COLOUR",
    "figure_to_png_bytes",
    "new_figure",
    "save_figure",
    "style_axes",
]

# The book draws frauds red and genuine transactions blue; every figure keeps to that.
FRAUD_COLOUR = "#d62728"
GENUINE_COLOUR = "#1f77b4"
NEUTRAL_COLOUR = "#555555"

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
# Without these, saving the same figure twice gives different bytes, which defeats diffing outputs.
_STABLE_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}


def new_figure(width: float = 6.4, height: float = 4.2) -> Figure:
    """Create a blank figure of the given size in inches, on its own Agg canvas.

    Add axes with ``fig.add_subplot()`` or ``fig.subplots(...)``. The layout engine is
    ``"constrained"``, so labels and legends are not clipped without a ``tight_layout`` call.

    Parameters
    ----------
    width, height
        Size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not (width > 0 and height > 0):
        raise ValueError(f"figure size must be positive, got {width} x {height} inches")
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax: Axes, *, grid: str | None = "y") -> Axes:
    """Apply genfin's plain look to one axes: no top or right spine, a faint grid behind the data.

    Parameters
    ----------
    ax
        The axes to restyle in place.
    grid
        ``"x"``, ``"y"``, ``"both"``, or ``None`` for no grid.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, for chaining.
    """
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#888888")
    ax.tick_params(colors="#333333", labelsize=9)
    ax.set_axisbelow(True)
    if grid is not None:
        ax.grid(True, axis=grid, color="#e5e5e5", linewidth=0.8)
    return ax


def save_figure(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Write a figure to a file whose suffix picks the format: ``.png``, ``.svg`` or ``.pdf``.

    Parent folders are created. SVG and PDF files carry no creation date, so the same figure saved
    twice gives the same bytes.

    Parameters
    ----------
    fig
        The figure to save.
    path
        Destination file.
    dpi
        Resolution of raster output (PNG, and raster parts of PDF/SVG).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataValidationError(
            f"cannot tell the image format from suffix {path.suffix!r}; use one of {', '.join(_FORMATS)}",
            source=str(path),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # SVG element ids are random unless salted; the salt is only an rcParam, so it is set for the
    # duration of this one save and restored straight after.
    with rc_context({"svg.hashsalt": "genfin"} if fmt == "svg" else {}):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=_STABLE_METADATA.get(fmt))
    return path


def figure_to_png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes in memory, for embedding in HTML or sending over a network.

    Parameters
    ----------
    fig
        The figure to render.
    dpi
        Resolution; the default keeps an embedded report figure sharp but small.

    Returns
    -------
    bytes
        A complete PNG file.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
