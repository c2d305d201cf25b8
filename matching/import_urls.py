from django.urls import path

from matching import import_views

app_name = "needs_import"

urlpatterns = [
    path("", import_views.upload, name="upload"),
    path("template.csv", import_views.template_csv, name="template_csv"),
    path("template.xlsx", import_views.template_xlsx, name="template_xlsx"),
    path("<slug:token>/", import_views.preview, name="preview"),
    path("<slug:token>/confirm/", import_views.confirm, name="confirm"),
    # The status of the import: in progress, imported or failed.
    path("<slug:token>/done/", import_views.status, name="done"),
]
