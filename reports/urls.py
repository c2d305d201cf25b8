from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("saved/", views.saved_list, name="saved_list"),
    path("saved/<int:pk>/", views.saved_edit, name="saved_edit"),
    path("saved/<int:pk>/delete/", views.saved_delete, name="saved_delete"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/status.json", views.run_status, name="run_status"),
    path("runs/<int:pk>/save/", views.saved_create, name="saved_create"),
    path("runs/<int:pk>/download/<str:output_format>/", views.run_download, name="download"),
    path("runs/<int:pk>/tables/<slug:table>.csv", views.table_download, name="table_csv"),
    path("<slug:slug>/", views.report_request, name="request"),
]
