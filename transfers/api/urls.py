from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from ..articles.api import ArticleViewSet
from . import views
from .exceptions import api_not_found

router = DefaultRouter()
router.register("actors", views.ActorViewSet, basename="actor")
router.register("people", views.PersonViewSet, basename="person")
router.register("systems", views.WeaponSystemViewSet, basename="system")
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("transfers", views.TransferViewSet, basename="transfer")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("sources", views.SourceViewSet, basename="source")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("releases", views.ReleaseViewSet, basename="release")
router.register("changes", views.ChangeViewSet, basename="change")
router.register("articles", ArticleViewSet, basename="article")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
    # Anything else under /api/ is a JSON 404, also with DEBUG on (Django's debug page
    # would answer 24 KB of HTML). Paths without the slash are redirected here first.
    re_path(r"^.*/$", csrf_exempt(api_not_found)),
]
