from django.urls import path, re_path

from diagnostics.uploads import TOKEN_PATTERN
from diagnostics.views import log_download, log_upload

urlpatterns = [
    # With or without a trailing slash or a file name after it: 1.6 stations append the file name
    # to the "directory" they were given (§5.9 location), others PUT to the URL as it is.
    re_path(rf"^diagnostics/upload/(?P<token>{TOKEN_PATTERN})/?$", log_upload, name="diagnostics-upload"),
    re_path(rf"^diagnostics/upload/(?P<token>{TOKEN_PATTERN})/(?P<filename>[^/]{{1,255}})$", log_upload),
    path("diagnostics/logs/<int:pk>/download/", log_download, name="diagnostics-download"),
]
