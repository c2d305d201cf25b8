from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    path("", views.search, name="search"),
    path("export.csv", views.export_csv, name="export"),
    path("saved/", views.saved_list, name="saved_list"),
    path("saved/<int:pk>/delete/", views.saved_delete, name="saved_delete"),
]
