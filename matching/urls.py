from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("", views.need_list, name="need_list"),
    path("mine/", views.my_needs, name="my_needs"),
    path("screening/", views.screening_list, name="screening_list"),
    path("new/", views.need_create, name="need_create"),
    path("<int:pk>/", views.need_detail, name="need_detail"),
    path("<int:pk>/edit/<slug:step>/", views.need_step, name="need_step"),
    path("<int:pk>/review/", views.need_review, name="need_review"),
    path("<int:pk>/screen/", views.need_screen, name="need_screen"),
    path("<int:pk>/open/", views.need_open, name="need_open"),
    path("<int:pk>/close/", views.need_close, name="need_close"),
    path("<int:pk>/matches/refresh/", views.need_matches_refresh, name="need_matches_refresh"),
    path("<int:pk>/matches/<int:match_pk>/<slug:step>/", views.match_step, name="match_step"),
]
