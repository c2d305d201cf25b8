from django.urls import path

from catalog.oai.views import oai_endpoint

app_name = "oai"

urlpatterns = [
    path("", oai_endpoint, name="endpoint"),
]
