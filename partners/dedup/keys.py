"""The keys two descriptions of one organization share (`partners.dedup` explains them)."""

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from partners.models import OrganizationAlias

LEGAL_FORMS = frozenset(
    {
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "plc",
        "pty",
        "pvt",
        "private",
        "co",
        "corp",
        "corporation",
        "gmbh",
        "ggmbh",
        "ag",
        "ev",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "asbl",
    }
)
# Hosts where many unrelated organizations have a page: a shared host says nothing.
SHARED_HOSTS = frozenset(
    {
        "facebook.com",
        "linkedin.com",
        "twitter.com",
        "x.com",
        "instagram.com",
        "youtube.com",
        "google.com",
        "sites.google.com",
        "wordpress.com",
        "blogspot.com",
        "wixsite.com",
        "github.io",
        "github.com",
        "medium.com",
        "example.org",
        "example.com",
    }
)
_ABBREVIATION_DOTS = re.compile(r"\b(?:\w\.){2,}")
_NOT_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Lower case without accents: "Développement" -> "developpement"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def name_key(name: str) -> str:
    """The normalised name two spellings of one organization share (see the module docstring)."""
    text = _ABBREVIATION_DOTS.sub(lambda match: match.group(0).replace(".", ""), name)
    text = _fold(text.replace("&", " and "))
    words = _NOT_WORD.sub(" ", text).split()
    if words[:1] == ["the"] and len(words) > 1:
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def acronym_key(acronym: str) -> str:
    return _NOT_WORD.sub("", _fold(acronym))


def website_host(url: str) -> str:
    """ "https://WWW.icimod.org/about" -> "icimod.org"; "" for no URL or a shared host."""
    url = url.strip()
    if not url:
        return ""
    if "//" not in url:
        url = f"//{url}"
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    if host in SHARED_HOSTS or any(host.endswith(f".{shared}") for shared in SHARED_HOSTS):
        return ""
    return host


def _acronyms(name: str, acronym: str) -> set[str]:
    keys = {acronym_key(acronym)} if acronym.strip() else set()
    stripped = name.strip()
    # A one-word name in capitals is an acronym ("ICIMOD", "UN-Habitat" is not).
    if stripped and " " not in stripped and stripped.isupper() and len(stripped) <= 12:
        keys.add(acronym_key(stripped))
    return {key for key in keys if len(key) >= 2}


@dataclass(frozen=True)
class OrganizationKeys:
    """What de-duplication compares, for an organization or a record."""

    name: str
    acronyms: frozenset[str]
    country_iso3: str
    host: str


def organization_keys(
    *, name: str, acronym: str = "", country_iso3: str = "", website: str = ""
) -> OrganizationKeys:
    return OrganizationKeys(
        name=name_key(name),
        acronyms=frozenset(_acronyms(name, acronym)),
        country_iso3=country_iso3.upper(),
        host=website_host(website),
    )


def alias_key(kind: str, spelling: str) -> str:
    """The key an `OrganizationAlias` of `kind` is compared by: what `organization_keys` makes
    of a name, an acronym or a website."""
    if kind == OrganizationAlias.Kind.ACRONYM:
        key = acronym_key(spelling)[:255]
        return key if len(key) >= 2 else ""  # as `_acronyms` counts them
    if kind == OrganizationAlias.Kind.WEBSITE:
        return website_host(spelling)[:255]
    return name_key(spelling)[:255]
