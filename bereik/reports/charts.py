"""The one charting path of the report and the what-if page: matplotlib, as inline SVG that a strict
Content-Security-Policy shows as drawn.

matplotlib styles its shapes with style attributes and a <style> element, which a page under
`style-src 'self'` may not use (the console's); the same properties written as SVG presentation
attributes (fill="#1f4e79") are no styles, so each SVG is rewritten that way. Text is drawn as
paths (matplotlib's default), so no font needs to be found on the reader's machine.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from xml.etree import ElementTree

SVG = "http://www.w3.org/2000/svg"
ElementTree.register_namespace("", SVG)
ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
BAR, LINE = "#1f4e79", "#b34700"  # contrast on white above 4.5:1


def bars_and_share(keys: Sequence[str], counts: Sequence[int], shares: Sequence[float], title: str,
                   count_label: str, share_label: str) -> str:
    """Bars of a count per key and a line of a share (0 to 1) on a second axis."""
    plt, PercentFormatter = _matplotlib()
    figure, bars = plt.subplots(figsize=(8, 3.2))
    try:
        bars.bar(list(keys), list(counts), color=BAR)
        bars.set_ylabel(count_label)
        bars.tick_params(axis="x", labelrotation=45 if len(keys) > 8 else 0)
        line = bars.twinx()
        line.plot(list(keys), list(shares), color=LINE, marker="o", linewidth=2)
        line.set_ylim(0, 1)
        line.set_ylabel(share_label)
        line.yaxis.set_major_formatter(PercentFormatter(1.0))
        figure.tight_layout()
        return _svg(figure, title)
    finally:
        plt.close(figure)


def horizontal_bars(names: Sequence[str], values: Sequence[float | None], texts: Sequence[str], title: str,
                    share: bool) -> str:
    """One bar per name, its value written beside it; shares on 0-100%, other values from 0 to the largest."""
    plt, PercentFormatter = _matplotlib()
    figure, axes = plt.subplots(figsize=(8, 0.5 + 0.45 * len(names)))
    try:
        lengths = [0.0 if v is None else v for v in values]
        rows = list(range(len(names)))
        axes.barh(rows, lengths, color=BAR)
        axes.set_yticks(rows, [name[:28] for name in names])
        axes.invert_yaxis()  # the first variant on top, as in the table
        top = 1.0 if share else max(lengths + [1.0]) * 1.15
        axes.set_xlim(0, top)
        if share:
            axes.xaxis.set_major_formatter(PercentFormatter(1.0))
        for row, length, text in zip(rows, lengths, texts):
            axes.text(length + top * 0.01, row, text, va="center")
        axes.set_title(title, loc="left", fontweight="bold")
        figure.tight_layout()
        return _svg(figure, title)
    finally:
        plt.close(figure)


def _matplotlib():
    # Imported when a chart is drawn: `bereik run` starts, and routes calls, without it.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import PercentFormatter

    return pyplot, PercentFormatter


def svg(figure, title: str) -> str:
    """A drawn matplotlib figure as CSP-safe inline SVG (for charts drawn elsewhere, the report's own)."""
    return _svg(figure, title)


def _svg(figure, title: str) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    root = ElementTree.fromstring(out.getvalue())
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG}}}style", f"{{{SVG}}}metadata"):
                parent.remove(child)
    for element in root.iter():
        style = element.attrib.pop("style", "")
        for declaration in style.split(";"):
            name, _, value = declaration.partition(":")
            if name.strip() and value.strip():
                element.set(name.strip(), value.strip())
    # What matplotlib's <style> said for every shape, as inherited attributes of the whole picture.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    root.set("role", "img")
    root.set("aria-label", title)
    return ElementTree.tostring(root, encoding="unicode")
