"""A small line chart of one questionnaire's scores over time, drawn as inline SVG on the server.

No JavaScript and no inline styles (the CSP forbids them): presentation attributes only. The
chart has role="img" and a <title>; the page shows the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from assessments.templates import Template

WIDTH = 480
HEIGHT = 200
MARGIN_LEFT = 40
MARGIN_BOTTOM = 30
MARGIN_TOP = 10
MARGIN_RIGHT = 10


def score_chart(title: str, points: Sequence[tuple[str, float]], top: float) -> Markup:
    """``points`` are (label, value) oldest first; the y axis runs from 0 to ``top``."""
    top = max(top, max((value for _, value in points), default=0.0), 1.0)
    inner_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    inner_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    step = inner_w / max(len(points) - 1, 1)

    def x(index: int) -> float:
        return MARGIN_LEFT + (index * step if len(points) > 1 else inner_w / 2)

    def y(value: float) -> float:
        return MARGIN_TOP + inner_h * (1 - value / top)

    parts = [
        f'<svg class="score-chart" role="img" aria-labelledby="score-chart-title" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="score-chart-title">{escape(title)}</title>',
    ]
    for fraction in (0, 0.5, 1):
        level = y(top * fraction)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{level:.1f}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y2="{level:.1f}" stroke="#b1b4b6" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{level + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="#0b0c0c">{_number(top * fraction)}</text>'
        )
    if len(points) > 1:
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
        parts.append(f'<polyline points="{line}" fill="none" stroke="#1d70b8" stroke-width="3"/>')
    for index, (label, value) in enumerate(points):
        parts.append(
            f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="5" fill="#1d70b8"/>'
            f'<text x="{x(index):.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="12" '
            f'fill="#0b0c0c">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped; the rest are numbers)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def results_chart(
    template: Template, language: str, dated: Sequence[tuple[str, Mapping[str, Any] | None]]
) -> Markup | None:
    """One questionnaire's scores over time (``dated``: (label, score) oldest first), on the
    percentage scale where the questionnaire has one; None when nothing is scored."""
    scored = [(label, score) for label, score in dated if score is not None]
    if not scored:
        return None
    scoring = template.data.scoring
    use_percent = scoring is not None and scoring.percent_multiplier is not None
    key = "percent" if use_percent else "total"
    top = 100.0 if use_percent else _maximum(template)
    title = getattr(template.title, language)
    return score_chart(title, [(label, float(score[key] or 0)) for label, score in scored], top)


def _maximum(template: Template) -> float:
    top = 0.0
    for question in template.questions:
        points = [o.points for o in question.options or [] if o.points is not None]
        if question.type == "scale" and question.max is not None:
            top += question.max
        elif points and question.type == "single_choice":
            top += max(points)
    return top
