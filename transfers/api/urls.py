from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("actors", views.ActorViewSet, basename="actor")
router.register("people", views.PersonViewSet, basename="person")
router.register("systems", views.WeaponSystemViewSet, basename="system")
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("transfers", views.TransferViewSet, basename="transfer")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("sources", views.SourceViewSet, basename="source")
router.register("claims", views.ClaimViewSet, basename="claim")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]
