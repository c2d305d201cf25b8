from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.models import User
from exchange.errors import ApplicationError
from search.models import SavedSearch


@transaction.atomic
def saved_search_create(
    *, user: User, name: str, query_string: str, email_digest: bool = True
) -> SavedSearch:
    saved_search = SavedSearch(
        user=user, name=name, query_string=query_string, email_digest=email_digest
    )
    try:
        # A savepoint, so that the outer transaction survives the failed insert.
        with transaction.atomic():
            saved_search.save()
    except IntegrityError as exc:
        # Two saves of the same name at once: the form's check saw neither.
        raise ApplicationError(
            gettext("You already have a saved search named “%(name)s”. Choose another name.")
            % {"name": name}
        ) from exc
    return saved_search


@transaction.atomic
def saved_search_delete(*, saved_search: SavedSearch) -> None:
    saved_search.delete()
