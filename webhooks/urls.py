"""Mounted at /accounts/organizations/<pk>/webhooks/ (exchange/urls.py)."""

from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("<int:webhook_pk>/toggle/", views.webhook_toggle, name="toggle"),
    path("<int:webhook_pk>/delete/", views.webhook_delete, name="delete"),
]
