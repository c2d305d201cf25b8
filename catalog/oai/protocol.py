"""The six OAI-PMH 2.0 verbs: a request's arguments in, the XML response out.

Every protocol error is answered as the protocol asks (HTTP 200, an `error` element with its
code): badVerb, badArgument, badResumptionToken, cannotDisseminateFormat, idDoesNotExist,
noRecordsMatch. Two never arise: noSetHierarchy (the repository has sets) and noMetadataFormats
(every record, deleted ones included, is disseminated as oai_dc).

Resumption tokens are stateless: the list's arguments and the last (datestamp, entry id) sent,
signed with Django's signing (SECRET_KEY, a salt of their own) so that a harvester can neither
forge nor alter one, and valid for `TOKEN_MAX_AGE`; an expired, altered or foreign token is a
badResumptionToken.
"""

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from catalog.oai import records, render
from catalog.oai.records import Position, RecordFilter, RecordRef

METADATA_FORMATS = {"oai_dc": (render.OAI_DC_SCHEMA, render.OAI_DC_NS)}
TOKEN_SALT = "catalog.oai.resumption-token"  # noqa: S105 (a salt, not a secret)
TOKEN_MAX_AGE = datetime.timedelta(hours=24)
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_IDENTIFIER = re.compile(r"^oai:(?P<repository>[^:]+):entry/(?P<id>[1-9][0-9]{0,17})$")
# The oai-identifier scheme wants a domain name as repository identifier.
_DOMAIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Verb:
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    exclusive: str | None = None


_LIST = Verb(
    required=frozenset({"metadataPrefix"}),
    optional=frozenset({"from", "until", "set"}),
    exclusive="resumptionToken",
)
VERBS = {
    "Identify": Verb(),
    "ListMetadataFormats": Verb(optional=frozenset({"identifier"})),
    "ListSets": Verb(exclusive="resumptionToken"),
    "ListIdentifiers": _LIST,
    "ListRecords": _LIST,
    "GetRecord": Verb(required=frozenset({"identifier", "metadataPrefix"})),
}


@dataclass(frozen=True)
class ListState:
    """What a resumption token carries: the list asked for and how far it was sent."""

    verb: str
    metadata_prefix: str
    record_filter: RecordFilter
    after: Position | None
    cursor: int
    size: int | None = None


def respond(
    arguments: Mapping[str, Sequence[str]], *, base_url: str, now: datetime.datetime | None = None
) -> bytes:
    """The response to a request whose arguments are `arguments` (each name with every value
    it was given, as `QueryDict.lists()` gives them)."""
    now = now or timezone.now()
    verbs = list(arguments.get("verb", []))
    if len(verbs) != 1 or verbs[0] not in VERBS:
        root = render.envelope(now=now, base_url=base_url, request_args=None)
        render.add_error(root, "badVerb", _("Give one verb among: %s.") % ", ".join(VERBS))
        return render.serialize(root)
    verb = verbs[0]
    try:
        args = _arguments(verb, arguments)
    except OaiError as error:
        root = render.envelope(now=now, base_url=base_url, request_args=None)
        render.add_error(root, error.code, error.message)
        return render.serialize(root)
    root = render.envelope(now=now, base_url=base_url, request_args={"verb": verb, **args})
    try:
        HANDLERS[verb](root, args, base_url, now)
    except OaiError as error:
        # Drop whatever the handler had added: an error response holds only errors.
        for child in list(root)[2:]:
            root.remove(child)
        if error.code == "badArgument":
            # The request element then carries the base URL alone (an argument may be invalid).
            root[1].attrib.clear()
        render.add_error(root, error.code, error.message)
    return render.serialize(root)


def _arguments(verb: str, arguments: Mapping[str, Sequence[str]]) -> dict[str, str]:
    spec = VERBS[verb]
    args: dict[str, str] = {}
    for name, values in arguments.items():
        if name == "verb":
            continue
        if len(values) != 1:
            raise OaiError("badArgument", _("The argument %s is repeated.") % name)
        allowed = spec.required | spec.optional | ({spec.exclusive} if spec.exclusive else set())
        if name not in allowed:
            raise OaiError(
                "badArgument",
                _("%(verb)s takes no argument %(name)s.")
                % {
                    "verb": verb,
                    "name": name,
                },
            )
        args[name] = values[0]
    if spec.exclusive and spec.exclusive in args:
        if len(args) > 1:
            raise OaiError(
                "badArgument", _("%s cannot be combined with other arguments.") % spec.exclusive
            )
        return args
    missing = sorted(spec.required - set(args))
    if missing:
        raise OaiError(
            "badArgument",
            _("%(verb)s needs the argument %(names)s.")
            % {
                "verb": verb,
                "names": ", ".join(missing),
            },
        )
    return args


# Verbs ------------------------------------------------------------------------------------------


def _identify(root: etree._Element, args: dict[str, str], base_url: str, now: Any) -> None:
    identify = etree.SubElement(root, f"{{{render.OAI_NS}}}Identify")
    earliest = records.earliest_datestamp() or now
    oai = render.OAI_NS
    for tag, text in (
        ("repositoryName", "South-South Exchange"),
        ("baseURL", base_url),
        ("protocolVersion", "2.0"),
        ("adminEmail", settings.OAI_ADMIN_EMAIL),
        ("earliestDatestamp", render.datestamp(earliest)),
        ("deletedRecord", "persistent"),
        ("granularity", GRANULARITY),
    ):
        etree.SubElement(identify, f"{{{oai}}}{tag}").text = render.xml_text(text)
    repository = settings.OAI_REPOSITORY_IDENTIFIER
    if _DOMAIN.match(repository):
        description = etree.SubElement(identify, f"{{{oai}}}description")
        ns = render.OAI_IDENTIFIER_NS
        identifier = etree.SubElement(
            description,
            f"{{{ns}}}oai-identifier",
            nsmap={None: ns, "xsi": render.XSI_NS},  # type: ignore[dict-item]
        )
        identifier.set(f"{{{render.XSI_NS}}}schemaLocation", f"{ns} {render.OAI_IDENTIFIER_SCHEMA}")
        for tag, text in (
            ("scheme", "oai"),
            ("repositoryIdentifier", repository),
            ("delimiter", ":"),
            ("sampleIdentifier", render.oai_identifier(1)),
        ):
            etree.SubElement(identifier, f"{{{ns}}}{tag}").text = text


def _list_metadata_formats(
    root: etree._Element, args: dict[str, str], base_url: str, now: Any
) -> None:
    if "identifier" in args:
        _record_of(args["identifier"])
    formats = etree.SubElement(root, f"{{{render.OAI_NS}}}ListMetadataFormats")
    for prefix, (schema, namespace) in METADATA_FORMATS.items():
        item = etree.SubElement(formats, f"{{{render.OAI_NS}}}metadataFormat")
        for tag, text in (
            ("metadataPrefix", prefix),
            ("schema", schema),
            ("metadataNamespace", namespace),
        ):
            etree.SubElement(item, f"{{{render.OAI_NS}}}{tag}").text = text


def _list_sets(root: etree._Element, args: dict[str, str], base_url: str, now: Any) -> None:
    if "resumptionToken" in args:
        # The list of sets always comes whole: no token of ours leads here.
        raise OaiError("badResumptionToken", _("ListSets issues no resumption tokens."))
    sets = etree.SubElement(root, f"{{{render.OAI_NS}}}ListSets")
    for oai_set in records.oai_sets():
        item = etree.SubElement(sets, f"{{{render.OAI_NS}}}set")
        etree.SubElement(item, f"{{{render.OAI_NS}}}setSpec").text = oai_set.spec
        etree.SubElement(item, f"{{{render.OAI_NS}}}setName").text = render.xml_text(oai_set.name)


def _get_record(root: etree._Element, args: dict[str, str], base_url: str, now: Any) -> None:
    _check_prefix(args["metadataPrefix"])
    ref = _record_of(args["identifier"])
    get_record = etree.SubElement(root, f"{{{render.OAI_NS}}}GetRecord")
    _add_records(get_record, [ref], with_metadata=True)


def _list(root: etree._Element, args: dict[str, str], base_url: str, now: Any) -> None:
    verb = root[1].get("verb")
    assert verb is not None
    if "resumptionToken" in args:
        state = token_read(args["resumptionToken"], verb=verb)
    else:
        state = ListState(
            verb=verb,
            metadata_prefix=_check_prefix(args["metadataPrefix"]),
            record_filter=_record_filter(args),
            after=None,
            cursor=0,
        )
    page_size = max(1, settings.OAI_PAGE_SIZE)
    refs = records.record_refs(state.record_filter, after=state.after, limit=page_size + 1)
    if not refs:
        raise OaiError("noRecordsMatch", _("No records match these arguments."))
    more = len(refs) > page_size
    refs = refs[:page_size]
    element = etree.SubElement(root, f"{{{render.OAI_NS}}}{verb}")
    _add_records(element, refs, with_metadata=verb == "ListRecords")
    if not more and state.after is None:
        return  # The whole list fits in one response.
    token = etree.SubElement(element, f"{{{render.OAI_NS}}}resumptionToken")
    sent = state.cursor + len(refs)
    # The size is counted once, when the list starts, and carried in the tokens: counting at
    # every page would cost a scan of the rest of the list each time. Entries changed meanwhile
    # come again at the end, so it grows when the harvest goes past it; the last page is exact.
    if state.size is None:
        size = records.record_count(state.record_filter)
    else:
        size = max(state.size, sent + 1) if more else sent
    if more:
        following = ListState(
            verb=verb,
            metadata_prefix=state.metadata_prefix,
            record_filter=state.record_filter,
            after=refs[-1].position,
            cursor=sent,
            size=size,
        )
        token.text = token_issue(following)
        token.set("expirationDate", render.datestamp(now + TOKEN_MAX_AGE))
    token.set("completeListSize", str(size))
    token.set("cursor", str(state.cursor))


HANDLERS: dict[str, Callable[[etree._Element, dict[str, str], str, Any], None]] = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "ListIdentifiers": _list,
    "ListRecords": _list,
    "GetRecord": _get_record,
}


# Helpers ----------------------------------------------------------------------------------------


def _check_prefix(prefix: str) -> str:
    if prefix not in METADATA_FORMATS:
        raise OaiError(
            "cannotDisseminateFormat",
            _("The metadata format %(prefix)s is not offered; use one of: %(known)s.")
            % {"prefix": prefix, "known": ", ".join(METADATA_FORMATS)},
        )
    return prefix


def _record_of(identifier: str) -> RecordRef:
    match = _IDENTIFIER.match(identifier)
    ref = None
    if match and match["repository"] == settings.OAI_REPOSITORY_IDENTIFIER:
        ref = records.record_ref(int(match["id"]))
    if ref is None:
        raise OaiError(
            "idDoesNotExist", _("%s is not the identifier of a record here.") % identifier
        )
    return ref


def _parse_datestamp(value: str, name: str) -> tuple[datetime.datetime, datetime.timedelta]:
    """The moment a `from` or `until` argument names, and the length of its granule."""
    try:
        if _DAY.match(value):
            day = datetime.date.fromisoformat(value)
            return (
                datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC),
                datetime.timedelta(days=1),
            )
        if _SECOND.match(value):
            moment = datetime.datetime.strptime(value[:-1] + "+0000", "%Y-%m-%dT%H:%M:%S%z")
            return moment, datetime.timedelta(seconds=1)
    except ValueError:
        pass
    raise OaiError(
        "badArgument",
        _("%(name)s must be a date YYYY-MM-DD or a UTC time YYYY-MM-DDThh:mm:ssZ, not %(value)s.")
        % {"name": name, "value": value},
    )


def _record_filter(args: dict[str, str]) -> RecordFilter:
    since = before = None
    granules = []
    if "from" in args:
        since, granule = _parse_datestamp(args["from"], "from")
        granules.append(granule)
    if "until" in args:
        until, granule = _parse_datestamp(args["until"], "until")
        granules.append(granule)
        before = until + granule
        if since is not None and since > until:
            raise OaiError("badArgument", _("from is later than until."))
    if len(set(granules)) > 1:
        raise OaiError("badArgument", _("from and until must have the same granularity."))
    set_spec = args.get("set")
    if set_spec is not None and not records.set_exists(set_spec):
        raise OaiError("noRecordsMatch", _("There is no set %s.") % set_spec)
    return RecordFilter(set_spec=set_spec, since=since, before=before)


def _add_records(parent: etree._Element, refs: list[RecordRef], *, with_metadata: bool) -> None:
    # Deleted records keep their sets while the entry is still in the database.
    entries = records.entries_by_id([ref.entry_id for ref in refs], with_metadata=with_metadata)
    for ref in refs:
        entry = entries.get(ref.entry_id)
        sets = records.entry_set_specs(entry) if entry is not None else []
        container = parent
        if with_metadata:
            container = etree.SubElement(parent, f"{{{render.OAI_NS}}}record")
        render.add_header(
            container,
            entry_id=ref.entry_id,
            stamp=ref.datestamp,
            deleted=ref.deleted,
            set_specs=sets,
        )
        if with_metadata and not ref.deleted and entry is not None:
            render.add_oai_dc(container, entry)


# Resumption tokens ------------------------------------------------------------------------------


def _moment(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def token_issue(state: ListState) -> str:
    record_filter = state.record_filter
    payload = {
        "verb": state.verb,
        "prefix": state.metadata_prefix,
        "set": record_filter.set_spec,
        "since": _moment(record_filter.since),
        "before": _moment(record_filter.before),
        "after": [_moment(state.after.datestamp), state.after.entry_id] if state.after else None,
        "cursor": state.cursor,
        "size": state.size,
    }
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def token_read(token: str, *, verb: str) -> ListState:
    """The state a token carries; badResumptionToken when it is expired, altered, not ours,
    or issued for another verb."""
    bad = OaiError(
        "badResumptionToken", _("This resumption token is not valid or has expired; start again.")
    )
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise bad from None
    try:
        if payload["verb"] != verb:
            raise bad
        after_stamp, after_id = payload["after"]

        def moment(value: str | None) -> datetime.datetime | None:
            return datetime.datetime.fromisoformat(value) if value else None

        stamp = moment(after_stamp)
        assert stamp is not None
        set_spec = payload["set"]
        if set_spec is not None and not records.set_exists(set_spec):
            raise bad  # A theme removed since.
        return ListState(
            verb=verb,
            metadata_prefix=_check_prefix(payload["prefix"]),
            record_filter=RecordFilter(
                set_spec=set_spec,
                since=moment(payload["since"]),
                before=moment(payload["before"]),
            ),
            after=Position(stamp, int(after_id)),
            cursor=int(payload["cursor"]),
            size=int(payload["size"]),
        )
    except (KeyError, TypeError, ValueError, AssertionError, OaiError):
        raise bad from None
