"""Self-contained HTML reports: sections of text, metric tables, figures and code in one file.

Figures are embedded as base64 PNG, the style sheet is inline and there is no JavaScript, so a report
can be mailed, archived or opened offline as the single file it is. Every piece of user text is
HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import platform
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from importlib import metadata
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

__all__ = ["Report", "Section"]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --rule: #d8dee4; --stripe: #f6f8fa; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 2.5rem 1.5rem 1rem; }
header h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .3rem; }
header .subtitle { color: var(--muted); font-size: 1.1rem; margin: 0 0 1.5rem; }
nav { border-top: 1px solid var(--rule); border-bottom: 1px solid var(--rule); padding: .6rem 0;
  margin-bottom: 1.5rem; font-size: .95rem; }
nav ol { margin: 0; padding-left: 1.4rem; columns: 2; }
a { color: var(--accent); }
section { margin: 2.2rem 0; }
section h2 { font-size: 1.4rem; border-bottom: 1px solid var(--rule); padding-bottom: .25rem; }
p { margin: .6rem 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .92rem;
  font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: .35rem; }
th, td { padding: .35rem .8rem; border-bottom: 1px solid var(--rule); text-align: left;
  vertical-align: top; }
th { border-bottom: 2px solid var(--ink); font-weight: 600; }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) { background: var(--stripe); }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .92rem; margin-top: .4rem; }
pre { background: var(--stripe); border: 1px solid var(--rule); border-radius: 6px; padding: .8rem 1rem;
  overflow-x: auto; font-size: .88rem; line-height: 1.45; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
footer { color: var(--muted); font-size: .85rem; border-top: 1px solid var(--rule); margin-top: 3rem;
  padding: 1rem 0 2rem; }
""".strip()


class _Savable(Protocol):
    def savefig(self, fname: Any, **kwargs: Any) -> Any: ...


FloatFormat = str | Callable[[float], str]


def _genfin_version() -> str:
    try:
        return metadata.version("genfin")
    except metadata.PackageNotFoundError:
        return "dev"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "section"


def _format_cell(value: Any, float_format: Callable[[float], str]) -> tuple[str, bool]:
    """Cell text, escaped, and whether it is a number (numbers are right-aligned)."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return html.escape(str(value)), False
    if isinstance(value, Integral):
        return f"{int(value):,}", True
    if isinstance(value, Real):
        number = float(value)
        if math.isnan(number):
            return "NaN", True
        return html.escape(float_format(number)), True
    return html.escape(str(value)), False


def _float_formatter(float_format: FloatFormat) -> Callable[[float], str]:
    if callable(float_format):
        return float_format
    if isinstance(float_format, str):
        try:
            float_format.format(0.5)
        except (IndexError, KeyError, ValueError) as error:
            raise ValueError(
                f"float_format must be a format string such as '{{:.4g}}' or a function, got {float_format!r}"
            ) from error
        return float_format.format
    raise TypeError(f"float_format must be a format string or a function, got {type(float_format).__name__}")


def _table_rows(data: Any) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of any supported table input."""
    if isinstance(data, pd.DataFrame):
        frame = data
        # A default 0..n-1 index carries no information; any other index is part of the table.
        if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
            frame = frame.reset_index()
        header = [str(column) for column in frame.columns]
        return header, [list(row) for row in frame.itertuples(index=False, name=None)]
    if isinstance(data, pd.Series):
        return [str(data.index.name or "Name"), str(data.name or "Value")], [[k, v] for k, v in data.items()]
    if isinstance(data, Mapping):
        return ["Name", "Value"], [[key, value] for key, value in data.items()]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        if not all(isinstance(row, Mapping) for row in data):
            raise TypeError("a table given as a list must be a list of dicts (one per row)")
        header: list[str] = []
        for row in data:
            header.extend(str(key) for key in row if str(key) not in header)
        keyed = [{str(key): value for key, value in row.items()} for row in data]
        return header, [[row.get(column) for column in header] for row in keyed]
    raise TypeError(
        f"table data must be a pandas DataFrame or Series, a mapping of name to value, or a list of dicts; "
        f"got {type(data).__name__}"
    )


class Section:
    """One titled part of a :class:`Report`; its blocks appear in the order they are added.

    Create sections with :meth:`Report.add_section` rather than directly. Every method returns the
    section, so calls can be chained.

    Parameters
    ----------
    title
        Heading of the section.
    anchor
        The HTML id the report's table of contents links to.
    """

    def __init__(self, title: str, *, anchor: str) -> None:
        self.title = str(title)
        self.anchor = anchor
        self._blocks: list[str] = []

    def text(self, paragraph: str) -> Section:
        """Add a paragraph of plain text; blank lines split it into several paragraphs.

        Parameters
        ----------
        paragraph
            Plain text; it is escaped, so markup shows literally.

        Returns
        -------
        Section
            This section.
        """
        for part in re.split(r"\n\s*\n", str(paragraph).strip()):
            if part:
                self._blocks.append(f"<p>{html.escape(part)}</p>")
        return self

    def table(
        self, data: Any, *, caption: str | None = None, float_format: FloatFormat = "{:.4g}"
    ) -> Section:
        """Add a table.

        Parameters
        ----------
        data
            A pandas DataFrame (its index is shown unless it is the default ``0..n-1``), a pandas
            Series, a mapping of name to value (two columns, "Name" and "Value": a metric table),
            or a list of dicts, one per row (columns in order of first appearance, missing cells
            blank).
        caption
            Shown above the table.
        float_format
            A format string such as ``"{:.4f}"`` or a function from float to text, for non-integer
            numbers; integers are shown in full with thousands separators, NaN as "NaN".

        Returns
        -------
        Section
            This section.
        """
        formatter = _float_formatter(float_format)
        header, rows = _table_rows(data)
        cells = [[_format_cell(value, formatter) for value in row] for row in rows]
        numeric = [
            bool(cells) and all(row[i][1] or row[i][0] == "" for row in cells) for i in range(len(header))
        ]
        parts = ["<table>"]
        if caption is not None:
            parts.append(f"<caption>{html.escape(str(caption))}</caption>")
        num_class = ' class="num"'
        head = "".join(
            f'<th{num_class if numeric[i] else ""} scope="col">{html.escape(name)}</th>'
            for i, name in enumerate(header)
        )
        parts.append(f"<thead><tr>{head}</tr></thead>")
        parts.append("<tbody>")
        for row in cells:
            tds = "".join(f"<td{num_class if is_num else ''}>{text}</td>" for text, is_num in row)
            parts.append(f"<tr>{tds}</tr>")
        parts.append("</tbody></table>")
        self._blocks.append("\n".join(parts))
        return self

    def figure(
        self, fig: _Savable | bytes, *, caption: str | None = None, alt: str | None = None, dpi: int = 110
    ) -> Section:
        """Add a figure, embedded as a base64 PNG so the report stays one file.

        The figure is rendered now: later changes to it do not reach the report, and the caller may
        discard it straight away.

        Parameters
        ----------
        fig
            A matplotlib Figure (anything with ``savefig``), or the bytes of a PNG file.
        caption
            Shown under the figure.
        alt
            Text for readers who cannot see the image; defaults to the caption.
        dpi
            Resolution of the embedded PNG.

        Returns
        -------
        Section
            This section.
        """
        if isinstance(fig, bytes | bytearray):
            png = bytes(fig)
            if not png.startswith(_PNG_MAGIC):
                raise ValueError("figure bytes are not a PNG file (wrong signature)")
        elif hasattr(fig, "savefig"):
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=dpi)
            png = buffer.getvalue()
        else:
            raise TypeError(f"figure must be a matplotlib Figure or PNG bytes, got {type(fig).__name__}")
        encoded = base64.b64encode(png).decode("ascii")
        alt_text = html.escape(str(alt if alt is not None else caption or self.title), quote=True)
        block = f'<figure><img src="data:image/png;base64,{encoded}" alt="{alt_text}">'
        if caption is not None:
            block += f"<figcaption>{html.escape(str(caption))}</figcaption>"
        self._blocks.append(block + "</figure>")
        return self

    def code(self, text: str) -> Section:
        """Add a block of preformatted text, such as the command that produced the results.

        Parameters
        ----------
        text
            Shown verbatim in a monospace font, escaped.

        Returns
        -------
        Section
            This section.
        """
        self._blocks.append(f"<pre><code>{html.escape(str(text))}</code></pre>")
        return self

    def to_html(self) -> str:
        """Render the section as an HTML ``<section>`` element.

        Returns
        -------
        str
            The section's HTML.
        """
        body = "\n".join(self._blocks)
        return f'<section id="{self.anchor}">\n<h2>{html.escape(self.title)}</h2>\n{body}\n</section>'


class Report:
    """An HTML report built in memory and written as one self-contained file.

    Parameters
    ----------
    title
        The report's heading and the page title.
    subtitle
        A line under the title, such as the dataset and model.

    Examples
    --------
    >>> report = Report("Fraud detection", subtitle="Credit card transactions")
    >>> metrics = report.add_section("Metrics", "Scores on the held-out test set.")
    >>> _ = metrics.table({"auprc": 0.81, "roc_auc": 0.95}, caption="Test set")
    >>> "auprc" in report.to_html()
    True
    >>> report.write("out/report.html")  # doctest: +SKIP
    """

    def __init__(self, title: str, *, subtitle: str | None = None) -> None:
        self.title = str(title)
        self.subtitle = None if subtitle is None else str(subtitle)
        self.sections: list[Section] = []

    def add_section(self, title: str, text: str | None = None) -> Section:
        """Append a section and return it, to fill with text, tables, figures and code.

        Parameters
        ----------
        title
            Heading of the section.
        text
            An optional first paragraph.

        Returns
        -------
        Section
            The new section.
        """
        section = Section(title, anchor=f"s{len(self.sections) + 1}-{_slug(str(title))}")
        if text is not None:
            section.text(text)
        self.sections.append(section)
        return section

    def _footer(self) -> str:
        machine = (
            f"{platform.platform()}, {platform.machine() or 'unknown CPU'}, {os.cpu_count() or '?'} CPUs"
        )
        parts = [
            f"genfin {_genfin_version()}",
            f"generated {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}".rstrip(),
            f"Python {platform.python_version()}",
            machine,
        ]
        return f"<footer>{' · '.join(html.escape(part) for part in parts)}</footer>"

    def to_html(self) -> str:
        """Render the whole report.

        Returns
        -------
        str
            A complete HTML document.
        """
        title = html.escape(self.title)
        header = [f"<h1>{title}</h1>"]
        if self.subtitle is not None:
            header.append(f'<p class="subtitle">{html.escape(self.subtitle)}</p>')
        nav = ""
        # A contents list only earns its space once there is more than one place to jump to.
        if len(self.sections) > 1:
            items = "".join(
                f'<li><a href="#{section.anchor}">{html.escape(section.title)}</a></li>'
                for section in self.sections
            )
            nav = f'<nav aria-label="Contents"><ol>{items}</ol></nav>\n'
        sections = "\n".join(section.to_html() for section in self.sections)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="genfin {html.escape(_genfin_version())}">\n'
            f"<title>{title}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n<main>\n"
            f"<header>{''.join(header)}</header>\n{nav}{sections}\n{self._footer()}\n"
            "</main>\n</body>\n</html>\n"
        )

    def write(self, path: str | Path) -> Path:
        """Write the report as UTF-8 HTML, creating parent folders.

        Parameters
        ----------
        path
            Destination file, usually ending in ``.html``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path
