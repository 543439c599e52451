"""The signed-in user's personal API token (DRF authtoken): whether there is one, create or
rotate it (the key is shown once, in that response), revoke it.

A token acts as its user: it reads and changes what the user's roles allow, nothing more, so a
viewer's token is read-only too. Only its owner ever sees or changes it.
"""
from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from rest_framework.authtoken.models import Token

from console.views.base import console_view, render_page

SECTION = "api-token"


#: The new key waits in the session for the one page that shows it (post/redirect/get: a reload of
#: that page must not make yet another token). DRF keeps keys in clear in its table anyway.
NEW_KEY_SESSION_KEY = "console_api_token_new_key"


@console_view
def api_token(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        intent = request.POST.get("intent")
        if intent == "create":
            with transaction.atomic():
                # Rotating: the old key stops working in the same transaction the new one starts.
                Token.objects.filter(user=request.user).delete()
                request.session[NEW_KEY_SESSION_KEY] = Token.objects.create(user=request.user).key
        elif intent == "revoke":
            deleted, _ = Token.objects.filter(user=request.user).delete()
            messages.success(request, "API token revoked: requests with it are now refused." if deleted else "You had no API token.")
        else:
            messages.error(request, "Create, rotate or revoke.")
        return HttpResponseRedirect(reverse("console:api-token"))
    token = Token.objects.filter(user=request.user).first()
    new_key = request.session.pop(NEW_KEY_SESSION_KEY, "")
    if token is None or new_key != token.key:
        new_key = ""  # revoked or rotated elsewhere since: that key no longer works
    context = {"token": token, "new_key": new_key, "api_url": request.build_absolute_uri("/api/")}
    response = render_page(request, "console/api_token.html", context, title="Your API token", section=SECTION)
    # The key is in this page once: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response
