from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from networks.api import NetworkScopedViewSet
from sessions.exports import csv_response, file_chunks, streaming_response
from sessions.filters import FILTER_NAMES, SessionFilter, session_filter_params
from sessions.models import Export, ExportStatus, IdToken, IdTokenGroup, LocalListVersion, Session, StationLocalList
from sessions.serializers import (
    ExportSerializer,
    IdTokenGroupSerializer,
    IdTokenSerializer,
    LocalListNetworkSendSerializer,
    LocalListVersionSerializer,
    MeterSampleSerializer,
    SessionSerializer,
    StationLocalListSerializer,
)
from sessions.services import ExportScopeError, export_request
from stations.models import Station
from switchplatform.csvfiles import CsvFormatMixin


class CSVRenderer(renderers.BaseRenderer):
    """Lets `?format=csv` (or Accept: text/csv) reach the list, which streams the file itself.

    Only errors (a bad filter, no credentials) are rendered here, as plain text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict):
            return "\r\n".join(f"{key}: {value}" for key, value in data.items()).encode()
        return str(data).encode()


class SessionViewSet(NetworkScopedViewSet):
    """Charging sessions, newest first. Read-only: sessions come from the stations."""

    model = Session
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    http_method_names = ["get", "head", "options"]
    lookup_value_regex = r"\d+"
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]

    def get_queryset(self):
        return super().get_queryset().select_related("network", "location", "station")

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv` means CSV whatever the Accept header says (DRF would answer 406 to a client
        # that also sends Accept: application/json).
        if request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) == CSVRenderer.format:
            return CSVRenderer(), CSVRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == "csv":
            sessions = self.filter_queryset(self.get_queryset())
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            return csv_response(request, sessions, filename=f"sessions-{stamp}.csv")
        return super().list(request, *args, **kwargs)

    @action(detail=True, renderer_classes=[renderers.JSONRenderer, renderers.BrowsableAPIRenderer])
    def samples(self, request, pk=None):
        """The session's meter samples, oldest first, for charts."""
        session = self.get_object()
        return Response(MeterSampleSerializer(session.samples.order_by("timestamp"), many=True).data)


class ExportViewSet(NetworkScopedViewSet):
    """Background CSV exports: POST the list's filters, poll the export, download its file."""

    model = Export
    serializer_class = ExportSerializer
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = r"\d+"
    filterset_class = None

    def get_queryset(self):
        return super().get_queryset().select_related("network", "requested_by")

    @extend_schema(
        request=inline_serializer(
            "SessionExportRequest",
            {name: serializers.CharField(required=False) for name in FILTER_NAMES},
        ),
        responses={202: ExportSerializer},
        description="Start a background CSV export of the sessions matching these filters (as for /api/sessions/).",
    )
    def create(self, request, *args, **kwargs):
        # Exporting is reading: viewers may export what they can see, so no write-role check.
        data = request.data if hasattr(request.data, "get") else {}
        filters = session_filter_params(data) or session_filter_params(request.query_params)
        try:
            export = export_request(user=request.user, filters=filters)
        except ExportScopeError as exc:
            field, _, message = str(exc).partition(": ")
            return Response({field: [message or str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        export.refresh_from_db()
        serializer = self.get_serializer(export)
        return Response(serializer.data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True)
    def download(self, request, pk=None):
        export = self.get_object()
        if export.status != ExportStatus.DONE or not export.file:
            raise Http404("This export has no file yet.")
        return export_download_response(request, export)


def export_download_response(request, export: Export):
    handle = default_storage.open(export.file.name, "rb")
    response = streaming_response(
        request, file_chunks(handle), filename=f"sessions-export-{export.pk}.csv", content_type="text/csv; charset=utf-8"
    )
    return response


class IdTokenViewSet(NetworkScopedViewSet):
    """A network's id-token allow-list: with any Accepted entry, unlisted tokens are refused."""

    model = IdToken
    serializer_class = IdTokenSerializer
    filterset_fields = {"network__name": ["exact"], "status": ["exact"], "token": ["iexact"], "group__token": ["iexact"]}

    def get_queryset(self):
        return super().get_queryset().select_related("network", "group")


class IdTokenGroupViewSet(NetworkScopedViewSet):
    """A network's id token groups (2.0.1 groupIdToken, 1.6 parentIdTag); a master pass group's
    tokens may stop any transaction but never start one (2.0.1 C16)."""

    model = IdTokenGroup
    serializer_class = IdTokenGroupSerializer
    filterset_fields = {"network__name": ["exact"], "master_pass": ["exact"]}

    def get_queryset(self):
        return super().get_queryset().select_related("network")


class LocalListVersionViewSet(NetworkScopedViewSet):
    """The versions of each network's local authorization list, newest first; ``send`` sends one
    local list action to every station of a network."""

    model = LocalListVersion
    serializer_class = LocalListVersionSerializer
    filterset_fields = {"network__name": ["exact"], "version": ["exact"]}
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("network")

    def create(self, request, *args, **kwargs):
        # Versions are made by sending a list (POST send/), never by hand.
        return Response({"detail": "Versions are made by sending the list: POST /api/local_lists/send/."}, status=status.HTTP_405_METHOD_NOT_ALLOWED)

    @extend_schema(
        request=LocalListNetworkSendSerializer,
        responses=inline_serializer(
            "LocalListNetworkSendResult",
            {
                "station": serializers.CharField(),
                "command": serializers.IntegerField(allow_null=True),
                "status": serializers.CharField(allow_null=True),
                "error": serializers.CharField(),
            },
            many=True,
        ),
    )
    @action(detail=False, methods=["post"])
    def send(self, request):
        from sessions.services.local_list import local_list_network_send

        self.check_write_role()
        form = LocalListNetworkSendSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        parameters = {"update_type": data["update_type"]} if data["action"] == "send_local_list" else {}
        outcomes = local_list_network_send(
            network=data["network"], action=data["action"], parameters=parameters, requested_by=request.user
        )
        body = [
            {
                "station": o.station.identity,
                "command": o.command.pk if o.command else None,
                "status": o.command.status if o.command else None,
                "error": o.error,
            }
            for o in outcomes
        ]
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=StationLocalListSerializer(many=True))
    @action(detail=False, methods=["get"])
    def stations(self, request):
        """The list version each station holds, as far as the platform knows."""
        rows = StationLocalList.objects.for_user(request.user).select_related("station").order_by("station__identity")
        if request.query_params.get("network"):
            rows = rows.filter(station__network__name=request.query_params["network"])
        return Response(StationLocalListSerializer(rows, many=True).data)


class StationSessionListView(CsvFormatMixin, generics.ListAPIView):
    """One station's sessions, newest first, with the session list's filters; `?format=csv` as for
    /api/sessions/. Another network's station is a 404, like the station itself."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter

    def get_station(self) -> Station:
        station = Station.objects.for_user(self.request.user).filter(identity=self.kwargs["identity"]).first()
        if station is None:
            raise Http404("No such station.")
        return station

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Session.objects.none()
        station = self.get_station()
        return Session.objects.for_user(self.request.user).filter(station=station).select_related(
            "network", "location", "station"
        )

    def list(self, request, *args, **kwargs):
        if self.wants_csv(request):
            sessions = self.filter_queryset(self.get_queryset())
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            return csv_response(request, sessions, filename=f"sessions-{self.kwargs['identity']}-{stamp}.csv")
        return super().list(request, *args, **kwargs)
