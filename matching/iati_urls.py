from django.urls import path

from matching.iati_views import iati_activities

app_name = "iati"

urlpatterns = [
    path("activities.xml", iati_activities, name="activities"),
]
