from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from accounts.models import Invitation, User

# The key of the invitation whose link opened this session's sign-up (accounts/views.py).
INVITATION_SESSION_KEY = "accounts_invitation_key"


def invitation_from_session(request: HttpRequest) -> Invitation | None:
    """The usable invitation this browser followed, if any."""
    key = request.session.get(INVITATION_SESSION_KEY)
    if not key:
        return None
    return Invitation.objects.usable().filter(key=key).first()


def set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The address django-axes counts failures against. allauth authenticates with
    `{"email": ..., "password": ...}`; the sign-in form posts it as `login`. Lower-cased, so
    that "Amina@" and "amina@" are one account to lock."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("login") or request.POST.get("login")
    return str(value or "").strip().lower()


class AccountAdapter(DefaultAccountAdapter):
    """The portal's account rules on top of django-allauth's flows."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are opened only through a valid invitation link (accounts/views.py,
        # `invitation_accept`); the sign-up form then applies it (accounts/forms.py).
        return invitation_from_session(request) is not None

    def populate_username(self, request: HttpRequest, user: Any) -> None:
        # The username mirrors the e-mail address, as for users made by `create_user`.
        user.username = (user.email or "").lower()

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        # The preferred language applies from sign-in on, in this browser (LocaleMiddleware
        # reads the cookie), whatever the browser's own language.
        language = getattr(user, "preferred_language", "")
        if language:
            translation.activate(language)
        response = super().post_login(request, user, **kwargs)
        if language:
            set_language_cookie(response, language)
        return response

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Account mail (password reset, verification...) in the recipient's language.
        language = (
            User.objects.filter(email__iexact=email)
            .values_list("preferred_language", flat=True)
            .first()
        )
        if language:
            with translation.override(language):
                super().send_mail(template_prefix, email, context)
        else:
            super().send_mail(template_prefix, email, context)
