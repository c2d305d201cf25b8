from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        # Tombstones for the API's deletions feed (catalog/tombstones.py).
        from catalog import tombstones

        tombstones.connect()
