"""One small bar chart, drawn on the server as SVG: no script, no library.

Every section of the statistics page draws its bars with ``bar_chart``; the table beside the
chart is the real data, so the SVG is one image (``role="img"``) named by its title and
described by its description. A bar whose count is hidden by the small-cell rule (``None``) is
not drawn; its value reads "< 5".
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 580
LABEL_WIDTH = 250
VALUE_WIDTH = 50
ROW = 28
BAR = 18
LABEL_CHARACTERS = 30
BAR_COLOUR = "#1d4f91"
TEXT_COLOUR = "#0b0c0c"


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


def bar_chart(
    chart_id: str, title: str, description: str, bars: Sequence[tuple[str, int | None]]
) -> Markup:
    """Horizontal bars, one a row, longest the width available; ``None`` is drawn as "< 5"."""
    height = max(len(bars), 1) * ROW + 8
    longest = max((count for _, count in bars if count), default=0)
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, (label, count) in enumerate(bars):
        y = 4 + index * ROW
        text_y = y + BAR - 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" font-size="13" '
            f'fill="{TEXT_COLOUR}">{escape(_label(label))}</text>'
        )
        length = round(room * count / longest) if count and longest else 0
        if length:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR}" '
                f'fill="{BAR_COLOUR}"/>'
            )
        value = "< 5" if count is None else str(count)
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6}" y="{text_y}" font-size="13" '
            f'fill="{TEXT_COLOUR}">{escape(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text in it is escaped above)
