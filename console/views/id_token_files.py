"""RFID lists as CSV: export the id tokens the list shows, import a file into one network.

An import goes row by row through the same form as the Add page (console.views.id_tokens.IdTokenForm:
the sessions app's rules), all or nothing: one bad row and nothing is saved, every bad line is named.
A token the network already lists (whatever its case) is updated; a new one is added.
"""
from __future__ import annotations

import csv
import io
from datetime import UTC

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from console.views.base import console_view, render_page, require_write
from console.views.id_tokens import SECTION, IdTokenForm, filtered_tokens
from networks.models import Network
from sessions.models import IdToken, IdTokenGroup
from switchplatform.csvfiles import csv_chunks_of, escape_cell, streaming_response

COLUMNS = ["token", "token_type", "status", "expires_at", "group", "label"]
EXPORT_HEADER = [*COLUMNS, "network"]
#: Bounds of one import: a day's card batch, not a database dump.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 10_000
#: Lines of errors shown; the rest are counted.
ERRORS_SHOWN = 50


@console_view
def id_token_export(request: HttpRequest) -> HttpResponse:
    """The tokens the list's filters show (scoped like the list), as CSV."""
    rows = (
        [
            escape_cell(t.token), t.token_type, t.status,
            t.expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z") if t.expires_at else "",
            escape_cell(t.group.token if t.group else ""), escape_cell(t.label), escape_cell(t.network.name),
        ]
        for t in filtered_tokens(request).iterator(chunk_size=2000)
    )
    return streaming_response(request, csv_chunks_of(EXPORT_HEADER, rows), filename="id-tokens.csv", content_type="text/csv")


class ImportForm(forms.Form):
    network = forms.ModelChoiceField(queryset=Network.objects.none())
    file = forms.FileField(
        help_text=f"CSV with a header row: token (required), token_type, status (Accepted or Blocked), "
        f"expires_at (UTC, e.g. 2027-01-31T12:00), group (a group id token of the network), label. "
        f"At most {IMPORT_MAX_ROWS} rows."
    )

    def __init__(self, *args, user, current_network: Network | None, **kwargs):
        super().__init__(*args, **kwargs)
        networks = Network.objects.for_user(user, write=True).in_network(current_network)
        self.fields["network"].queryset = networks
        if networks.count() == 1:
            self.fields["network"].initial = networks.first().pk

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {IMPORT_MAX_BYTES // 1024 // 1024} MB.")
        try:
            text = file.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "token" not in header:
            raise forms.ValidationError(f"The first row names the columns and needs 'token' (known: {', '.join(COLUMNS)}).")
        unknown = sorted(set(header) - set(COLUMNS))
        if unknown:
            raise forms.ValidationError(f"Unknown columns: {', '.join(unknown)} (known: {', '.join(COLUMNS)}).")
        reader.fieldnames = header
        rows = []
        for row in reader:
            if len(rows) >= IMPORT_MAX_ROWS:
                raise forms.ValidationError(f"More than {IMPORT_MAX_ROWS} rows: split the file.")
            rows.append({k: (v or "").strip() for k, v in row.items() if k in COLUMNS})
        if not rows:
            raise forms.ValidationError("The file has no rows under its header.")
        return rows


def _import_rows(*, rows: list[dict], network: Network, user) -> tuple[int, int, list[str]]:
    """Save every row or none; returns (added, updated, errors by line)."""
    groups = {g.token.lower(): g.pk for g in IdTokenGroup.objects.filter(network=network)}
    added = updated = 0
    errors: list[str] = []
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            existing = IdToken.objects.filter(network=network, token__iexact=row.get("token", "")).first()
            group_name = row.get("group", "")
            if group_name and group_name.lower() not in groups:
                errors.append(f"line {line}: {network} has no id token group {group_name!r}.")
                continue
            data = {
                "network": network.pk,
                # An update keeps the token as the network spells it (tokens compare case-insensitively).
                "token": existing.token if existing else row.get("token", ""),
                "token_type": row.get("token_type") or (existing.token_type if existing else "ISO14443"),
                "status": row.get("status") or (existing.status if existing else "Accepted"),
                "expires_at": row.get("expires_at", "").replace("Z", "").replace("+00:00", ""),
                "group": groups.get(group_name.lower(), "") if group_name else "",
                "label": row.get("label", existing.label if existing else ""),
            }
            form = IdTokenForm(data, instance=existing, user=user, current_network=network)
            if not form.is_valid():
                detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in form.errors.items())
                errors.append(f"line {line}: {detail}")
                continue
            form.save()
            if existing:
                updated += 1
            else:
                added += 1
        if errors:
            transaction.set_rollback(True)
    return added, updated, errors


@console_view
def id_token_import(request: HttpRequest) -> HttpResponse:
    require_write(Network.objects.for_user(request.user, write=True).exists())
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user, current_network=request.current_network)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        network = form.cleaned_data["network"]
        added, updated, errors = _import_rows(rows=form.cleaned_data["file"], network=network, user=request.user)
        if not errors:
            messages.success(request, f"Imported into {network}: {added} added, {updated} updated. Send the local list to pass it on to the stations.")
            return HttpResponseRedirect(reverse("console:id-token-list"))
    context = {"form": form, "errors": errors[:ERRORS_SHOWN], "more_errors": max(0, len(errors) - ERRORS_SHOWN), "columns": COLUMNS}
    return render_page(request, "console/id_token_import.html", context, title="Import id tokens", section=SECTION)
