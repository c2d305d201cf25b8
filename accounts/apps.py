from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Registers the object-level rules with django-rules.
        from accounts import permissions  # noqa: F401
