from django.urls import path, register_converter

from catalog import views
from catalog.pages import ModuleConverter

app_name = "catalog"

register_converter(ModuleConverter, "module")

urlpatterns = [
    path("", views.home, name="home"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    # /technologies/, /expertise/, ... one per module (catalog/pages.py).
    path("<module:module>/", views.entry_list, name="entry_list"),
    path("<module:module>/<int:pk>/", views.entry_detail, name="entry_detail"),
]
