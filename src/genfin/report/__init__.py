"""HTML reports assembled from metric tables, figures and text, written as one self-contained file."""

from __future__ import annotations

from genfin.report.html import Report, Section

__all__ = ["Report", "Section"]
