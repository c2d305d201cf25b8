"""django-simple-history, also for many-to-many changes made from the other side."""

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords


class History(HistoricalRecords):
    """`HistoricalRecords` that also records `theme.entries.add(entry)`.

    django-simple-history handles only the forward side (`entry.themes.add(theme)`): from the
    reverse side its handler looks for a history on the theme and fails. Here the reverse side
    records a new version of each model row whose relation changed, as the forward side does.
    """

    def m2m_changed(  # type: ignore[override]
        self,
        instance: models.Model,
        action: str,
        attr: str,
        pk_set: set[Any] | None,
        reverse: bool,
        model: type[models.Model],
        **kwargs: Any,
    ) -> None:
        if not reverse:
            super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
            return
        field = self.cls._meta.get_field(attr)
        assert isinstance(field, models.ManyToManyField)
        through = field.remote_field.through
        assert isinstance(through, type)
        stash = f"_history_clearing_{attr}"
        if action == "pre_clear":
            # After the clear there is no telling which rows were linked: note them now.
            setattr(
                instance,
                stash,
                list(
                    through._default_manager.filter(
                        **{field.m2m_reverse_name(): instance.pk}
                    ).values_list(field.m2m_column_name(), flat=True)
                ),
            )
            return
        if action == "post_clear":
            changed = getattr(instance, stash, [])
        elif action in ("post_add", "post_remove"):
            changed = list(pk_set or ())
        else:
            return
        for row in self.cls._default_manager.filter(pk__in=changed):
            self.create_historical_record(row, "~")
