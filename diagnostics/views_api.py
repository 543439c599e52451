"""Log uploads in the API: GET /api/log_requests/ (filter ?station=<identity>), /api/log_requests/<id>/
and /api/log_requests/<id>/download/ (the file). Send one with the get_log / get_diagnostics action."""
from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action

from diagnostics.models import LogRequest
from diagnostics.serializers import LogRequestSerializer
from diagnostics.views import log_file_response


class LogRequestViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LogRequestSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        queryset = LogRequest.objects.for_user(self.request.user).select_related("station").prefetch_related("events")
        identity = self.request.query_params.get("station")
        return queryset.filter(station__identity=identity) if identity else queryset

    @extend_schema(parameters=[OpenApiParameter("station", str, description="A station identity.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        log_request = self.get_object()
        if not log_request.file:
            raise Http404("The station has uploaded no file for this request.")
        return log_file_response(log_request)
