from django.contrib import admin
from django.urls import include, path

from exchange import health
from exchange.help import help_page
from reports import views as reports_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # The user and operations manual, built from docs/ (exchange/help.py).
    path("help/", help_page, name="help"),
    path("help/<path:path>", help_page, name="help-page"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("exchange.api_router")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The portal's own account pages (profile, invitations, organizations) beside allauth's.
    path("accounts/organizations/<int:pk>/webhooks/", include("webhooks.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("needs/import/", include("matching.import_urls")),
    path("needs/", include("matching.urls")),
    path("inbox/", include("notifications.urls")),
    path("search/", include("search.urls")),
    # Reports (staff, officers, partners) and the public statistics page.
    path("reports/", include("reports.urls")),
    path("statistics/", reports_views.statistics, name="statistics"),
    # Programme staff: partner sync progress and health, organization de-duplication.
    path("partners/", include("partners.urls")),
    # Partners harvest the catalogue (OAI-PMH) and export our matches (IATI activities).
    path("oai/", include("catalog.oai.urls")),
    path("exports/iati/", include("matching.iati_urls")),
    path("", include("catalog.urls")),
]
