import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest

from catalog.models import Entry, Organization, RegionalOffice, SdgGoal, Theme
from matching.models import Match, Need
from partners.models import PartnerSource, SyncRecordError, SyncRun
from reports.report import Parameters
from tests.factories import (
    EntryFactory,
    EventFactory,
    MatchFactory,
    NeedFactory,
    OrganizationFactory,
    PartnerSourceFactory,
    country,
)

# The period most tests report on: the first half of 2026 (the data were read later).
PERIOD_START, PERIOD_END = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)


def at(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)


def in_period(**parameters: Any) -> Parameters:
    return Parameters(period_start=PERIOD_START, period_end=PERIOD_END, **parameters)


def theme(code: str) -> Theme:
    return Theme.objects.get(code=code)


def goal(number: int) -> SdgGoal:
    return SdgGoal.objects.get(number=number)


def office(code: str) -> RegionalOffice:
    return RegionalOffice.objects.get(code=code)


def make_need(
    region: str,
    countries: list[str],
    *,
    status: str,
    themes: tuple[str, ...] = (),
    goals: tuple[int, ...] = (),
    **steps: datetime.datetime,
) -> Need:
    need = NeedFactory(
        regional_office=office(region),
        countries=[country(iso3) for iso3 in countries],
        status=status,
        closed_reason="Met elsewhere." if status == Need.Status.CLOSED else "",
        **steps,
    )
    need.themes.set([theme(code) for code in themes])
    need.sdg_goals.set([goal(number) for number in goals])
    return need


def make_match(
    need: Need, entry: Entry, *, score: float, created: datetime.datetime, **fields: Any
) -> Match:
    match = MatchFactory(need=need, entry=entry, score=score, **fields)
    # `created_at` is set on insert: the first suggestion's moment is written afterwards.
    Match.objects.filter(pk=match.pk).update(created_at=created)
    match.refresh_from_db()
    return match


@dataclass
class ReportData:
    organizations: dict[str, Organization] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    needs: dict[str, Need] = field(default_factory=dict)
    matches: dict[str, Match] = field(default_factory=dict)
    sources: dict[str, PartnerSource] = field(default_factory=dict)


@pytest.fixture
def report_data(db: None) -> ReportData:
    """Needs of four offices and seven countries at every step, dates inside, before and after
    the first half of 2026, South-South, triangular, Northern and unclassified entries, matches
    at every step of their life cycle, and three partner sources."""
    data = ReportData()
    orgs = data.organizations
    orgs["ke"] = OrganizationFactory(name="Kenya Water Institute", country=country("KEN"))
    orgs["th"] = OrganizationFactory(name="Thai Energy Centre", country=country("THA"))
    orgs["de"] = OrganizationFactory(name="German Climate Agency", country=country("DEU"))
    orgs["un"] = OrganizationFactory(
        name="UN Desk", country=country("USA"), type=Organization.Type.UN_ENTITY
    )
    orgs["idle"] = OrganizationFactory(name="Idle Foundation", country=country("BRA"))

    entries = data.entries
    entries["e1"] = EntryFactory(
        title="Solar pumps",
        providers=[orgs["ke"]],
        themes=[theme("climate-change")],
        sdg_goals=[goal(13)],
        countries_of_origin=[country("KEN")],
        countries_applied=[country("UGA")],
        published_at=at(2025, 5, 1),
        last_confirmed_on=datetime.date(2026, 5, 1),
    )
    entries["e2"] = EntryFactory(
        module=Entry.Module.EXPERIENCE,
        kind=Entry.Kind.CASE_STUDY,
        title="Mangrove restoration",
        providers=[orgs["th"], orgs["de"]],
        themes=[theme("ecosystem-management"), theme("climate-change")],
        sdg_goals=[goal(14), goal(15)],
        countries_of_origin=[country("THA")],
        published_at=at(2026, 3, 1),
        last_confirmed_on=None,
    )
    entries["e3"] = EventFactory(
        title="Clean air workshop",
        providers=[orgs["de"]],
        themes=[theme("chemicals-waste")],
        sdg_goals=[goal(3)],
        countries_applied=[country("IND")],
        published_at=at(2026, 2, 1),
        last_confirmed_on=datetime.date(2020, 1, 1),
    )
    entries["e4"] = EntryFactory(
        title="Draft biogas", providers=[orgs["ke"]], status=Entry.Status.DRAFT, published_at=None
    )
    entries["e5"] = EntryFactory(
        title="Data portal",
        providers=[orgs["un"]],
        themes=[theme("environmental-governance")],
        countries_of_origin=[country("BRA")],
        published_at=at(2026, 8, 1),
    )

    needs = data.needs
    OPEN, MATCHED, CLOSED = Need.Status.OPEN, Need.Status.MATCHED, Need.Status.CLOSED
    needs["n1"] = make_need(
        "africa", ["KEN"], status=MATCHED, themes=("climate-change",), goals=(13,),
        submitted_at=at(2025, 11, 1), validated_at=at(2025, 11, 20), opened_at=at(2025, 12, 1),
        matched_at=at(2026, 9, 1),
    )  # fmt: skip
    needs["n2"] = make_need(
        "africa", ["KEN", "UGA"], status=MATCHED, themes=("climate-change", "ecosystem-management"),
        goals=(13, 15), submitted_at=at(2026, 2, 1), validated_at=at(2026, 2, 10),
        opened_at=at(2026, 3, 1), matched_at=at(2026, 5, 1),
    )  # fmt: skip
    needs["n3"] = make_need(
        "africa", ["UGA"], status=CLOSED, themes=("ecosystem-management",), goals=(15,),
        submitted_at=at(2026, 3, 1), validated_at=at(2026, 3, 10), opened_at=at(2026, 4, 1),
        closed_at=at(2026, 6, 15),
    )  # fmt: skip
    needs["n4"] = make_need(
        "asia-pacific", ["THA"], status=OPEN, themes=("climate-change",), goals=(13, 7),
        submitted_at=at(2026, 4, 1), validated_at=at(2026, 4, 10), opened_at=at(2026, 5, 1),
    )  # fmt: skip
    needs["n5"] = make_need(
        "asia-pacific", ["IND"], status=Need.Status.VALIDATED, themes=("chemicals-waste",),
        goals=(3,), submitted_at=at(2026, 5, 1), validated_at=at(2026, 6, 1),
    )  # fmt: skip
    needs["n6"] = make_need(
        "latin-america-caribbean", ["BRA"], status=CLOSED, themes=("climate-change",), goals=(13,),
        submitted_at=at(2025, 6, 1), validated_at=at(2025, 6, 20), opened_at=at(2025, 7, 1),
        closed_at=at(2026, 8, 1),
    )  # fmt: skip
    needs["n7"] = make_need("africa", ["KEN"], status=Need.Status.DRAFT, themes=("climate-change",))
    needs["n8"] = make_need(
        "west-asia", ["JOR"], status=Need.Status.SUBMITTED, submitted_at=at(2026, 9, 1)
    )
    # Matched in March, its agreed match withdrawn since: open again, `matched_at` kept.
    needs["n9"] = make_need(
        "africa", ["KEN"], status=OPEN, goals=(6,),
        submitted_at=at(2026, 1, 10), validated_at=at(2026, 1, 20), opened_at=at(2026, 2, 1),
        matched_at=at(2026, 3, 1),
    )  # fmt: skip

    matches, e = data.matches, entries
    S = Match.Status
    matches["m1"] = make_match(needs["n1"], e["e1"], score=0.8, created=at(2025, 12, 10))
    matches["m2"] = make_match(
        needs["n2"], e["e1"], score=0.9, created=at(2026, 3, 5), status=S.IN_IMPLEMENTATION,
        shortlisted_at=at(2026, 4, 10), contacted_at=at(2026, 4, 20), agreed_at=at(2026, 5, 1),
        implementation_started_at=at(2026, 5, 10),
    )  # fmt: skip
    matches["m3"] = make_match(
        needs["n2"], e["e2"], score=0.4, created=at(2026, 3, 3), status=S.DECLINED,
        declined_at=at(2026, 3, 20), decline_reason=Match.DeclineReason.NOT_RELEVANT,
    )  # fmt: skip
    matches["m4"] = make_match(
        needs["n3"], e["e2"], score=0.7, created=at(2026, 4, 2), status=S.COMPLETED,
        shortlisted_at=at(2026, 4, 5), contacted_at=at(2026, 4, 6), agreed_at=at(2026, 4, 10),
        implementation_started_at=at(2026, 4, 12), completed_at=at(2026, 6, 1),
        results="Two hectares replanted.", beneficiaries="300 fishers",
        lessons_learned="Start with the community.",
    )  # fmt: skip
    matches["m5"] = make_match(needs["n4"], e["e3"], score=0.3, created=at(2026, 5, 3))
    matches["m6"] = make_match(
        needs["n4"], e["e1"], score=0.65, created=at(2026, 5, 4), status=S.WITHDRAWN,
        contacted_at=at(2026, 5, 10), agreed_at=at(2026, 5, 20), withdrawn_at=at(2026, 6, 10),
    )  # fmt: skip
    matches["m7"] = make_match(
        needs["n6"], e["e3"], score=0.75, created=at(2025, 8, 1), status=S.DECLINED,
        declined_at=at(2026, 2, 1), decline_reason=Match.DeclineReason.NOT_AVAILABLE,
    )  # fmt: skip
    matches["m8"] = make_match(
        needs["n9"], e["e2"], score=0.55, created=at(2026, 2, 5), status=S.CONTACTED,
        contacted_at=at(2026, 2, 20),
    )  # fmt: skip
    matches["m9"] = make_match(
        needs["n1"], e["e5"], score=0.2, created=at(2026, 1, 5), status=S.AGREED,
        agreed_at=at(2026, 9, 1),
    )  # fmt: skip

    sources = data.sources
    sources["iati"] = PartnerSourceFactory(name="IATI of Kenya", organization=orgs["ke"])
    sources["ckan"] = PartnerSourceFactory(
        name="CKAN of Thailand", organization=orgs["th"], connector=PartnerSource.Connector.CKAN
    )
    sources["off"] = PartnerSourceFactory(name="Switched off", enabled=False)
    runs = [
        # (source, status, created, finished, fetched, created, updated, unchanged, failed, errors)
        ("iati", SyncRun.Status.SUCCEEDED, at(2025, 12, 1), at(2025, 12, 1), 50, 50, 0, 0, 0, 0),
        ("iati", SyncRun.Status.SUCCEEDED, at(2026, 2, 1), at(2026, 2, 1), 60, 5, 10, 45, 0, 0),
        ("iati", SyncRun.Status.FAILED, at(2026, 3, 1), at(2026, 3, 1), 20, 1, 2, 14, 3, 2),
        ("iati", SyncRun.Status.SUCCEEDED, at(2026, 8, 1), at(2026, 8, 1), 70, 7, 0, 63, 0, 0),
        ("ckan", SyncRun.Status.FAILED, at(2026, 5, 1), at(2026, 5, 1), 0, 0, 0, 0, 0, 1),
        ("ckan", SyncRun.Status.RUNNING, at(2026, 6, 29), None, 8, 8, 0, 0, 0, 0),
    ]
    for key, status, created, finished, fetched, made, updated, unchanged, failed, errors in runs:
        run = SyncRun.objects.create(
            source=sources[key],
            status=status,
            started_at=created,
            finished_at=finished,
            fetched=fetched,
            created=made,
            updated=updated,
            unchanged=unchanged,
            failed=failed,
        )
        SyncRun.objects.filter(pk=run.pk).update(created_at=created)
        for number in range(errors):
            SyncRecordError.objects.create(run=run, external_id=f"x{number}", message="No title.")
    return data
