from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/", include("transfers.api.urls")),
    # The reading room: public pages at the root (the register at /), after the API and admin.
    path("", include("transfers.reading.urls")),
]

handler400 = "transfers.api.exceptions.api_bad_request"
handler403 = "transfers.api.exceptions.api_permission_denied"
handler404 = "transfers.api.exceptions.api_not_found"
handler500 = "transfers.api.exceptions.api_server_error"
