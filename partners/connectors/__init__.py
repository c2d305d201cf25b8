"""Connectors by protocol: `connector_for(source)` gives the one for a partner source.

Every page a connector yields carries a checkpoint (never None): where to resume after that
page, and for the last page of a fetch, where the next run starts. A fetch that finds nothing
new may yield no page at all (an unchanged IATI file), which leaves the checkpoint as it was.

The spreadsheet connector reads the file staff last uploaded for the source
(partners/spreadsheet_uploads.py). The demo content is not registered: `connector_for` raises
`LookupError` for it.
"""

from collections.abc import Callable

from partners.connectors.base import Connector
from partners.connectors.ckan import CkanConnector
from partners.connectors.exchange import ExchangeConnector
from partners.connectors.http import Fetcher
from partners.connectors.iati import IatiConnector
from partners.connectors.oai import OaiPmhConnector
from partners.connectors.spreadsheet import SpreadsheetConnector
from partners.models import PartnerSource

CONNECTORS: dict[str, Callable[..., Connector]] = {
    PartnerSource.Connector.IATI: IatiConnector,
    PartnerSource.Connector.OAI_PMH: OaiPmhConnector,
    PartnerSource.Connector.CKAN: CkanConnector,
    PartnerSource.Connector.EXCHANGE: ExchangeConnector,
    PartnerSource.Connector.SPREADSHEET: SpreadsheetConnector,
}


def connector_for(
    source: PartnerSource, *, credentials: str = "", fetcher: Fetcher | None = None
) -> Connector:
    """A connector reading `source` with a fresh `Fetcher` (the limits in settings) unless one
    is given. `credentials` is the secret itself (an API key), never stored by the connector
    beyond the run."""
    try:
        make = CONNECTORS[source.connector]
    except KeyError:
        raise LookupError(f"No connector harvests sources of type {source.connector!r}.") from None
    return make(source, fetcher or Fetcher(), credentials=credentials)
