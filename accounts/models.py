from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailUserManager(UserManager["User"]):
    """Users sign in with their e-mail address; the username mirrors it."""

    def _normalize(self, email: str | None) -> str:
        if not email:
            raise ValueError("An e-mail address is required.")
        return self.normalize_email(email).lower()

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> "User":
        email = self._normalize(email)
        extra_fields.setdefault("username", email)
        return super().create_user(email=email, password=password, **extra_fields)  # type: ignore[arg-type]

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> "User":
        email = self._normalize(email)
        extra_fields.setdefault("username", email)
        return super().create_superuser(email=email, password=password, **extra_fields)  # type: ignore[arg-type]


class User(AbstractUser):
    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects = EmailUserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.get_full_name() or self.email
