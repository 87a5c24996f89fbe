from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/", include("transfers.api.urls")),
]

handler400 = "transfers.api.exceptions.api_bad_request"
handler403 = "transfers.api.exceptions.api_permission_denied"
handler404 = "transfers.api.exceptions.api_not_found"
handler500 = "transfers.api.exceptions.api_server_error"
