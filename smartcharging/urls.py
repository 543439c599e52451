from django.urls import path

from smartcharging.views import site_limit_panel

app_name = "smartcharging"
urlpatterns = [
    path("locations/<int:pk>/site-limit/", site_limit_panel, name="site-limit-panel"),
]
