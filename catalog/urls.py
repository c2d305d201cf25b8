from django.urls import path, register_converter

from catalog import contribute_views, moderation_views, views
from catalog.pages import ModuleConverter

app_name = "catalog"

register_converter(ModuleConverter, "module")

urlpatterns = [
    path("", views.home, name="home"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    # Partners: their organizations' entries (catalog/contribute_views.py).
    path("contribute/", contribute_views.my_entries, name="my_entries"),
    path("contribute/new/<module:module>/", contribute_views.entry_new, name="contribute_new"),
    path("contribute/<int:pk>/", contribute_views.entry_edit, name="contribute_edit"),
    path("contribute/<int:pk>/submit/", contribute_views.entry_submit, name="contribute_submit"),
    path("contribute/<int:pk>/confirm/", contribute_views.entry_confirm, name="contribute_confirm"),
    # Programme staff: moderation (catalog/moderation_views.py).
    path("moderation/", moderation_views.moderation_queue, name="moderation_queue"),
    path("moderation/<int:pk>/", moderation_views.moderation_review, name="moderation_review"),
    path(
        "moderation/<int:pk>/publish/",
        moderation_views.moderation_publish,
        name="moderation_publish",
    ),
    path(
        "moderation/<int:pk>/return/",
        moderation_views.moderation_return,
        name="moderation_return",
    ),
    # /technologies/, /expertise/, ... one per module (catalog/pages.py).
    path("<module:module>/", views.entry_list, name="entry_list"),
    path("<module:module>/<int:pk>/", views.entry_detail, name="entry_detail"),
]
