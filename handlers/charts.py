"""Charts for the digest as PNG bytes: matplotlib (Agg, no pyplot) with a Japanese font.

The font is IPAexGothic, shipped by the pinned matplotlib-fontja package. Rendering
fails loudly (MissingGlyph) instead of drawing boxes when a character has no glyph.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from messages.fonts import IPAEX_GOTHIC

FONT_FILE = IPAEX_GOTHIC
font_manager.fontManager.addfont(str(FONT_FILE))
FONT = font_manager.FontProperties(fname=str(FONT_FILE)).get_name()  # "IPAexGothic"
BAR = "#4c78a8"
LOW = "#e45756"
MAX_BARS = 15


class MissingGlyph(RuntimeError):
    """The font has no glyph for a character in the chart (it would show a box)."""


@contextmanager
def drawing(family: str = FONT) -> Iterator[None]:
    """Draw in this font; raise MissingGlyph if any text would be drawn as boxes."""
    with warnings.catch_warnings(record=True) as caught, rc_context({"font.family": family}):
        warnings.simplefilter("always")
        yield
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        raise MissingGlyph(missing[0])


def png(fig: Figure) -> bytes:
    """PNG bytes of a figure (call inside `drawing()`)."""
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)  # type: ignore[no-untyped-call]  # untyped in matplotlib
    return buf.getvalue()


def hbar(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    percent: bool = True,
    highlight: Sequence[str] = (),
    note: str = "",
    family: str = FONT,
) -> bytes:
    """A horizontal bar chart, first label on top; highlighted bars in red."""
    labels, values = list(labels)[:MAX_BARS], list(values)[:MAX_BARS]
    with drawing(family):
        fig = Figure(figsize=(6.4, 0.42 * len(labels) + 1.3), dpi=100)
        ax = fig.add_subplot()
        shown = [v * 100 for v in values] if percent else list(values)
        colors = [LOW if lab in highlight else BAR for lab in labels]
        ax.barh(range(len(labels)), shown, color=colors)
        ax.set_yticks(range(len(labels)), labels=labels)
        ax.invert_yaxis()
        ax.set_title(title, loc="left", fontsize=12)
        top = max(shown, default=0) or 1
        ax.set_xlim(0, top * 1.18)
        for i, v in enumerate(shown):
            text = f"{v:.1f}%" if percent else f"{v:,.0f}"
            ax.text(v + top * 0.01, i, text, va="center", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        if note:
            fig.text(0.01, 0.01, note, fontsize=8, color="#555555")
        fig.tight_layout(rect=(0, 0.04 if note else 0, 1, 1))
        data = png(fig)
    return data
