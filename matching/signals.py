"""Signals of matching for other apps to listen to."""

from django.dispatch import Signal

# Sent by `need_suggestions_refresh`, inside its transaction, after it stored a need's
# suggestions (bulk writes, which send no model signals): `need_id`, and `ranked_at`, the
# moment every suggestion it created or rescored carries. Webhooks listen (webhooks/events.py).
suggestions_stored = Signal()
