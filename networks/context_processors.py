from __future__ import annotations


def current_network(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from networks.models import Network

    return {
        "current_network": getattr(request, "current_network", None),
        "selectable_networks": Network.objects.for_user(user).only("id", "name"),
    }
