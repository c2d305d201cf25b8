from django.contrib import admin
from django.urls import include, path

from exchange import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Django's login and logout until the accounts issue brings sign-up and profiles.
    path("accounts/", include("django.contrib.auth.urls")),
    path("search/", include("search.urls")),
    path("", include("catalog.urls")),
]
