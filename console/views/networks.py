"""Networks and their members, managed by account admins on a page of their own."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from console.forms import MemberForm, NetworkForm
from console.views.base import console_view, render_page
from networks.models import Membership, Network
from networks.querysets import is_account_admin
from networks.services import user_check_manageable, user_may_manage
from sessions.selectors import local_list_overview
from sessions.services.local_list import local_list_network_send


def _require_account_admin(request: HttpRequest) -> None:
    if not is_account_admin(request.user):
        raise PermissionDenied("Only account admins manage networks.")


def _local_list_send(request: HttpRequest, network: Network) -> None:
    """The network's local list action for every station (sessions.services.local_list)."""
    choice = request.POST.get("local_list_action", "")
    actions = {
        "full": ("send_local_list", {"update_type": "Full"}),
        "differential": ("send_local_list", {"update_type": "Differential"}),
        "version": ("get_local_list_version", {}),
    }
    if choice not in actions:
        messages.error(request, "Pick Full, Differential or Get version.")
        return
    action, parameters = actions[choice]
    outcomes = local_list_network_send(network=network, action=action, parameters=parameters, requested_by=request.user)
    sent = sum(1 for o in outcomes if o.command is not None)
    messages.success(request, f"Sent to {sent} of {len(outcomes)} stations; each station's answer shows in its commands.")
    for outcome in outcomes:
        if outcome.command is None:
            messages.warning(request, f"{outcome.station.identity}: {outcome.error}")


@console_view
def network_list(request: HttpRequest) -> HttpResponse:
    _require_account_admin(request)
    form = NetworkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        network = form.save()
        messages.success(request, f"Network {network.name} created.")
        return HttpResponseRedirect(reverse("console:network-detail", args=[network.pk]))
    networks = Network.objects.for_user(request.user).annotate(
        member_count=Count("memberships", distinct=True),
        location_count=Count("locations", distinct=True),
        station_count=Count("stations", distinct=True),
    )
    return render_page(
        request, "console/network_list.html", {"networks": networks, "form": form}, title="Networks", section="networks"
    )


@console_view
def network_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_account_admin(request)
    network = get_object_or_404(Network.objects.for_user(request.user), pk=pk)
    network_form = NetworkForm(instance=network, prefix="network")
    member_form = MemberForm(network=network, prefix="member")
    if request.method == "POST":
        intent = request.POST.get("intent")
        if intent == "network":
            network_form = NetworkForm(request.POST, instance=network, prefix="network")
            if network_form.is_valid():
                network_form.save()
                messages.success(request, "Network saved.")
                return HttpResponseRedirect(request.path)
        elif intent == "add-member":
            member_form = MemberForm(request.POST, network=network, prefix="member")
            # Only a superuser changes a superuser's memberships (networks.services.user_may_manage).
            if member_form.is_valid() and not user_may_manage(actor=request.user, target=member_form.cleaned_data["username"]):
                member_form.add_error("username", "Only a superuser may change a superuser's memberships.")
            if member_form.is_valid():
                membership = member_form.save()
                messages.success(request, f"{membership.user} is now {membership.get_role_display().lower()} of {network}.")
                return HttpResponseRedirect(request.path)
        elif intent == "local-list":
            _local_list_send(request, network)
            return HttpResponseRedirect(request.path + "#local-list")
        elif intent in ("role", "remove"):
            membership = get_object_or_404(Membership, network=network, pk=request.POST.get("membership"))
            user_check_manageable(actor=request.user, target=membership.user)
            if intent == "remove":
                membership.delete()
                messages.success(request, f"{membership.user} removed from {network}.")
            elif request.POST.get("role") in dict(Membership.ROLE_CHOICES):
                membership.role = request.POST["role"]
                membership.save(update_fields=["role"])
                messages.success(request, f"{membership.user} is now {membership.get_role_display().lower()}.")
            return HttpResponseRedirect(request.path)
    context = {
        "network": network,
        "network_form": network_form,
        "member_form": member_form,
        "memberships": network.memberships.select_related("user").order_by("user__username"),
        "roles": Membership.ROLE_CHOICES,
        "can_manage_superusers": request.user.is_superuser,
        "local_list": local_list_overview(network=network),
    }
    return render_page(request, "console/network_detail.html", context, title=network.name, section="networks")
