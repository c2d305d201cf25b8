"""A `Report` to JSON and back: a run stores its report this way and the page is drawn again
from it, so the page, the files and the API's JSON download show the same numbers.

Dates in cells and figures are tagged (`{"date": "2026-01-31"}`) so that they come back as
dates, whatever the column's kind says.
"""

import datetime
from typing import Any

from reports.report import Cell, Chart, Column, Figure, Parameters, Report, Table

FORMAT_VERSION = 1


def _cell_out(value: Cell) -> Any:
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    return value


def _cell_in(value: Any) -> Cell:
    if isinstance(value, dict) and "date" in value:
        return datetime.date.fromisoformat(value["date"])
    return value  # type: ignore[no-any-return]


def parameters_from_dict(values: dict[str, Any]) -> Parameters:
    """`Parameters.as_dict()` read back."""

    def day(name: str) -> datetime.date | None:
        raw = values.get(name)
        return datetime.date.fromisoformat(raw) if raw else None

    def number(name: str) -> int | None:
        raw = values.get(name)
        return int(raw) if raw is not None and raw != "" else None

    return Parameters(
        period_start=day("period_start"),
        period_end=day("period_end"),
        region=str(values.get("region", "")),
        subregion_m49=str(values.get("subregion_m49", "")),
        country_iso3=str(values.get("country_iso3", "")),
        theme=str(values.get("theme", "")),
        sdg_goal=number("sdg_goal"),
        module=str(values.get("module", "")),
        organization_id=number("organization_id"),
    )


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "type": report.type_slug,
        "title": report.title,
        "parameters": report.parameters.as_dict(),
        "read_at": report.read_at.isoformat(),
        "figures": [
            {"label": figure.label, "value": _cell_out(figure.value), "kind": figure.kind}
            for figure in report.figures
        ],
        "tables": [
            {
                "slug": table.slug,
                "title": table.title,
                "note": table.note,
                "columns": [
                    {"key": column.key, "label": column.label, "kind": column.kind}
                    for column in table.columns
                ],
                "rows": [[_cell_out(cell) for cell in row] for row in table.rows],
            }
            for table in report.tables
        ],
        "charts": [
            {
                "title": chart.title,
                "kind": chart.kind,
                "table": chart.table_slug,
                "label_column": chart.label_column,
                "value_columns": list(chart.value_columns),
            }
            for chart in report.charts
        ],
        "notes": list(report.notes),
    }


def report_from_dict(data: dict[str, Any]) -> Report:
    return Report(
        type_slug=data["type"],
        title=data["title"],
        parameters=parameters_from_dict(data["parameters"]),
        read_at=datetime.datetime.fromisoformat(data["read_at"]),
        figures=tuple(
            Figure(label=item["label"], value=_cell_in(item["value"]), kind=item["kind"])
            for item in data["figures"]
        ),
        tables=tuple(
            Table(
                slug=item["slug"],
                title=item["title"],
                note=item.get("note", ""),
                columns=tuple(
                    Column(key=column["key"], label=column["label"], kind=column["kind"])
                    for column in item["columns"]
                ),
                rows=tuple(tuple(_cell_in(cell) for cell in row) for row in item["rows"]),
            )
            for item in data["tables"]
        ),
        charts=tuple(
            Chart(
                title=item["title"],
                kind=item["kind"],
                table_slug=item["table"],
                label_column=item["label_column"],
                value_columns=tuple(item["value_columns"]),
            )
            for item in data["charts"]
        ),
        notes=tuple(data.get("notes", ())),
    )
