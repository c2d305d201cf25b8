from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        # Entry, need and strong-match events (webhooks/events.py).
        from webhooks import events

        events.connect()
