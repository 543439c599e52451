from django.urls import path

from certificates.views import ca_certificate

app_name = "certificates"
urlpatterns = [
    path("ca.pem", ca_certificate, name="ca-certificate"),
]
