from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest

from genfin.plots import new_figure
from genfin.report import Report


def _small_figure():
    fig = new_figure(1.5, 1.0)
    fig.add_subplot().plot([0, 1], [1, 0])
    return fig


def test_html_has_titles_tables_and_one_image_per_figure(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = Report("Fraud detection", subtitle="Credit card test set")
    metrics = report.add_section("Metrics", "Held-out scores.")
    metrics.table({"auprc": 0.81234567, "n_fraud": 4921}, caption="Test set")
    figures = report.add_section("Figures")
    figures.figure(_small_figure(), caption="Precision-recall", dpi=30)
    figures.figure(_small_figure(), dpi=30)

    text = report.to_html()
    assert text.startswith("<!DOCTYPE html>")
    for expected in ("Fraud detection", "Credit card test set", "<h2>Metrics</h2>", "<h2>Figures</h2>"):
        assert expected in text
    assert "0.8123" in text and "4,921" in text
    assert "<caption>Test set</caption>" in text
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 2
    assert base64.b64decode(images[0]).startswith(b"\x89PNG")
    assert "<figcaption>Precision-recall</figcaption>" in text
    assert "<script" not in text.lower()
    assert list(tmp_path.iterdir()) == []  # nothing written before write()


def test_user_text_is_escaped_everywhere():
    evil = "<script>alert('x')</script>"
    report = Report(evil, subtitle=evil)
    section = report.add_section(evil, evil)
    section.text(evil).code(evil)
    section.table({evil: evil}, caption=evil)
    section.table([{evil: 1}])
    section.figure(_small_figure(), caption=evil, dpi=20)
    report.add_section("second")
    text = report.to_html()
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text


def test_write_creates_folders_and_utf8(tmp_path):
    report = Report("Résumé — fraud €")
    report.add_section("Größe").text("naïve")
    path = report.write(tmp_path / "deep" / "er" / "report.html")
    assert path == tmp_path / "deep" / "er" / "report.html"
    content = path.read_text(encoding="utf-8")
    assert "Résumé — fraud €" in content and '<meta charset="utf-8">' in content


def test_footer_names_version_date_and_machine():
    text = Report("r").to_html()
    footer = re.search(r"<footer>(.*)</footer>", text).group(1)
    assert footer.startswith("genfin ")
    assert re.search(r"\d{4}-\d{2}-\d{2}", footer)
    assert "CPUs" in footer and "Python" in footer


def test_table_from_dataframe_list_of_dicts_and_series():
    report = Report("t")
    section = report.add_section("Tables")
    frame = pd.DataFrame({"model": ["ae", "iforest"], "auprc": [0.7, np.nan]})
    section.table(frame, float_format="{:.2f}")
    section.table(frame.set_index("model"))
    section.table([{"a": 1, "b": 2.5}, {"a": 3, "c": "x"}])
    section.table(pd.Series({"auprc": 0.5}, name="score"))
    text = report.to_html()
    assert "<td>ae</td>" in text and '<td class="num">0.70</td>' in text
    assert '<td class="num">NaN</td>' in text
    assert text.count('<th scope="col">model</th>') == 2  # a named index becomes a column
    assert "<th" in text and ">c</th>" in text and "<td></td>" in text  # missing cell left blank
    assert ">score</th>" in text


def test_float_format_callable_and_bad_format():
    section = Report("t").add_section("s")
    section.table({"x": 0.123456}, float_format=lambda v: f"{v:.1%}")
    assert "12.3%" in section.to_html()
    with pytest.raises(ValueError, match="float_format"):
        section.table({"x": 1.5}, float_format="{0} {1}")


def test_bad_table_and_figure_inputs():
    section = Report("t").add_section("s")
    with pytest.raises(TypeError, match="table data"):
        section.table(42)
    with pytest.raises(TypeError, match="list of dicts"):
        section.table([1, 2])
    with pytest.raises(TypeError, match="Figure or PNG bytes"):
        section.figure("plot.png")
    with pytest.raises(ValueError, match="not a PNG"):
        section.figure(b"GIF89a")


def test_figure_accepts_png_bytes():
    png = b"\x89PNG\r\n\x1a\n" + b"rest"
    section = Report("t").add_section("s").figure(png)
    assert base64.b64encode(png).decode() in section.to_html()


def test_contents_links_to_each_section():
    report = Report("t")
    report.add_section("One")
    report.add_section("One")
    text = report.to_html()
    anchors = re.findall(r'<section id="([^"]+)"', text)
    assert len(anchors) == len(set(anchors)) == 2
    for anchor in anchors:
        assert f'href="#{anchor}"' in text
