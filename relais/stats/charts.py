"""Bar and pie charts as inline SVG: no JavaScript, no image files, sharp in print.

Every chart also writes its values as text, so it stays readable in black
and white and when pasted into a word processor.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from relais.timefmt import format_number

#: Okabe–Ito palette: distinguishable with colour blindness and in grey print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#7F7F7F")
BAR_COLOUR = "#0072B2"
PREVIOUS_COLOUR = "#9DB9D3"
#: A presentation attribute, not a ``style``: the back office's CSP forbids inline styles.
FONT = 'font-family="Arial,Helvetica,sans-serif"'
MAX_SLICES = 7


def _label(text: str, limit: int) -> str:
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def bar_chart(
    items: list[tuple[str, float]],
    *,
    title: str,
    previous: dict[str, float] | None = None,
    previous_label: str = "",
    current_label: str = "",
    width: int = 680,
) -> str:
    """Horizontal bars, largest first; optional lighter bars for the previous year."""
    if not items:
        return ""
    row = 30 if previous else 24
    label_width, value_width = 250, 60
    bar_width = width - label_width - value_width
    top = 30 + (18 if previous else 0)
    height = top + row * len(items) + 8
    peak = max([value for _, value in items] + list((previous or {}).values()) + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold" fill="#111">{escape(title)}</text>',
    ]
    if previous:
        parts.append(
            f'<rect x="{label_width}" y="26" width="10" height="10" fill="{BAR_COLOUR}"/>'
            f'<text x="{label_width + 14}" y="35" font-size="11" fill="#111">{escape(current_label)}</text>'
            f'<rect x="{label_width + 90}" y="26" width="10" height="10" fill="{PREVIOUS_COLOUR}"/>'
            f'<text x="{label_width + 104}" y="35" font-size="11" fill="#111">{escape(previous_label)}</text>'
        )
    for index, (label, value) in enumerate(items):
        y = top + index * row
        length = bar_width * value / peak
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="#111">{_label(label, 38)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="16" fill="{BAR_COLOUR}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 15}" font-size="12" '
            f'fill="#111">{format_number(value)}</text>'
        )
        if previous is not None:
            before = previous.get(label, 0)
            parts.append(
                f'<rect x="{label_width}" y="{y + 20}" width="{bar_width * before / peak:.1f}" '
                f'height="7" fill="{PREVIOUS_COLOUR}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _slices(items: list[tuple[str, float]], other: str) -> list[tuple[str, float]]:
    ordered = sorted((item for item in items if item[1] > 0), key=lambda item: -item[1])
    if len(ordered) <= MAX_SLICES:
        return ordered
    rest = sum(value for _, value in ordered[MAX_SLICES - 1 :])
    return [*ordered[: MAX_SLICES - 1], (other, rest)]


def pie_chart(
    items: list[tuple[str, float]], *, title: str, other: str = "autres", width: int = 680
) -> str:
    """A donut with a legend giving each share's value and percentage."""
    slices = _slices(items, other)
    total = sum(value for _, value in slices)
    if not total:
        return ""
    radius, inner, cx, cy = 90, 50, 110, 130
    legend_x = 240
    height = max(250, 50 + 24 * len(slices))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold" fill="#111">{escape(title)}</text>',
    ]
    angle = -math.pi / 2
    for index, (label, value) in enumerate(slices):
        colour = PALETTE[index % len(PALETTE)]
        share = value / total
        if share >= 0.9999:
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="{(radius + inner) / 2}" fill="none" '
                f'stroke="{colour}" stroke-width="{radius - inner}"/>'
            )
        else:
            parts.append(_arc(cx, cy, radius, inner, angle, angle + share * 2 * math.pi, colour))
        angle += share * 2 * math.pi
        y = 44 + index * 24
        parts.append(
            f'<rect x="{legend_x}" y="{y}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{legend_x + 22}" y="{y + 12}" font-size="12" fill="#111">'
            f"{_label(label, 48)} — {format_number(value)} ({format_number(share * 100)}\u202f%)</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _arc(
    cx: float, cy: float, outer: float, inner: float, start: float, end: float, colour: str
) -> str:
    large = 1 if end - start > math.pi else 0

    def point(radius: float, angle: float) -> str:
        return f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}"

    return (
        f'<path d="M{point(outer, start)} A{outer},{outer} 0 {large} 1 {point(outer, end)} '
        f'L{point(inner, end)} A{inner},{inner} 0 {large} 0 {point(inner, start)} Z" '
        f'fill="{colour}" stroke="#fff" stroke-width="1"/>'
    )
