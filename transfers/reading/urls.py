from django.urls import path

from . import views

app_name = "reading"

urlpatterns = [
    path("", views.RegisterView.as_view(), name="register"),
    path("deals/<str:reference>/", views.DealView.as_view(), name="deal"),
    path("actors/<str:code>/", views.ActorView.as_view(), name="actor"),
    path("flows/", views.FlowsView.as_view(), name="flows"),
    path("search/", views.SearchView.as_view(), name="search"),
]
