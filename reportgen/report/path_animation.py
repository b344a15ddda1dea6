"""The pure-CSS animation of the path figures (``path_figures``): every path drawn over the steps, with no script.

The dash trick: a path with ``pathLength="1"`` and the dash pattern ``1 2`` shows the share of its length that the
dash offset (1 = none, 0 = all) leaves uncovered. Each path's own keyframes set that offset at a step to the share of
its drawn length the run had covered by then, so the clock is the step count, the same for every method: a run
that reaches the optimum in 20 of 500 steps is drawn in the first 4% of the time, as it would be in a video of the
runs. ``animation-fill-mode: both`` ends every path whole, and the rules apply only on a screen that has not asked
for reduced motion: print, reduced motion, the PNG and the PDF all show the static picture.

A path with a dash style of its own (the house's dashed and dotted methods) cannot carry the dash trick: its
``pathLength`` would rescale its own pattern too. It is revealed instead through a mask that holds a solid copy of
it, and that copy is animated.

Browsers do not dash a path of several pieces (subpaths) the same way (chromium leaves it solid), so every path is
drawn as one piece: ``framed`` keeps each path inside its map widened by ``FRAME_MARGIN``, where the axes hide it,
and sends the part that leaves the map round the widened frame to where the run comes back. The rest of the paths'
geometry is here too: which points a path draws (``thinned``) and where a diverged run was last seen (``last_seen``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

FRAME_MARGIN = 0.01  # of the map's width and height: outside the axes (hidden) and inside the figure (not cut)
SECONDS = 8.0
SHARE_STEP = 0.04  # a keyframe each time a path has drawn this share of its length more ...
TIME_STEP = 0.1  # ... or this share of the time has passed
DASHES = "1 2"  # in units of the path's length: offset 1 shows the gap, offset 0 the whole dash
MASK_WIDTH = 3.0  # the mask's stroke, in widths of the path it reveals: room for its caps and joins


def _visible(start: np.ndarray, end: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float] | None:
    """The part of the segment start -> end inside ``box`` (x0, x1, y0, y1), as the fractions of the segment where it
    begins and ends (Liang-Barsky), or None."""
    first, last = 0.0, 1.0
    for axis, (low, high) in enumerate((box[:2], box[2:])):
        change = end[axis] - start[axis]
        if change == 0:
            if not low <= start[axis] <= high:
                return None
            continue
        near, far = sorted(((low - start[axis]) / change, (high - start[axis]) / change))
        first, last = max(first, near), min(last, far)
    return (first, last) if first <= last else None


def _around(box: tuple[float, float, float, float]):
    """Where a point on the frame of ``box`` lies along it (counter-clockwise from the lower left corner), the
    corners' places, and the frame's length."""
    x0, x1, y0, y1 = box
    width, height = x1 - x0, y1 - y0

    def place(point: np.ndarray) -> float:
        x, y = point
        edges = (abs(y - y0), abs(x - x1), abs(y - y1), abs(x - x0))  # the nearest edge: the point is on it, to rounding
        return (x - x0, width + y - y0, width + height + x1 - x, 2 * width + height + y1 - y)[int(np.argmin(edges))]

    corners = {0.0: (x0, y0), width: (x1, y0), width + height: (x1, y1), 2 * width + height: (x0, y1)}
    return place, corners, 2 * (width + height)


def _round_the_frame(leaving: np.ndarray, entering: np.ndarray, box) -> list[np.ndarray]:
    """The corners passed going the shorter way round the frame of ``box`` from one point on it to another."""
    place, corners, perimeter = _around(box)
    start, end = place(leaving), place(entering)
    forward = (end - start) % perimeter
    if forward <= perimeter / 2:
        passed = sorted((at for at in corners if 0 < (at - start) % perimeter < forward), key=lambda at: (at - start) % perimeter)
    else:
        passed = sorted((at for at in corners if 0 < (start - at) % perimeter < perimeter - forward), key=lambda at: (start - at) % perimeter)
    return [np.array(corners[at]) for at in passed]


def widened(bounds: tuple[tuple[float, float], tuple[float, float]]) -> tuple[float, float, float, float]:
    """The box, x0 x1 y0 y1, that paths are kept in: the map's bounds and FRAME_MARGIN of them on every side."""
    (x0, x1), (y0, y1) = bounds
    dx, dy = FRAME_MARGIN * (x1 - x0), FRAME_MARGIN * (y1 - y0)
    return x0 - dx, x1 + dx, y0 - dy, y1 + dy


def framed(points: np.ndarray, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """A run's finite points as one piece inside ``box``: the vertices to draw, and the length drawn by each step.

    A part outside the box is replaced by the way round its frame from where the run leaves to where it comes back;
    a run that starts outside starts at the nearest point of the frame."""
    low, high = np.array(box[::2]), np.array(box[1::2])
    outside = bool(np.any((points[0] < low) | (points[0] > high)))
    vertices = [np.clip(points[0], low, high)]
    lengths = [0.0]
    drawn = 0.0
    for start, end in zip(points[:-1], points[1:]):
        visible = _visible(start, end, box)
        if visible is not None:
            entry, exit = (start + fraction * (end - start) for fraction in visible)
            if outside:
                for vertex in [*_round_the_frame(vertices[-1], entry, box), entry]:
                    drawn += float(np.hypot(*(vertex - vertices[-1])))
                    vertices.append(vertex)
            drawn += float(np.hypot(*(exit - vertices[-1])))
            vertices.append(exit)
            outside = visible[1] < 1.0
        lengths.append(drawn)
    return np.array(vertices), np.array(lengths)


def thinned(points: np.ndarray, spacing: float) -> np.ndarray:
    """Which points to draw: the first, each at least ``spacing`` from the last one drawn, and the last. A long run's
    many moves of less than a pixel cost bytes and show nothing."""
    drawn = np.zeros(len(points), dtype=bool)
    drawn[0] = drawn[-1] = True
    last = points[0]
    for index in range(1, len(points) - 1):
        if math.hypot(*(points[index] - last)) >= spacing:
            drawn[index], last = True, points[index]
    return drawn


def last_seen(points: np.ndarray, bounds) -> np.ndarray:
    """Where a path was last seen on the map: its last point, or where it last left the map (the nearest point of the
    map's edge if it never was on it)."""
    (x0, x1), (y0, y1) = bounds
    box = (x0, x1, y0, y1)
    for start, end in zip(points[-2::-1], points[:0:-1]):  # the segments, last first
        visible = _visible(start, end, box)
        if visible is not None:
            return start + visible[1] * (end - start)
    return np.clip(points[-1], (x0, y0), (x1, y1))


@dataclass(frozen=True)
class Trace:
    """One animated path: its hover title (which finds it in the SVG), the length it has drawn by each step, and
    whether it has a dash style of its own."""

    title: str
    lengths: np.ndarray
    dashed: bool


def _keyframes(lengths: np.ndarray, budget: int) -> list[tuple[float, float]]:
    """(time in percent, dash offset) pairs: a frame whenever the path has drawn SHARE_STEP more of its length or
    TIME_STEP of the time has passed, and at the run's last step."""
    shares = lengths / lengths[-1]
    frames, last = [(0.0, 1.0)], (0.0, 0.0)
    for step in range(1, len(lengths)):
        time, share = step / budget, shares[step]
        if share - last[1] >= SHARE_STEP or time - last[0] >= TIME_STEP or step == len(lengths) - 1:
            frames.append((100 * time, 1.0 - share))
            last = (time, share)
    return frames


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def _stylesheet(slug: str, traces: list[tuple[int, Trace]], budget: int) -> str:
    # [id=...] and a letter first in the names: a slug may start with a digit, which neither an #id selector nor a keyframes name may
    figure = f'[id="{slug}"]'
    rules = [f"{figure} .trace{{stroke-dasharray:{DASHES};animation:{SECONDS:g}s linear both}}"]
    keyframes = []
    for index, trace in traces:
        rules.append(f"{figure} .t{index}{{animation-name:trace-{slug}-{index}}}")
        frames = "".join(f"{_number(time)}%{{stroke-dashoffset:{_number(offset)}}}" for time, offset in _keyframes(trace.lengths, budget))
        keyframes.append(f"@keyframes trace-{slug}-{index}{{{frames}}}")
    return "@media screen and (prefers-reduced-motion:no-preference){\n" + "\n".join(rules) + "\n}\n" + "\n".join(keyframes)


def animated(svg: str, slug: str, traces: list[Trace], budget: int) -> str:
    """``svg`` (a finished figure's, ``slug`` its id) with each trace drawn over ``budget`` steps. A trace that draws
    nothing (a run that never moved) stays as it is."""
    moving = [(index, trace) for index, trace in enumerate(traces) if trace.lengths[-1] > 0]
    for index, trace in moving:
        found = re.search(rf"(<title>{re.escape(escape(trace.title))}</title>\s*)<path ([^>]*?)(/?>)", svg)
        if found is None:
            raise ValueError(f"no path titled {trace.title!r} in the figure {slug}")
        titled, attributes, close = found.groups()
        if trace.dashed:
            path = re.search(r'd="[^"]*"', attributes).group(0)
            width = MASK_WIDTH * float(re.search(r"stroke-width: ([\d.]+)", attributes).group(1))
            mask = (f'<mask id="{slug}-m{index}" maskUnits="userSpaceOnUse"><path {path} class="trace t{index}" pathLength="1" '
                    f'style="fill:none;stroke:#ffffff;stroke-width:{_number(width)}"/></mask>')
            replacement = f'{mask}<path mask="url(#{slug}-m{index})" {attributes}{close}'
        else:
            replacement = f'<path class="trace t{index}" pathLength="1" {attributes}{close}'
        svg = svg[: found.start()] + titled + replacement + svg[found.end() :]
    style = _stylesheet(slug, moving, budget)
    return svg.replace("</defs>", f'<style type="text/css">{style}</style>\n</defs>', 1)
