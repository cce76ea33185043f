"""Pictures drawn on the server as SVG: the workflow after a study, and the cumulative-dose comparison.

Plain SVG text (escaped), sized by a viewBox so it scales with the page; each has a title and a
description for screen readers, and the page gives the same facts as a list or table beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from html import escape
from typing import Any

FONT = 14
LINE = 18
PAD = 10  #: space between a box's edge and its text


def _text(x: float, y: float, lines: list[str], anchor: str = "middle", cls: str = "") -> str:
    spans = "".join(f'<tspan x="{x:.0f}" dy="{LINE if i else 0}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}"{klass}>{spans}</text>'


_NARROW, _WIDE = set("iIl.,:;'|!()[]{}fjrt/ -"), set("mwMW@%")


def text_width(text: str, size: float = FONT) -> float:
    """A generous estimate of the width of ``text`` in pixels at ``size`` in a sans-serif font (widths of
    DejaVu Sans, the widest common one, rounded up), so wrapped lines fit whatever font the reader has."""
    em = 0.0
    for char in text:
        if char in _WIDE:
            em += 0.95
        elif char in _NARROW:
            em += 0.4
        elif char.isupper() or char.isdigit():
            em += 0.75
        else:
            em += 0.64
    return em * size


def _wrap(text: str, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels (by :func:`text_width`); a word too long for a line
    is broken, never cut off."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while text_width(word) > width:  # break an overlong word at the last character that fits
            cut = max(1, max((i for i in range(1, len(word) + 1) if text_width(word[:i]) <= width), default=1))
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and text_width(candidate) > width:
            lines.append(line)
            candidate = word
        line = candidate
    if line or not lines:
        lines.append(line)
    return lines


def workflow(branches: list[Any], href: Callable[[str], str | None]) -> str:
    """The branches after a study result: one column per result, its steps in order below it."""
    width, col_gap, top = 960, 16, 80
    cols = max(1, len(branches))
    col_w = (width - col_gap * (cols + 1)) / cols
    room = col_w - 2 * PAD  # the width text may take in a box
    parts: list[str] = []
    heights = []
    for index, branch in enumerate(branches):
        x = col_gap + index * (col_w + col_gap)
        cx = x + col_w / 2
        y = top
        head = f"If {branch.result}" + (": one of" if branch.alternatives else "")
        parts.append(f'<line x1="{width / 2:.0f}" y1="46" x2="{cx:.0f}" y2="{y:.0f}" class="edge" '
                     'marker-end="url(#arrow)"/>')
        head_lines = _wrap(head, room)
        head_h = 16 + LINE * len(head_lines)
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{col_w:.0f}" height="{head_h}" rx="6" class="result"/>')
        parts.append(_text(cx, y + 8 + FONT, head_lines, cls="strong"))
        y += head_h
        for number, step in enumerate(branch.steps):
            lines = _wrap(step.label, room)
            if step.qualifier:
                lines += _wrap(f"({step.qualifier})", room)
            procedures = [p.label for p in step.procedures]
            if procedures:
                lines += _wrap("Studies: " + ", ".join(procedures), room)
            box = 16 + LINE * len(lines)
            y += 26
            previous_join = "or" if branch.alternatives and number else ""
            parts.append(f'<line x1="{cx:.0f}" y1="{y - 26:.0f}" x2="{cx:.0f}" y2="{y:.0f}" class="edge" '
                         'marker-end="url(#arrow)"/>')
            if previous_join:
                parts.append(_text(cx + 8, y - 9, [previous_join], anchor="start", cls="note"))
            parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{col_w:.0f}" height="{box}" rx="4" class="step"/>')
            parts.append(_text(cx, y + 8 + FONT, lines))
            y += box
        heights.append(y)
    height = max(heights, default=top) + 16
    results = ", ".join(b.result for b in branches)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" role="img" '
            f'aria-labelledby="wf-title wf-desc" class="diagram" font-size="{FONT}">'
            '<title id="wf-title">Workflow after the study</title>'
            f'<desc id="wf-desc">What to do next for each study result ({escape(results)}); '
            'the same steps are listed in text below the diagram.</desc>'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>'
            f'<rect x="{width / 2 - 160:.0f}" y="8" width="320" height="38" rx="19" class="start"/>'
            + _text(width / 2, 32, ["Result of the imaging study"], cls="strong") + "".join(parts) + "</svg>")


def _nice_max(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else f"{value:.1f}"


def dose_chart(estimates: list[Any], plan: dict[str, Any]) -> str:
    """Cumulative effective dose of each rated option over the plan: a bar to the low end, a paler bar to
    the high end of the source's level band; options without a stated level are marked as such."""
    label_w, width, row_h, top = 330, 960, 44, 44  # the axis title (y 14) clears the tick labels (y 32)
    plot_w = width - label_w - 150
    stated = [e.total_max_msv for e in estimates if e.total_max_msv is not None]
    top_value = _nice_max(max(stated, default=Decimal(1)))
    scale = plot_w / float(top_value)
    label_lines = [_wrap(e.procedure.label, label_w - 20) for e in estimates]  # every line: no label is cut
    row_hs = [max(row_h, 8 + LINE * len(lines)) for lines in label_lines]
    bottom = top + sum(row_hs)
    parts: list[str] = []
    for tick in range(6):
        value = top_value * tick / 5
        x = label_w + float(value) * scale
        parts.append(f'<line x1="{x:.0f}" y1="{top - 6}" x2="{x:.0f}" y2="{bottom}" class="grid"/>')
        parts.append(_text(x, top - 12, [f"{_num(Decimal(value))}"], cls="note"))
    parts.append(_text(label_w + plot_w / 2, 14, ["cumulative effective dose, mSv"], cls="note"))
    right = width
    y = top
    for lines, estimate, row in zip(label_lines, estimates, row_hs):
        parts.append(_text(label_w - 10, y + 20, lines, anchor="end"))
        if estimate.total_min_msv is None:
            parts.append(_text(label_w + 6, y + 26, ["radiation level not stated"], anchor="start", cls="note"))
            y += row
            continue
        low, high = float(estimate.total_min_msv) * scale, float(estimate.total_max_msv) * scale
        parts.append(f'<rect x="{label_w}" y="{y + 10}" width="{max(low, 1):.1f}" height="20" class="bar"/>')
        parts.append(f'<rect x="{label_w + low:.1f}" y="{y + 10}" width="{max(high - low, 1):.1f}" height="20" '
                     'class="band"/>')
        value_text = f"{estimate.total_range} ({estimate.studies} studies)"
        parts.append(_text(label_w + high + 8, y + 25, [value_text], anchor="start"))
        right = max(right, int(label_w + high + 8 + text_width(value_text) + PAD))  # widen rather than clip
        y += row
    width = right
    height = bottom + 10
    plan_text = f"{_num(plan['years'])} years, one study every {_num(plan['every'])} months"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="dose-title dose-desc" class="chart" font-size="{FONT}">'
            f'<title id="dose-title">Cumulative effective dose over {escape(plan_text)}</title>'
            '<desc id="dose-desc">For each rated option, the cumulative dose range from the low to the high end '
            'of its radiation level band; the table below gives the same numbers.</desc>'
            + "".join(parts) + "</svg>")
