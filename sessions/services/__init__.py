"""The sessions app's writes, one module per concern:

- ``transactions``: 1.6 StartTransaction/StopTransaction and 2.0.1 TransactionEvent as sessions;
- ``meter``: the one MeterSample writer and the gateway's batched MeterValues;
- ``bookkeeping``: finding and locking a transaction's session, folding readings into it;
- ``authorization``: id tokens against the network's allow-list;
- ``export_jobs``: background CSV exports.

What a station sends becomes bounded typed reports in ``sessions.readings`` first.
The names below are the ones the rest of the platform calls.
"""
from __future__ import annotations

from sessions.readings import MeterReport, Reading
from sessions.services.authorization import TokenAuthorization, id_tag_info_v16, id_token_authorize, id_token_info_v201
from sessions.services.export_jobs import ExportScopeError, export_delete, export_queryset, export_request, export_run
from sessions.services.meter import meter_values_record
from sessions.services.transactions import transaction_event_v201, transaction_start_v16, transaction_stop_v16

__all__ = [
    "ExportScopeError",
    "MeterReport",
    "Reading",
    "export_delete",
    "export_queryset",
    "export_request",
    "export_run",
    "TokenAuthorization",
    "id_tag_info_v16",
    "id_token_authorize",
    "id_token_info_v201",
    "meter_values_record",
    "transaction_event_v201",
    "transaction_start_v16",
    "transaction_stop_v16",
]
