"""schema.org JSON-LD for the detail pages, so that search engines and harvesters read an entry's
type, providers, countries and SDG targets without scraping the HTML.

The JSON goes inside a <script> element, where the HTML parser ends the element at the first
`</script>` whatever the JSON says: `json_ld_script` escapes <, > and & as JSON unicode escapes,
which leaves the data the same for a JSON parser.

The contact person of an entry (`contact_name`, `contact_email`) is personal data, shown only to
signed-in users: it is never part of this public data (tests/catalog/test_contacts_privacy.py).
"""

import json
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from catalog.models import Country, Entry, Organization

SCHEMA_TYPE_BY_MODULE: dict[str, str] = {
    Entry.Module.TECHNOLOGY: "CreativeWork",
    Entry.Module.EXPERTISE: "Service",
    Entry.Module.EXPERIENCE: "CreativeWork",
    Entry.Module.OPPORTUNITY: "EducationalOccupationalProgram",
    Entry.Module.NETWORK: "Organization",
    Entry.Module.EVENT: "Event",
}
# Where a type keeps the countries an entry concerns, and who stands behind it.
_PLACES_PROPERTY = {
    "CreativeWork": "spatialCoverage",
    "Service": "areaServed",
    "EducationalOccupationalProgram": "areaServed",
    "Organization": "areaServed",
    "Event": "about",  # an Event's `location` is its venue; see `_event_properties`
}
_PROVIDERS_PROPERTY = {
    "CreativeWork": "provider",
    "Service": "provider",
    "EducationalOccupationalProgram": "provider",
    "Organization": "member",
    "Event": "organizer",
}
SDG_TERM_SET = "https://unstats.un.org/sdgs/metadata/"

_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld_script(data: dict[str, Any]) -> SafeString:
    text = json.dumps(data, ensure_ascii=False, sort_keys=False).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 - escaped above


def _country(country: Country) -> dict[str, Any]:
    return {"@type": "Country", "name": country.name_en, "identifier": country.iso3}


def _organization(organization: Organization, request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "Organization",
        "name": organization.name,
        "url": request.build_absolute_uri(
            reverse("catalog:organization_detail", kwargs={"pk": organization.pk})
        ),
        "address": {"@type": "PostalAddress", "addressCountry": organization.country.iso2},
    }
    if organization.acronym:
        data["alternateName"] = organization.acronym
    return data


def entry_json_ld(entry: Entry, request: HttpRequest) -> dict[str, Any]:
    """The entry as a schema.org object (the detail page's prefetches cover every relation)."""
    schema_type = SCHEMA_TYPE_BY_MODULE[entry.module]
    url = request.build_absolute_uri(
        reverse("catalog:entry_detail", kwargs={"module": entry.module, "pk": entry.pk})
    )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": schema_type,
        "@id": url,
        "name": entry.title,
        "description": entry.summary,
        "url": url,
        "dateModified": entry.updated_at.isoformat(),
    }
    if schema_type != "Organization":
        data["inLanguage"] = entry.language
    if entry.published_at and schema_type == "CreativeWork":
        data["datePublished"] = entry.published_at.isoformat()
    providers = [link.organization for link in entry.provider_links.all()]
    if schema_type == "Organization":
        providers += list(entry.member_organizations.all())
    if providers:
        data[_PROVIDERS_PROPERTY[schema_type]] = [_organization(o, request) for o in providers]
    countries = {c.pk: c for c in entry.countries_of_origin.all()}
    countries.update({c.pk: c for c in entry.countries_applied.all()})
    places = [_country(c) for c in sorted(countries.values(), key=lambda c: c.name_en)]
    targets = [
        {
            "@type": "DefinedTerm",
            "termCode": target.code,
            "name": target.title_en,
            "inDefinedTermSet": SDG_TERM_SET,
        }
        for target in entry.sdg_targets.all()
    ]
    if schema_type == "Event":
        data.update(_event_properties(entry))
        about = places + targets
        if about:
            data["about"] = about
    else:
        if places:
            data[_PLACES_PROPERTY[schema_type]] = places
        if targets:
            data["about"] = targets
    themes = [theme.name for theme in entry.themes.all()]
    if themes and schema_type != "Organization":
        data["keywords"] = themes
    return data


def _event_properties(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if entry.starts_on:
        data["startDate"] = entry.starts_on.isoformat()
    if entry.ends_on:
        data["endDate"] = entry.ends_on.isoformat()
    if entry.is_online:
        data["eventAttendanceMode"] = "https://schema.org/OnlineEventAttendanceMode"
        data["location"] = {"@type": "VirtualLocation"}
    elif entry.venue or entry.venue_country:
        data["eventAttendanceMode"] = "https://schema.org/OfflineEventAttendanceMode"
        place: dict[str, Any] = {"@type": "Place", "name": entry.venue}
        if entry.venue_country:
            place["name"] = entry.venue or entry.venue_country.name_en
            place["address"] = {
                "@type": "PostalAddress",
                "addressCountry": entry.venue_country.iso2,
            }
        data["location"] = place
    return data


def organization_json_ld(organization: Organization, request: HttpRequest) -> dict[str, Any]:
    url = request.build_absolute_uri(
        reverse("catalog:organization_detail", kwargs={"pk": organization.pk})
    )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": url,
        "name": organization.name,
        "url": url,
        "dateModified": organization.updated_at.isoformat(),
        "address": {"@type": "PostalAddress", "addressCountry": organization.country.iso2},
        "location": _country(organization.country),
    }
    if organization.acronym:
        data["alternateName"] = organization.acronym
    if organization.description:
        data["description"] = organization.description
    if organization.website:
        data["sameAs"] = [organization.website]
    if organization.contact_email:
        data["email"] = organization.contact_email
    return data
