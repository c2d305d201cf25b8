from django.urls import path

from partners import spreadsheet_views, views

app_name = "partners"

# Programme staff only (each view checks it).
urlpatterns = [
    path("sources/", views.source_list, name="source_list"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/status.json", views.run_status, name="run_status"),
    path("conflicts/<int:pk>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path("organizations/duplicates/", views.duplicate_list, name="duplicates"),
    path("organizations/merge/", views.organization_merge, name="organization_merge"),
    # Spreadsheets of entries uploaded by staff (partners/spreadsheet_views.py).
    path(
        "spreadsheets/template.xlsx",
        spreadsheet_views.template_xlsx,
        name="spreadsheet_template_xlsx",
    ),
    path(
        "spreadsheets/template.csv", spreadsheet_views.template_csv, name="spreadsheet_template_csv"
    ),
    path("spreadsheets/upload/", spreadsheet_views.upload, name="spreadsheet_upload"),
    path("spreadsheets/<str:token>/", spreadsheet_views.preview, name="spreadsheet_preview"),
    path(
        "spreadsheets/<str:token>/confirm/",
        spreadsheet_views.confirm,
        name="spreadsheet_confirm",
    ),
]
