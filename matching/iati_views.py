from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.api.authentication import SCHEMES
from accounts.api_keys import KeyRefused, api_key_check
from accounts.models import ApiKey, User
from matching.iati_export import iati_activities_xml, matches_for_export


@require_GET
def iati_activities(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The matches the requester may see, as IATI activities: a person signed in, or an
    organization's API key with the "read" scope (`Authorization: Bearer <key>`)."""
    scheme, _sep, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() in SCHEMES:
        try:
            key = api_key_check(raw.strip())
        except KeyRefused as refused:
            return _refused(401, refused.message)
        if not key.has_scope(ApiKey.Scope.READ):
            return _refused(403, _("This API key lacks the “read” scope."))
        matches = matches_for_export(key=key)
    elif isinstance(request.user, User) and request.user.is_active:
        matches = matches_for_export(user=request.user)
    else:
        return redirect_to_login(request.get_full_path())
    # The 2.03 schema wants at least one activity in a document.
    if not matches.exists():
        return _refused(404, _("There are no agreed or completed matches to export."))
    response = StreamingHttpResponse(
        iati_activities_xml(matches), content_type="application/xml; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="iati-activities.xml"'
    return response


def _refused(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
