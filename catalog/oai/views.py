from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from catalog.oai.protocol import respond


@csrf_exempt  # Harvesters POST the arguments as a form; nothing is changed.
@require_http_methods(["GET", "HEAD", "POST"])
def oai_endpoint(request: HttpRequest) -> HttpResponse:
    arguments = request.POST if request.method == "POST" else request.GET
    base_url = request.build_absolute_uri(request.path)
    # Responses are in English whatever the harvester's Accept-Language, like their metadata.
    with translation.override("en"):
        body = respond(dict(arguments.lists()), base_url=base_url)
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
