from django.contrib import admin
from django.urls import include, path

from exchange import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("exchange.api_router")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The portal's own account pages (profile, invitations, organizations) beside allauth's.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("needs/import/", include("matching.import_urls")),
    path("needs/", include("matching.urls")),
    path("inbox/", include("notifications.urls")),
    path("search/", include("search.urls")),
    path("", include("catalog.urls")),
]
