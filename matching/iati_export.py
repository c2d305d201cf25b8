"""Agreed and completed matches as IATI activities (IATI Activity Standard 2.03), so that UNEP can
publish the South-South exchanges the portal brokered to the IATI Registry and d-portal.

Matches are not public in the portal (accounts/permissions.py): the export holds the matches
its requester may see, `matches_visible_to` for a person signed in (all of them for programme
staff) or `matches_visible_to_key` for an organization's API key with the "read" scope (the
followed matches of the entries the organization leads).

One match is one activity, reported by UNEP as the portal's operator (IATI_REPORTING_ORG_*):
- title and descriptions: the need (objectives, type 2) and the entry (general, type 1), each
  in its own language (`narrative xml:lang`);
- participating organizations: the entry's providers as implementing (4), funders as
  funding (1), and the UNEP regional office that registered the need as accountable (2);
- status: agreed or in implementation → 2 (implementation), completed → 4 (closed: the
  portal records no money, so nothing is left to finalise); dates: actual start (agreed or
  started) and actual end (completed);
- recipient countries: the need's countries, shares split evenly;
- sectors: the portal's themes under vocabulary 99 (the reporting organisation's own), codes
  being theme codes. The DAC sector → theme table of the IATI connector
  (partners/connectors/data/dac-sector-themes.csv) is not inverted: a theme covers many DAC
  sectors (climate change: energy policy, renewables, forests...), so its inverse names no
  sector, and reporting one would be a guess;
- tags: SDG goals (vocabulary 2) and targets (vocabulary 3);
- result (completed matches): the recorded results, with the beneficiaries and lessons
  learned as qualitative indicators.

Needs, themes and SDG tags come from the need; an entry's are used when the need has none.
The document is written one activity at a time (lxml `xmlfile`) from a server-side cursor, so
an export of any size streams in constant memory.
"""

import datetime
import io
from collections.abc import Iterable, Iterator
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree

from accounts.models import ApiKey, User
from accounts.permissions import matches_visible_to, matches_visible_to_key
from catalog.models import Country, Organization, SdgGoal, SdgTarget, Theme
from catalog.oai.render import xml_text
from matching.models import Match

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IATI_VERSION = "2.03"
CHUNK_SIZE = 200

# IATI OrganisationType codes of the portal's organization types.
ORGANISATION_TYPES: dict[str, str] = {
    Organization.Type.GOVERNMENT: "10",
    Organization.Type.UN_ENTITY: "40",
    Organization.Type.INTERGOVERNMENTAL: "40",
    Organization.Type.CENTRE_OF_EXCELLENCE: "80",
    Organization.Type.UNIVERSITY_RESEARCH: "80",
    Organization.Type.NGO: "22",
    Organization.Type.PRIVATE_SECTOR: "70",
    Organization.Type.NETWORK_SECRETARIAT: "90",
}
ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_IMPLEMENTING = "1", "2", "4"
STATUS_IMPLEMENTATION, STATUS_CLOSED = "2", "4"
DATE_ACTUAL_START, DATE_ACTUAL_END = "2", "4"
DESCRIPTION_GENERAL, DESCRIPTION_OBJECTIVES = "1", "2"
SECTOR_REPORTING_ORGANISATION_2 = "99"
TAG_SDG_GOAL, TAG_SDG_TARGET = "2", "3"
RESULT_OUTCOME, MEASURE_QUALITATIVE = "2", "5"


def matches_for_export(*, user: User | None = None, key: ApiKey | None = None) -> QuerySet[Match]:
    """The agreed, ongoing and completed matches the requester may see, oldest first."""
    if key is not None:
        visible = matches_visible_to_key(key)
    else:
        visible = matches_visible_to(user)
    return (
        Match.objects.filter(pk__in=visible.values("pk"), status__in=Match.ENGAGED)
        .select_related("need__regional_office", "entry")
        .prefetch_related(
            "need__countries",
            "need__themes",
            "need__sdg_goals",
            "need__sdg_targets__goal",
            "entry__themes",
            "entry__sdg_goals",
            "entry__sdg_targets__goal",
            "entry__provider_links__organization",
        )
        .order_by("pk")
    )


def iati_activities_xml(
    matches: QuerySet[Match], *, generated_at: datetime.datetime | None = None
) -> Iterator[bytes]:
    """The IATI activities document of `matches`, in pieces of about one activity each."""
    generated_at = generated_at or timezone.now()
    buffer = io.BytesIO()

    def drain() -> bytes:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    with translation.override("en"), etree.xmlfile(buffer, encoding="utf-8") as document:
        document.write_declaration()
        root = {"version": IATI_VERSION, "generated-datetime": _iso(generated_at)}
        with document.element("iati-activities", root):
            document.write("\n")
            document.flush()
            yield drain()  # The client has the start of the document at once.
            for match in matches.iterator(chunk_size=CHUNK_SIZE):
                document.write(activity_element(match), pretty_print=True)
                document.flush()
                yield drain()
        document.flush()
    yield drain()


def activity_element(match: Match) -> etree._Element:
    need, entry = match.need, match.entry
    language = need.language or "en"
    activity = etree.Element(
        "iati-activity", {"last-updated-datetime": _iso(match.updated_at), XML_LANG: language}
    )

    def narratives(parent: etree._Element, texts: Iterable[tuple[str, str]]) -> None:
        """One narrative per language, the texts of a language joined."""
        by_language: dict[str, list[str]] = {}
        for lang, text in texts:
            if text and text.strip():
                by_language.setdefault(lang or language, []).append(text.strip())
        for lang, parts in by_language.items():
            narrative = _sub(parent, "narrative", " — ".join(parts))
            if lang != language:
                narrative.set(XML_LANG, lang)

    _sub(activity, "iati-identifier", f"{settings.IATI_IDENTIFIER_PREFIX}-{match.pk}")
    reporting = _sub(
        activity,
        "reporting-org",
        ref=settings.IATI_REPORTING_ORG_REF,
        type=settings.IATI_REPORTING_ORG_TYPE,
    )
    _sub(reporting, "narrative", settings.IATI_REPORTING_ORG_NAME)
    narratives(
        _sub(activity, "title"), [(need.language, need.title), (entry.language, entry.title)]
    )
    general = _sub(activity, "description", type=DESCRIPTION_GENERAL)
    narratives(general, [(entry.language, entry.summary or entry.title)])
    objectives = _sub(activity, "description", type=DESCRIPTION_OBJECTIVES)
    narratives(objectives, [(need.language, need.description or need.title)])

    for link in sorted(entry.provider_links.all(), key=lambda link: link.pk):
        organization = link.organization
        role = ROLE_FUNDING if link.role == link.Role.FUNDER else ROLE_IMPLEMENTING
        participant = _sub(
            activity,
            "participating-org",
            role=role,
            type=ORGANISATION_TYPES.get(organization.type, "90"),
        )
        _sub(participant, "narrative", organization.name)
    office = _sub(
        activity,
        "participating-org",
        ref=settings.IATI_REPORTING_ORG_REF,
        role=ROLE_ACCOUNTABLE,
        type="40",
    )
    _sub(office, "narrative", _("UNEP Regional Office for %s") % need.regional_office.name)

    completed = match.status == Match.Status.COMPLETED
    _sub(activity, "activity-status", code=STATUS_CLOSED if completed else STATUS_IMPLEMENTATION)
    started = match.implementation_started_at or match.agreed_at or match.updated_at
    _sub(activity, "activity-date", type=DATE_ACTUAL_START, **{"iso-date": _day(started)})
    if completed:
        ended = match.completed_at or match.updated_at
        _sub(activity, "activity-date", type=DATE_ACTUAL_END, **{"iso-date": _day(ended)})

    countries: list[Country] = sorted(need.countries.all(), key=lambda country: country.iso2)
    for country, share in zip(countries, _shares(len(countries)), strict=True):
        recipient = _sub(activity, "recipient-country", code=country.iso2, percentage=share)
        _sub(recipient, "narrative", country.name_en)

    themes: list[Theme] = list(need.themes.all()) or list(entry.themes.all())
    themes.sort(key=lambda theme: (theme.position, theme.code))
    for theme, share in zip(themes, _shares(len(themes)), strict=True):
        sector = _sub(
            activity,
            "sector",
            vocabulary=SECTOR_REPORTING_ORGANISATION_2,
            **{"vocabulary-uri": settings.SITE_URL.rstrip("/") + "/api/v1/themes/"},
            code=theme.code,
            percentage=share,
        )
        _sub(sector, "narrative", theme.name)

    targets: list[SdgTarget] = list(need.sdg_targets.all()) or list(entry.sdg_targets.all())
    goals: dict[int, SdgGoal] = {
        goal.number: goal
        for goal in [*(need.sdg_goals.all() or entry.sdg_goals.all())]
        + [target.goal for target in targets]
    }
    for number in sorted(goals):
        tag = _sub(activity, "tag", vocabulary=TAG_SDG_GOAL, code=str(number))
        _sub(tag, "narrative", goals[number].short_en)
    for target in sorted(targets, key=lambda target: (target.goal.number, target.position)):
        _sub(activity, "tag", vocabulary=TAG_SDG_TARGET, code=target.code)

    if completed and match.results.strip():
        result = _sub(activity, "result", type=RESULT_OUTCOME)
        _sub(_sub(result, "title"), "narrative", _("Results of the South-South exchange"))
        _sub(_sub(result, "description"), "narrative", match.results.strip())
        indicators = [
            (_("Beneficiaries"), match.beneficiaries),
            (_("Lessons learned"), match.lessons_learned),
        ]
        indicators = [(title, text) for title, text in indicators if text.strip()]
        for title, text in indicators or [(_("Outcome reported at completion"), "")]:
            indicator = _sub(result, "indicator", measure=MEASURE_QUALITATIVE)
            _sub(_sub(indicator, "title"), "narrative", title)
            if text.strip():
                _sub(_sub(indicator, "description"), "narrative", text.strip())
    return activity


def _sub(parent: etree._Element, tag: str, text: Any = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _day(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).date().isoformat()


def _shares(count: int) -> list[str]:
    """Even percentages that add up to exactly 100 (the last one takes the rounding)."""
    if count == 0:
        return []
    share = (Decimal(100) / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    shares = [share] * (count - 1) + [Decimal(100) - share * (count - 1)]
    return [str(int(value)) if value == value.to_integral() else str(value) for value in shares]
