from django.urls import path

from accounts import api_key_views, views

app_name = "accounts"

# Beside django-allauth's pages, which are mounted at /accounts/ after these (exchange/urls.py).
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("request-access/", views.request_access, name="request_access"),
    path("request-access/sent/", views.request_access_sent, name="request_access_sent"),
    path("access-requests/", views.access_request_list, name="access_request_list"),
    path("access-requests/<int:pk>/", views.access_request_detail, name="access_request_detail"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/<int:pk>/cancel/", views.invitation_cancel, name="invitation_cancel"),
    path("invitations/<str:key>/", views.invitation_accept, name="invitation_accept"),
    path(
        "organizations/<int:pk>/members/",
        views.organization_members,
        name="organization_members",
    ),
    path(
        "organizations/<int:pk>/members/<int:membership_pk>/role/",
        views.membership_role,
        name="membership_role",
    ),
    path(
        "organizations/<int:pk>/members/<int:membership_pk>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path("organizations/<int:pk>/profile/", views.organization_edit, name="organization_edit"),
    path("organizations/<int:pk>/api-keys/", api_key_views.api_key_list, name="api_key_list"),
    path(
        "organizations/<int:pk>/api-keys/<int:key_pk>/revoke/",
        api_key_views.api_key_revoke,
        name="api_key_revoke",
    ),
    path("privacy/erase/", views.erasure_request, name="erasure_request"),
    path("privacy/erase/sent/", views.erasure_request_sent, name="erasure_request_sent"),
    path("privacy/confirm/<str:key>/", views.erasure_confirm, name="erasure_confirm"),
    path("privacy/requests/", views.erasure_request_list, name="erasure_request_list"),
    path(
        "privacy/requests/<int:pk>/erase/",
        views.erasure_request_erase,
        name="erasure_request_erase",
    ),
]
