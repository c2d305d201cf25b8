from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        # The change log's signal receivers: infrastructure that keeps the search index current
        # whatever writes an entry, not business logic (see search/changelog.py).
        from search import changelog

        changelog.connect_signals()
