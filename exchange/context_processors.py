from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    return {"PORTAL_VERSION": settings.PORTAL_VERSION}
