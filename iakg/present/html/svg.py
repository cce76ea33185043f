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


def workflow(branches: list[Any], href: Callable[[str], str | None], narrow: bool = False) -> str:
    """The branches after a study result: one column per result, its steps in order below it; ``narrow``
    (a phone's width): the results one below the other, each with its steps, joined to the start by a line
    down the left side."""
    if narrow:
        return _workflow_narrow(branches)
    width, col_gap, top = 960, 16, 80
    cols = max(1, len(branches))
    col_w = (width - col_gap * (cols + 1)) / cols
    parts: list[str] = []
    heights = []
    for index, branch in enumerate(branches):
        x = col_gap + index * (col_w + col_gap)
        cx = x + col_w / 2
        parts.append(f'<line x1="{width / 2:.0f}" y1="46" x2="{cx:.0f}" y2="{top:.0f}" class="edge" '
                     'marker-end="url(#arrow)"/>')
        heights.append(_branch(parts, branch, x, top, col_w, "arrow"))
    height = max(heights, default=top) + 16
    return _workflow_svg(branches, width, height, "wf", "arrow", width / 2, 320, parts)


def _workflow_narrow(branches: list[Any]) -> str:
    width, trunk, left, gap = 360, 12, 30, 24
    parts: list[str] = []
    y: float = 80
    last_mid: float = y
    for branch in branches:
        head_mid = y + 8 + LINE * len(_wrap(_head(branch), width - left - 2 * PAD)) / 2
        parts.append(f'<line x1="{trunk}" y1="{head_mid:.0f}" x2="{left}" y2="{head_mid:.0f}" class="edge" '
                     'marker-end="url(#arrow-n)"/>')
        last_mid = head_mid
        y = _branch(parts, branch, left, y, width - left, "arrow-n") + gap
    if branches:
        parts.insert(0, f'<line x1="{trunk}" y1="46" x2="{trunk}" y2="{last_mid:.0f}" class="edge"/>')
        parts.insert(0, f'<line x1="{width / 2:.0f}" y1="46" x2="{trunk}" y2="46" class="edge"/>')
    return _workflow_svg(branches, width, y - gap + 16, "wfn", "arrow-n", width / 2, 300, parts)


def _head(branch: Any) -> str:
    several = len(branch.steps) > 1
    return f"If {branch.result}" + (": one of" if branch.alternatives else
                                    (": each, in no order the source gives" if several else ""))


def _branch(parts: list[str], branch: Any, x: float, y: float, col_w: float, arrow: str) -> float:
    """Draw one result's box and its steps below it in a column at ``x`` of ``col_w``; the bottom's y."""
    cx = x + col_w / 2
    room = col_w - 2 * PAD  # the width text may take in a box
    head_lines = _wrap(_head(branch), room)
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
        if step.follow_up_label:
            lines += _wrap(f"Repeats: {step.follow_up_label}", room)
        box = 16 + LINE * len(lines)
        y += 26
        # an arrow from the result; between steps the source gives in no order, a plain line
        marker = f' marker-end="url(#{arrow})"' if not number or branch.alternatives else ""
        parts.append(f'<line x1="{cx:.0f}" y1="{y - 26:.0f}" x2="{cx:.0f}" y2="{y:.0f}" class="edge"{marker}/>')
        if number:
            parts.append(_text(cx + 8, y - 9, ["or" if branch.alternatives else "and"], anchor="start", cls="note"))
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{col_w:.0f}" height="{box}" rx="4" class="step"/>')
        parts.append(_text(cx, y + 8 + FONT, lines))
        y += box
    return y


def _workflow_svg(branches: list[Any], width: float, height: float, ids: str, arrow: str, start_x: float,
                  start_w: float, parts: list[str]) -> str:
    results = ", ".join(b.result for b in branches)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-labelledby="{ids}-title {ids}-desc" class="diagram" font-size="{FONT}">'
            f'<title id="{ids}-title">Workflow after the study</title>'
            f'<desc id="{ids}-desc">What to do next for each study result ({escape(results)}); '
            'the same steps are listed in text below the diagram.</desc>'
            f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>'
            f'<rect x="{start_x - start_w / 2:.0f}" y="8" width="{start_w:.0f}" height="38" rx="19" class="start"/>'
            + _text(start_x, 32, ["Result of the imaging study"], cls="strong") + "".join(parts) + "</svg>")


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


def dose_chart(estimates: list[Any], plan: dict[str, Any], narrow: bool = False) -> str:
    """Cumulative effective dose of each rated option over the plan: a bar to the low end, a paler bar to
    the high end of the source's level band; options without a stated level are marked as such. ``narrow``
    (a phone's width): each option's name above its bar, the numbers below it."""
    if narrow:
        label_w, width, value_room, ids = 0, 360, 0, "dosen"
    else:
        label_w, width, value_room, ids = 330, 960, 150, "dose"
    row_h, top = 44, 44  # the axis title (y 14) clears the tick labels (y 32)
    plot_w = width - label_w - value_room - (24 if narrow else 0)
    stated = [e.total_max_msv for e in estimates if e.total_max_msv is not None]
    top_value = _nice_max(max(stated, default=Decimal(1)))
    scale = plot_w / float(top_value)
    # every line: no label is cut
    label_lines = [_wrap(e.procedure.label, width - 40 if narrow else label_w - 20) for e in estimates]  # bold: room
    if narrow:  # name lines, the bar, the numbers
        row_hs = [LINE * len(lines) + 8 + 20 + 4 + LINE + 10 for lines in label_lines]
    else:
        row_hs = [max(row_h, 8 + LINE * len(lines)) for lines in label_lines]
    bottom = top + sum(row_hs)
    left = 2 if narrow else label_w  # where the bars start
    parts: list[str] = []
    for tick in range(6):
        value = top_value * tick / 5
        x = left + float(value) * scale
        parts.append(f'<line x1="{x:.0f}" y1="{top - 6}" x2="{x:.0f}" y2="{bottom}" class="grid"/>')
        parts.append(_text(max(x, 8), top - 12, [f"{_num(Decimal(value))}"], cls="note"))
    parts.append(_text(left + plot_w / 2, 14, ["cumulative effective dose, mSv"], cls="note"))
    right = width
    y = top
    for lines, estimate, row in zip(label_lines, estimates, row_hs):
        if narrow:
            parts.append(_text(left, y + 4 + FONT, lines, anchor="start", cls="strong"))
            bar_y = y + 8 + LINE * len(lines)
        else:
            parts.append(_text(label_w - 10, y + 20, lines, anchor="end"))
            bar_y = y + 10
        if estimate.total_min_msv is None:
            parts.append(_text(left + 6, bar_y + 16, ["radiation level not stated"], anchor="start", cls="note"))
            y += row
            continue
        low, high = float(estimate.total_min_msv) * scale, float(estimate.total_max_msv) * scale
        parts.append(f'<rect x="{left}" y="{bar_y}" width="{max(low, 1):.1f}" height="20" class="bar"/>')
        parts.append(f'<rect x="{left + low:.1f}" y="{bar_y}" width="{max(high - low, 1):.1f}" height="20" '
                     'class="band"/>')
        value_text = f"{estimate.total_range} ({estimate.studies} studies)"
        if narrow:
            parts.append(_text(left, bar_y + 20 + 4 + FONT, [value_text], anchor="start"))
            right = max(right, int(left + text_width(value_text) + PAD))
        else:
            parts.append(_text(label_w + high + 8, bar_y + 15, [value_text], anchor="start"))
            right = max(right, int(label_w + high + 8 + text_width(value_text) + PAD))  # widen rather than clip
        y += row
    width = right
    height = bottom + 10
    plan_text = f"{_num(plan['years'])} years, one study every {_num(plan['every'])} months"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="{ids}-title {ids}-desc" class="chart" font-size="{FONT}">'
            f'<title id="{ids}-title">Cumulative effective dose over {escape(plan_text)}</title>'
            f'<desc id="{ids}-desc">For each rated option, the cumulative dose range from the low to the high end '
            'of its radiation level band; the table below gives the same numbers.</desc>'
            + "".join(parts) + "</svg>")
