"""Id tokens (RFID cards, app tokens) and their groups: the network's allow-list, and its local list.

The rules are the sessions app's (sessions.models IdToken.clean, the API serializers): a token is
listed once per network whatever its case (OCPP CiString), a token's group is one of its own
network's, a group another network's tokens use cannot move. Scoping only through the querysets.
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from console.views.base import console_view, render_page, require_write
from networks.models import Network
from sessions.models import AuthorizationStatus, IdToken, IdTokenGroup, LocalListVersion, StationLocalList
from stations.models import Station
from sessions.services.local_list import V16_ID_TAG_LENGTH, local_list_entries, local_list_network_send

SECTION = "id-tokens"


def _writable_networks(request: HttpRequest):
    return Network.objects.for_user(request.user, write=True).in_network(request.current_network)


class _NetworkScopedForm(forms.ModelForm):
    """The network picker offers only the networks the user may change (narrowed by the selector)."""

    def __init__(self, *args, user, current_network: Network | None, **kwargs):
        super().__init__(*args, **kwargs)
        networks = Network.objects.for_user(user, write=True).in_network(current_network)
        self.fields["network"].queryset = networks
        if self.instance.pk is None and networks.count() == 1:
            self.fields["network"].initial = networks.first().pk


class IdTokenForm(_NetworkScopedForm):
    class Meta:
        model = IdToken
        fields = ["network", "token", "token_type", "status", "expires_at", "group", "label"]
        widgets = {"expires_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}

    def __init__(self, *args, user, current_network: Network | None, **kwargs):
        super().__init__(*args, user=user, current_network=current_network, **kwargs)
        self.fields["expires_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        self.fields["expires_at"].help_text += " UTC."
        groups = IdTokenGroup.objects.for_user(user, write=True).in_network(current_network).select_related("network")
        self.fields["group"].queryset = groups
        self.fields["group"].label_from_instance = lambda g: f"{g.token} ({g.network})" + (" · master pass" if g.master_pass else "")

    def clean(self):
        cleaned = super().clean()
        network, token, group = cleaned.get("network"), cleaned.get("token"), cleaned.get("group")
        if network and token:
            clash = IdToken.objects.filter(network=network, token__iexact=token).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("token", "This network already lists that token (tokens are case-insensitive).")
        if network and group and group.network_id != network.pk:
            self.add_error("group", "Pick a group of the token's own network.")
        return cleaned


class IdTokenGroupForm(_NetworkScopedForm):
    class Meta:
        model = IdTokenGroup
        fields = ["network", "token", "token_type", "master_pass", "label"]

    def clean(self):
        cleaned = super().clean()
        network, token = cleaned.get("network"), cleaned.get("token")
        if network and token:
            clash = IdTokenGroup.objects.filter(network=network, token__iexact=token).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("token", "This network already has that group.")
        if self.instance.pk and network and network.pk != self.instance.network_id and self.instance.id_tokens.exists():
            self.add_error("network", "Tokens of another network use this group.")
        return cleaned


def _get_token(request: HttpRequest, pk: int) -> IdToken:
    token = get_object_or_404(IdToken.objects.for_user(request.user).in_network(request.current_network), pk=pk)
    require_write(IdToken.objects.for_user(request.user, write=True).filter(pk=token.pk).exists())
    return token


def _get_group(request: HttpRequest, pk: int) -> IdTokenGroup:
    group = get_object_or_404(IdTokenGroup.objects.for_user(request.user).in_network(request.current_network), pk=pk)
    require_write(IdTokenGroup.objects.for_user(request.user, write=True).filter(pk=group.pk).exists())
    return group


def _local_lists(request: HttpRequest) -> list[dict]:
    """Each visible network's latest local list version, and whether the allow-list changed since."""
    writable = set(_writable_networks(request).values_list("pk", flat=True))
    rows = []
    for network in Network.objects.for_user(request.user).in_network(request.current_network):
        latest = LocalListVersion.objects.filter(network=network).order_by("-version").first()
        rows.append(
            {
                "network": network,
                "latest": latest,
                "changed": latest is None or latest.entries != local_list_entries(network=network),
                # What the stations reported holding (SendLocalList answers, GetLocalListVersion).
                "stations": Station.objects.filter(network=network).count(),
                "stations_current": StationLocalList.objects.filter(
                    station__network=network, network=network, version=latest.version
                ).count() if latest else 0,
                "can_send": network.pk in writable,
            }
        )
    return rows


def _send_local_list(request: HttpRequest) -> None:
    network = get_object_or_404(Network.objects.for_user(request.user).in_network(request.current_network), pk=request.POST.get("network"))
    require_write(network.pk in set(_writable_networks(request).values_list("pk", flat=True)))
    update_type = "Differential" if request.POST.get("update_type") == "Differential" else "Full"
    outcomes = local_list_network_send(
        network=network, action="send_local_list", parameters={"update_type": update_type}, requested_by=request.user
    )
    sent = sum(1 for o in outcomes if o.command is not None)
    messages.success(
        request, f"{update_type} local list sent to {sent} of {len(outcomes)} stations of {network}; "
        "each station's answer shows in its Commands tab."
    )
    for outcome in outcomes:
        if outcome.command is None:
            messages.warning(request, f"{outcome.station.identity}: {outcome.error}")


def filtered_tokens(request: HttpRequest):
    """The tokens the list shows: scoped, narrowed by the selector, then the on-screen filters (q, status, group)."""
    tokens = IdToken.objects.for_user(request.user).in_network(request.current_network).select_related("network", "group")
    q, status, group = request.GET.get("q", "").strip(), request.GET.get("status", ""), request.GET.get("group", "")
    if q:
        tokens = tokens.filter(Q(token__icontains=q) | Q(label__icontains=q) | Q(group__token__icontains=q))
    if status == "expired":
        tokens = tokens.filter(expires_at__lte=timezone.now())
    elif status in (AuthorizationStatus.ACCEPTED, AuthorizationStatus.BLOCKED):
        tokens = tokens.filter(status=status)
    if group.isdigit():
        tokens = tokens.filter(group_id=int(group))
    return tokens.order_by("network__name", "token")


@console_view
def id_token_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        _send_local_list(request)
        return HttpResponseRedirect(reverse("console:id-token-list") + "#local-lists")
    groups = (
        IdTokenGroup.objects.for_user(request.user).in_network(request.current_network)
        .select_related("network").annotate(token_count=Count("id_tokens"))
    )
    q, status, group = request.GET.get("q", "").strip(), request.GET.get("status", ""), request.GET.get("group", "")
    page = Paginator(filtered_tokens(request), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "groups": groups,
        "filters": {"q": q, "status": status, "group": group},
        "statuses": [("Accepted", "Accepted"), ("Blocked", "Blocked"), ("expired", "Expired")],
        "can_write": _writable_networks(request).exists(),
        "writable_networks": set(_writable_networks(request).values_list("pk", flat=True)),
        "local_lists": _local_lists(request),
        "v16_length": V16_ID_TAG_LENGTH,
        "query_without_page": query.urlencode(),
    }
    return render_page(request, "console/id_token_list.html", context, title="Id tokens", section=SECTION)


def _form_page(request: HttpRequest, form, *, title: str, kind: str, obj=None) -> HttpResponse:
    return render_page(
        request, "console/id_token_form.html", {"form": form, "kind": kind, "object": obj}, title=title, section=SECTION
    )


@console_view
def id_token_add(request: HttpRequest) -> HttpResponse:
    require_write(_writable_networks(request).exists())
    form = IdTokenForm(request.POST or None, user=request.user, current_network=request.current_network)
    if request.method == "POST" and form.is_valid():
        token = form.save()
        messages.success(request, f"Id token {token.token} added to {token.network}.")
        return HttpResponseRedirect(reverse("console:id-token-list"))
    return _form_page(request, form, title="Add an id token", kind="token")


@console_view
def id_token_edit(request: HttpRequest, pk: int) -> HttpResponse:
    token = _get_token(request, pk)
    form = IdTokenForm(request.POST or None, instance=token, user=request.user, current_network=request.current_network)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Id token {token.token} saved.")
        return HttpResponseRedirect(reverse("console:id-token-list"))
    return _form_page(request, form, title=f"Edit id token {token.token}", kind="token", obj=token)


@console_view
@require_POST
def id_token_delete(request: HttpRequest, pk: int) -> HttpResponse:
    token = _get_token(request, pk)
    token.delete()
    messages.success(request, f"Id token {token.token} deleted; the next local list sent leaves it out.")
    return HttpResponseRedirect(reverse("console:id-token-list"))


@console_view
def id_token_group_add(request: HttpRequest) -> HttpResponse:
    require_write(_writable_networks(request).exists())
    form = IdTokenGroupForm(request.POST or None, user=request.user, current_network=request.current_network)
    if request.method == "POST" and form.is_valid():
        group = form.save()
        messages.success(request, f"Group {group.token} added to {group.network}.")
        return HttpResponseRedirect(reverse("console:id-token-list") + "#groups")
    return _form_page(request, form, title="Add an id token group", kind="group")


@console_view
def id_token_group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = _get_group(request, pk)
    form = IdTokenGroupForm(request.POST or None, instance=group, user=request.user, current_network=request.current_network)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Group {group.token} saved.")
        return HttpResponseRedirect(reverse("console:id-token-list") + "#groups")
    return _form_page(request, form, title=f"Edit group {group.token}", kind="group", obj=group)


@console_view
@require_POST
def id_token_group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = _get_group(request, pk)
    group.delete()  # its tokens stay, in no group (IdToken.group is SET_NULL)
    messages.success(request, f"Group {group.token} deleted; its tokens are now in no group.")
    return HttpResponseRedirect(reverse("console:id-token-list") + "#groups")
