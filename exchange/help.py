"""`/help/`: the user and operations manual, the MkDocs site built from `docs/`.

`make run` and the Docker image build it into `HELP_SITE_DIR` (`mkdocs build -d var/help-site`;
`make test` builds it in strict mode into a scratch folder, tests/docs/). This view serves those
files, in development and in production alike: the manual is small and rarely read.
"""

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.static import serve

HELP_SITE_DIR: Path = Path(settings.BASE_DIR) / "var" / "help-site"


@require_safe
def help_page(request: HttpRequest, path: str = "") -> HttpResponseBase:
    site = HELP_SITE_DIR
    if not (site / "index.html").is_file():
        return render(request, "help/not_built.html", status=503)
    # MkDocs writes every page as <page>/index.html and links to <page>/.
    if path == "" or path.endswith("/"):
        path += "index.html"
    try:
        return serve(request, path, document_root=str(site))
    except Http404:
        # A page name without its slash (/help/officers) opens the page.
        if (site / path / "index.html").is_file():
            return serve(request, f"{path}/index.html", document_root=str(site))
        raise
