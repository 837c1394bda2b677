"""Matplotlib figures: data in, :class:`~matplotlib.figure.Figure` out, no file written unless asked.

Nothing here uses ``pyplot``, so building a figure changes no global state and opens no window.
"""

from __future__ import annotations

from genfin.plots._figure import figure_to_png_bytes, new_figure, save_figure
from genfin.plots.detection import precision_recall_figure, reconstruction_figure, score_histogram_figure
from genfin.plots.gan import gan_losses_figure
from genfin.plots.latent import image_grid_figure, latent_scatter_figure
from genfin.plots.semi import members_figure, progress_figure
from genfin.plots.synthetic import correlation_heatmap_figure, marginal_overlay_figure
from genfin.plots.training import training_curve_figure

__all__ = [
    "correlation_heatmap_figure",
    "figure_to_png_bytes",
    "gan_losses_figure",
    "image_grid_figure",
    "latent_scatter_figure",
    "marginal_overlay_figure",
    "members_figure",
    "new_figure",
    "precision_recall_figure",
    "progress_figure",
    "reconstruction_figure",
    "save_figure",
    "score_histogram_figure",
    "training_curve_figure",
]
