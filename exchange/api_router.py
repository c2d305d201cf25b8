"""The REST API's routes, mounted at /api/v1/ (exchange/urls.py); README, "REST API"."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts.api.views import ApiKeyViewSet
from catalog.api.dcat import CatalogViewSet
from catalog.api.views import (
    CountryViewSet,
    DeletionViewSet,
    EntryViewSet,
    OrganizationViewSet,
    RegionViewSet,
    SdgGoalViewSet,
    SdgTargetViewSet,
    SupportKindViewSet,
    ThemeViewSet,
)
from exchange.api_errors import not_found
from matching.api.views import EntryNeedsViewSet, MatchViewSet, NeedViewSet
from partners.api.views import PartnerSourceViewSet, SyncRunViewSet
from reports.api.views import ReportRunViewSet, ReportTypeViewSet
from search.api.views import SavedSearchViewSet
from webhooks.api.views import DeliveryViewSet, WebhookViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("entries", EntryViewSet, basename="entry")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("needs", NeedViewSet, basename="need")
router.register(
    r"entries/(?P<entry_id>[0-9]{1,18})/needs", EntryNeedsViewSet, basename="entry-needs"
)
router.register("matches", MatchViewSet, basename="match")
router.register("deletions", DeletionViewSet, basename="deletion")
router.register("saved-searches", SavedSearchViewSet, basename="saved-search")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("partner-sources", PartnerSourceViewSet, basename="partner-source")
router.register("sync-runs", SyncRunViewSet, basename="sync-run")
router.register("reports", ReportTypeViewSet, basename="report-type")
router.register("report-runs", ReportRunViewSet, basename="report-run")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<webhook_id>[0-9]{1,18})/deliveries", DeliveryViewSet, basename="webhook-delivery"
)
router.register("countries", CountryViewSet, basename="country")
router.register("regions", RegionViewSet, basename="region")
router.register("themes", ThemeViewSet, basename="theme")
router.register("sdg-goals", SdgGoalViewSet, basename="sdg-goal")
router.register("sdg-targets", SdgTargetViewSet, basename="sdg-target")
router.register("support-kinds", SupportKindViewSet, basename="support-kind")
router.register("catalog", CatalogViewSet, basename="catalog")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
    # Any other path, newlines included (an id with "%0A" in it), is a problem-detail 404.
    re_path(r"^[\s\S]*$", not_found, name="not_found"),
]
