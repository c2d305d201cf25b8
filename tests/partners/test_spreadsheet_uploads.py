"""Staff upload a spreadsheet of entries for a partner source: template, upload, preview with
per-row errors, confirmation, and a run of the real sync engine that stores the valid rows
(partners/spreadsheet_uploads.py, partners/connectors/spreadsheet.py)."""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from catalog.models import Entry, EntryProvider, Organization
from partners.connectors import connector_for
from partners.connectors.spreadsheet import ENTRY_COLUMNS, SpreadsheetConnector
from partners.models import PartnerSource, SyncRecordError, SyncRun
from tests.factories import (
    EntryFactory,
    OfficerFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

HEADER = [column.name for column in ENTRY_COLUMNS]
CaptureCommits = Callable[..., Any]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = tmp_path / "media"
    yield settings.MEDIA_ROOT


def staff() -> User:
    user: User = StaffUserFactory()
    return user


def officer() -> User:
    user: User = OfficerFactory()
    return user


def spreadsheet_source(**values: Any) -> PartnerSource:
    source: PartnerSource = PartnerSourceFactory(
        connector=PartnerSource.Connector.SPREADSHEET, **values
    )
    return source


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(staff())
    return client


@pytest.fixture
def organization() -> Organization:
    return OrganizationFactory(name="Sahel Energy Centre")


def row(external_id: str, title: str, **values: str) -> dict[str, str]:
    return {
        "id": external_id,
        "module": "experience",
        "kind": "case-study",
        "title": title,
        "summary": "Farmers share solar pumps.",
        "language": "en",
        "countries_applied": "SEN;MLI",
        "themes": "climate-change",
        "sdg_targets": "7.1",
        **values,
    }


def xlsx(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    header = header or HEADER
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for values in rows:
        sheet.append([values.get(name, "") for name in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_text(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    """As a spreadsheet program writes it: cells holding the delimiter are quoted."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows([values.get(name, "") for name in HEADER] for values in rows)
    return out.getvalue()


def post_upload(
    client: Client,
    name: str,
    content: bytes,
    *,
    source: PartnerSource | None = None,
    organization: Organization | None = None,
) -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, content)}
    if source is not None:
        data["source"] = str(source.pk)
    if organization is not None:
        data["organization"] = str(organization.pk)
    return client.post(reverse("partners:spreadsheet_upload"), data)


def token_of(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:3000]
    match = re.fullmatch(r"/partners/spreadsheets/([A-Za-z0-9_-]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def confirm(client: Client, token: str, capture: CaptureCommits) -> SyncRun:
    with capture(execute=True):
        response = client.post(reverse("partners:spreadsheet_confirm", args=[token]))
    assert response.status_code == 302
    run = SyncRun.objects.order_by("-pk").first()
    assert run is not None
    assert response["Location"] == reverse("partners:run_detail", args=[run.pk])
    run.refresh_from_db()
    return run


def upload_and_store(
    client: Client,
    capture: CaptureCommits,
    content: bytes,
    *,
    name: str = "entries.xlsx",
    **target: Any,
) -> SyncRun:
    return confirm(client, token_of(post_upload(client, name, content, **target)), capture)


def file_error(response: Any) -> str:
    assert response.status_code == 400
    text = response.content.decode()
    found = re.search(r'<p class="error">(.*?)</p>', text, re.S)
    assert found, text[:3000]
    return found.group(1).replace("&ldquo;", "“").replace("&rdquo;", "”").replace("&#x27;", "'")


def pending_files(media: Path) -> list[Path]:
    directory = media / "partners" / "spreadsheets" / "pending"
    return sorted(directory.iterdir()) if directory.exists() else []


# Templates and the round trip -------------------------------------------------------------------


def test_the_template_filled_in_uploads_previews_and_stores_through_the_engine(
    staff_client: Client,
    organization: Organization,
    media: Path,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    response = staff_client.get(reverse("partners:spreadsheet_template_xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="entries-upload-template.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Entries", "Codes"]
    entries = workbook["Entries"]
    assert [cell.value for cell in entries[1]] == HEADER
    codes = [[cell.value for cell in line] for line in workbook["Codes"].iter_rows()]
    notes = " ".join(str(line[0]) for line in codes[:5])
    assert "upload the file again with the same ids to update the entries" in notes
    assert "no longer lists are archived" in notes
    example_at = next(i for i, line in enumerate(codes) if line[0] == "id")
    example = dict(zip(HEADER, codes[example_at + 1], strict=False))
    # The example row, as it is, and a row of our own.
    entries.append([example[name] or "" for name in HEADER])
    entries.append(
        [
            row(
                "solar-2",
                "Solar irrigation pilot",
                providers=f"Sahel Energy Centre | KEN | lead; #{organization.pk} | funder",
                links="https://example.org/solar | Report",
                sdg_targets="7.1;6.4",
                countries_of_origin="SEN",
            ).get(name, "")
            for name in HEADER
        ]
    )
    out = io.BytesIO()
    workbook.save(out)

    token = token_of(
        post_upload(staff_client, "filled.xlsx", out.getvalue(), organization=organization)
    )
    preview = staff_client.get(reverse("partners:spreadsheet_preview", args=[token]))
    text = preview.content.decode()
    assert preview.status_code == 200
    assert "2 entries will be created." in text
    assert "0 rows have errors" in text
    assert "Community-based mangrove restoration" in text
    assert "Solar irrigation pilot" in text
    assert Entry.objects.count() == 0 and PartnerSource.objects.count() == 0  # nothing yet

    run = confirm(staff_client, token, django_capture_on_commit_callbacks)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.fetched, run.created, run.failed) == (2, 2, 0)
    source = PartnerSource.objects.get()
    assert source.connector == PartnerSource.Connector.SPREADSHEET
    assert source.organization == organization
    assert source.schedule == PartnerSource.Schedule.OFF
    solar = Entry.objects.get(source=source, external_id="solar-2")
    assert solar.title == "Solar irrigation pilot"
    assert solar.status == Entry.Status.SUBMITTED
    assert sorted(solar.countries_applied.values_list("iso3", flat=True)) == ["MLI", "SEN"]
    assert list(solar.countries_of_origin.values_list("iso3", flat=True)) == ["SEN"]
    assert sorted(solar.sdg_targets.values_list("code", flat=True)) == ["6.4", "7.1"]
    assert list(solar.themes.values_list("code", flat=True)) == ["climate-change"]
    assert [(link.url, link.label) for link in solar.links.all()] == [
        ("https://example.org/solar", "Report")
    ]
    assert set(
        EntryProvider.objects.filter(entry=solar).values_list("organization_id", "role")
    ) == {(organization.pk, "lead")}  # the same organization, by name and by id
    assert Entry.objects.filter(source=source, external_id="project-0001").exists()
    assert staff_client.get(reverse("partners:run_detail", args=[run.pk])).status_code == 200
    assert pending_files(media) == []  # the confirmed file moved to the source


def test_csv_template_is_the_header_row(staff_client: Client) -> None:
    response = staff_client.get(reverse("partners:spreadsheet_template_csv"))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").strip() == ",".join(HEADER)


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";")]
)
def test_csv_in_utf8_or_the_windows_code_page_is_read(
    staff_client: Client,
    organization: Organization,
    django_capture_on_commit_callbacks: CaptureCommits,
    encoding: str,
    delimiter: str,
) -> None:
    content = csv_text([row("c1", "Coopération régionale à Dakar")], delimiter).encode(encoding)
    run = upload_and_store(
        staff_client,
        django_capture_on_commit_callbacks,
        content,
        name="entries.csv",
        organization=organization,
    )
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert Entry.objects.get(external_id="c1").title == "Coopération régionale à Dakar"


# Bad files ---------------------------------------------------------------------------------------


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


BAD_FILES: list[tuple[str, Callable[[], bytes], str]] = [
    ("notes.txt", lambda: b"id,title\n1,x\n", "is not a CSV (.csv) or Excel (.xlsx) file"),
    ("report.xlsx", lambda: b"%PDF-1.4 not a sheet", "its content is a PDF document"),
    ("renamed.xlsx", lambda: csv_text([row("a", "A")]).encode(), "is not an Excel workbook"),
    ("bomb.xlsx", _zip_bomb, "unpacks to 60 MB, more than the 50 MB an upload takes"),
    ("image.csv", lambda: b"\x89PNG\r\n\x1a\n....", "its content is a PNG image"),
    ("empty.csv", lambda: b"", "is empty"),
    (
        "many.csv",
        lambda: csv_text([row(f"r{n}", f"Row {n}") for n in range(5001)]).encode(),
        "has more than 5000 rows, the most an upload takes",
    ),
    (
        "noheader.xlsx",
        lambda: xlsx([row("a", "A")], header=[row("x", "X")[name] for name in ["id", "module"]]),
        "must name the columns of the template (missing columns:",
    ),
    (
        "wrong.csv",
        lambda: b"id,module,kind,title,language,colour\n1,experience,case-study,T,en,red\n",
        "unknown columns: colour",
    ),
    ("headeronly.csv", lambda: ",".join(HEADER).encode(), "has a header row but no entries"),
]


@pytest.mark.parametrize(("name", "make", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_with_a_clear_error_and_changes_nothing(
    staff_client: Client, media: Path, name: str, make: Callable[[], bytes], message: str
) -> None:
    source = spreadsheet_source()
    kept = EntryFactory(source=source, external_id="kept", title="Kept entry")
    before = list(Entry.objects.values_list("pk", "status", "title", "updated_at"))

    response = post_upload(staff_client, name, make(), source=source)

    assert message in file_error(response)
    assert pending_files(media) == []
    assert list(Entry.objects.values_list("pk", "status", "title", "updated_at")) == before
    assert PartnerSource.objects.count() == 1 and SyncRun.objects.count() == 0
    kept.refresh_from_db()
    assert kept.title == "Kept entry"


def test_a_file_larger_than_the_limit_is_refused(
    staff_client: Client, organization: Organization, settings: Any, media: Path
) -> None:
    settings.PARTNER_SPREADSHEET_MAX_BYTES = 2000
    content = csv_text([row(f"r{n}", "A long title " * 5) for n in range(40)]).encode()
    response = post_upload(staff_client, "big.csv", content, organization=organization)
    assert "“big.csv” is larger than" in file_error(response)
    assert "MB, the most an import takes. Split it into smaller files." in file_error(response)
    assert pending_files(media) == [] and PartnerSource.objects.count() == 0


def test_the_form_needs_a_spreadsheet_source_or_an_organization(
    staff_client: Client, organization: Organization
) -> None:
    other: PartnerSource = PartnerSourceFactory(connector=PartnerSource.Connector.IATI)
    neither = post_upload(staff_client, "e.xlsx", xlsx([row("a", "A")]))
    assert "Choose a spreadsheet source, or an organization" in file_error(neither)
    not_spreadsheet = post_upload(staff_client, "e.xlsx", xlsx([row("a", "A")]), source=other)
    assert not_spreadsheet.status_code == 400
    assert PartnerSource.objects.count() == 1


# Row errors, re-uploads ---------------------------------------------------------------------------


def test_row_errors_are_shown_by_row_number_and_the_good_rows_are_stored(
    staff_client: Client,
    organization: Organization,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    rows = [
        row("good-1", "Good one"),
        row("bad-country", "Bad country", countries_applied="SEN;XXX"),
        row("bad-theme", "Bad theme", themes="recipes"),
        row("no-title", ""),
        row("good-1", "Same id again"),
        row("bad-date", "Bad date", module="event", kind="workshop", starts_on="31/12/2026"),
        row("bad-kind", "Bad kind", kind="workshop"),
        row("bad-provider", "Bad provider", providers="Centre | ZZZ | lead"),
        row("good-2", "Good two", links="ftp://example.org/x"),
        row("good-3", "Good three"),
    ]
    token = token_of(post_upload(staff_client, "rows.xlsx", xlsx(rows), organization=organization))
    text = staff_client.get(reverse("partners:spreadsheet_preview", args=[token])).content.decode()
    assert "8 rows have errors and will be skipped." in text
    for number, message in [
        (3, "Unknown code(s): XXX."),
        (4, "Unknown code(s): recipes."),
        (5, "Required: this cell is empty."),
        (6, "Same id as row 2: each entry needs its own id."),
        (7, "is not a date. Write dates as YYYY-MM-DD"),
        (8, "is not a kind of the module experience"),
        (9, "unknown country code ZZZ"),
        (10, "is not a web address"),
    ]:
        block = text[text.index(f'<tr id="row-{number}">') :]
        block = block[: block.index("</tr>")]
        assert message in block.replace("&ldquo;", "“").replace("&rdquo;", "”"), (number, block)
    assert "Store the 2 valid rows" in text

    run = confirm(staff_client, token, django_capture_on_commit_callbacks)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.fetched, run.created, run.failed) == (10, 2, 8)
    assert sorted(Entry.objects.values_list("external_id", flat=True)) == ["good-1", "good-3"]
    assert Entry.objects.get(external_id="good-1").title == "Good one"
    messages = list(SyncRecordError.objects.filter(run=run).values_list("message", flat=True))
    assert any(m.startswith("Row 3: countries_applied: Unknown code(s): XXX.") for m in messages)
    assert any(m.startswith("Row 5: title: Required") for m in messages)
    assert len(messages) == 8


def test_a_second_upload_updates_creates_and_archives_what_the_file_no_longer_lists(
    staff_client: Client,
    organization: Organization,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    first = upload_and_store(
        staff_client,
        django_capture_on_commit_callbacks,
        xlsx([row("a", "Alpha"), row("b", "Beta")]),
        organization=organization,
    )
    assert first.status == SyncRun.Status.SUCCEEDED, first.error
    source = PartnerSource.objects.get()
    alpha = Entry.objects.get(source=source, external_id="a")
    page = staff_client.get(reverse("partners:source_detail", args=[source.pk])).content.decode()
    assert f"{reverse('partners:spreadsheet_upload')}?source={source.pk}" in page

    token = token_of(
        post_upload(
            staff_client,
            "v2.xlsx",
            xlsx([row("a", "Alpha, revised"), row("c", "Gamma")]),
            source=source,
        )
    )
    text = staff_client.get(reverse("partners:spreadsheet_preview", args=[token])).content.decode()
    assert "1 entry will be created." in text
    assert "1 entry of an earlier upload will be updated (same id)." in text
    assert "1 entry of this source is not in the file and will be archived:" in text
    assert "Beta" in text

    second = confirm(staff_client, token, django_capture_on_commit_callbacks)

    assert second.status == SyncRun.Status.SUCCEEDED, second.error
    assert (second.created, second.updated, second.archived) == (1, 1, 1)
    assert PartnerSource.objects.count() == 1
    assert Entry.objects.filter(source=source).count() == 3
    alpha.refresh_from_db()
    assert alpha.title == "Alpha, revised"
    assert Entry.objects.get(external_id="b").status == Entry.Status.ARCHIVED
    assert Entry.objects.get(external_id="c").title == "Gamma"

    # The same file again: nothing changes, nothing is duplicated.
    third = upload_and_store(
        staff_client,
        django_capture_on_commit_callbacks,
        xlsx([row("a", "Alpha, revised"), row("c", "Gamma")]),
        source=source,
    )
    assert (third.created, third.updated, third.unchanged, third.archived) == (0, 0, 2, 0)
    assert Entry.objects.filter(source=source).count() == 3


def test_a_preview_is_confirmed_once(
    staff_client: Client,
    organization: Organization,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    token = token_of(
        post_upload(staff_client, "e.xlsx", xlsx([row("a", "A")]), organization=organization)
    )
    confirm(staff_client, token, django_capture_on_commit_callbacks)
    again = staff_client.post(reverse("partners:spreadsheet_confirm", args=[token]))
    assert again.status_code == 404
    assert SyncRun.objects.count() == 1 and PartnerSource.objects.count() == 1


def test_a_disabled_source_is_not_run_and_its_file_stays_pending(
    staff_client: Client,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    source = spreadsheet_source(enabled=False)
    token = token_of(post_upload(staff_client, "e.xlsx", xlsx([row("a", "A")]), source=source))
    response = staff_client.post(reverse("partners:spreadsheet_confirm", args=[token]), follow=True)
    assert "is disabled; enable it before running it" in response.content.decode()
    assert SyncRun.objects.count() == 0 and Entry.objects.count() == 0
    assert (
        staff_client.get(reverse("partners:spreadsheet_preview", args=[token])).status_code == 200
    )


# Who may -----------------------------------------------------------------------------------------


def test_only_staff_upload_and_a_preview_is_its_uploaders_only(
    client: Client, organization: Organization
) -> None:
    client.force_login(officer())
    for name in ("spreadsheet_template_xlsx", "spreadsheet_template_csv", "spreadsheet_upload"):
        assert client.get(reverse(f"partners:{name}")).status_code == 403
    refused = post_upload(client, "e.xlsx", xlsx([row("a", "A")]), organization=organization)
    assert refused.status_code == 403

    client.force_login(staff())
    token = token_of(
        post_upload(client, "e.xlsx", xlsx([row("a", "A")]), organization=organization)
    )
    client.force_login(staff())
    assert client.get(reverse("partners:spreadsheet_preview", args=[token])).status_code == 404
    assert client.post(reverse("partners:spreadsheet_confirm", args=[token])).status_code == 404
    assert client.get(reverse("partners:spreadsheet_preview", args=["x" * 43])).status_code == 404
    assert SyncRun.objects.count() == 0


# The connector on its own ------------------------------------------------------------------------


def test_fetch_resumes_after_the_last_stored_row_and_reads_a_finished_upload_no_more(
    staff_client: Client,
    organization: Organization,
    django_capture_on_commit_callbacks: CaptureCommits,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from partners.connectors import spreadsheet

    monkeypatch.setattr(spreadsheet, "PAGE_SIZE", 2)
    upload_and_store(
        staff_client,
        django_capture_on_commit_callbacks,
        xlsx([row(f"r{n}", f"Row {n}") for n in range(5)]),
        organization=organization,
    )
    source = PartnerSource.objects.get()
    connector = connector_for(source)
    assert isinstance(connector, SpreadsheetConnector) and connector.complete_listing
    key = source.checkpoint["upload"]
    assert source.checkpoint == {"upload": key, "row": 6, "done": True}
    pages = list(connector.fetch({"upload": key, "row": 3}))
    assert [[raw["number"] for raw in page.raw_records] for page in pages] == [[4, 5], [6]]
    assert [page.checkpoint for page in pages] == [
        {"upload": key, "row": 5},
        {"upload": key, "row": 6, "done": True},
    ]
    assert list(connector.fetch(source.checkpoint)) == []
    # Another upload's checkpoint starts at the first row.
    assert [len(p.raw_records) for p in connector.fetch({"upload": "old", "row": 6})] == [2, 2, 1]


def test_a_source_without_an_upload_fails_its_run_with_a_clear_message() -> None:
    from partners.connectors.base import FeedError

    source = spreadsheet_source()
    with pytest.raises(FeedError, match="No spreadsheet was uploaded for this source"):
        list(connector_for(source).fetch({}))
