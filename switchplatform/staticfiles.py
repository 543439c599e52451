"""Static files as daphne serves them in the embedded setup (SERVE_STATIC)."""
from __future__ import annotations

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.http import Http404


class StaticFilesHandler(ASGIStaticFilesHandler):
    """Django's handler, answering 404 to paths outside the static directories.

    Django's own handler catches only Http404: `/static/../../etc/passwd` raised
    SuspiciousFileOperation from the finders and a NUL byte raised ValueError, both answered 500.
    No file is ever read outside the static directories either way; this only makes the answer true.
    """

    def serve(self, request):
        try:
            return super().serve(request)
        except (SuspiciousOperation, ValueError) as exc:
            raise Http404("No such static file.") from exc
