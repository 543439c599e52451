from __future__ import annotations

SESSION_KEY = "current_network_id"


def _current_network(request):
    from networks.models import Network

    network_id = request.session.get(SESSION_KEY)
    if not network_id or not request.user.is_authenticated:
        return None
    # A network the user lost access to falls back to "all networks".
    return Network.objects.for_user(request.user).filter(pk=network_id).first()


class CurrentNetworkMiddleware:
    """Puts the network picked in the header selector on request.current_network (None: all)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.current_network = _current_network(request)
        return self.get_response(request)
