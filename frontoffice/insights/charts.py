"""Server-side SVG charts (our own, no library): readable printed, numbers shown beside them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 320, 120, 22


def _scale(values: Sequence[Decimal | None], target: Decimal | None) -> Decimal:
    top = max([v for v in values if v is not None] + ([target] if target is not None else []) + [Decimal(0)])
    return top if top > 0 else Decimal(1)


def bar_chart(
    labels: Sequence[str], values: Sequence[Decimal | None], *, title: str, target: Decimal | None = None
) -> SafeString:
    """Vertical bars, one per label; a dashed line at the target. Empty values draw no bar."""
    n = max(len(values), 1)
    top = _scale(values, target)
    inner_h = HEIGHT - 2 * PAD
    slot = (WIDTH - 2 * PAD) / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}"><title>{escape(title)}</title>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = PAD + i * slot + slot * 0.15
        w = slot * 0.7
        if value is not None:
            h = float(value / top) * inner_h
            y = HEIGHT - PAD - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="#4a6fa5" stroke="#222">'
                f"<title>{escape(label)}: {escape(value)}</title></rect>"
            )
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{y - 3:.1f}" font-size="9" text-anchor="middle">{escape(value)}</text>'
            )
        parts.append(
            f'<text x="{x + w / 2:.1f}" y="{HEIGHT - PAD + 12:.1f}" font-size="8" text-anchor="middle">'
            f"{escape(label[:12])}</text>"
        )
    if target is not None:
        y = HEIGHT - PAD - float(target / top) * inner_h
        parts.append(
            f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" stroke="#b00" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def paired_bar_chart(
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    previous: Sequence[Decimal | None],
    *,
    title: str,
    target: Decimal | None = None,
    legend: tuple[str, str] = ("", ""),
) -> SafeString:
    """Two bars per label, the previous period (light, hatched outline) left of this period
    (dark); a dashed line at the target. Prints legibly in black and white."""
    n = max(len(values), 1)
    top = _scale(list(values) + list(previous), target)
    inner_h = HEIGHT - 2 * PAD
    slot = (WIDTH - 2 * PAD) / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--paired" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"><title>{escape(title)}</title>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>',
    ]
    for i, (label, value, before) in enumerate(zip(labels, values, previous, strict=True)):
        w = slot * 0.35
        for j, (v, css, fill, dash) in enumerate(
            ((before, "previous", "#d6dde8", ' stroke-dasharray="2 1"'), (value, "current", "#4a6fa5", ""))
        ):
            if v is None:
                continue
            x = PAD + i * slot + slot * 0.15 + j * w
            h = float(v / top) * inner_h
            y = HEIGHT - PAD - h
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}" '
                f'stroke="#222"{dash}><title>{escape(label)}: {escape(v)}</title></rect>'
            )
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{y - 3:.1f}" font-size="8" text-anchor="middle">{escape(v)}</text>'
            )
        parts.append(
            f'<text x="{PAD + i * slot + slot / 2:.1f}" y="{HEIGHT - PAD + 12:.1f}" font-size="8" '
            f'text-anchor="middle">{escape(label[:12])}</text>'
        )
    if target is not None:
        y = HEIGHT - PAD - float(target / top) * inner_h
        parts.append(
            f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" stroke="#b00" stroke-dasharray="4 3"/>'
        )
    if legend[0] or legend[1]:
        parts.append(
            f'<rect x="{PAD}" y="4" width="8" height="8" fill="#d6dde8" stroke="#222" stroke-dasharray="2 1"/>'
            f'<text x="{PAD + 11}" y="11" font-size="8">{escape(legend[0])}</text>'
            f'<rect x="{PAD + 90}" y="4" width="8" height="8" fill="#4a6fa5" stroke="#222"/>'
            f'<text x="{PAD + 101}" y="11" font-size="8">{escape(legend[1])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
