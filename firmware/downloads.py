"""Serving a firmware image: streamed from storage, with single byte ranges (RFC 9110 §14).

Stations on slow links resume large images with Range requests; nothing here reads a whole file
into memory.
"""
from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator, Iterator

from django.core.handlers.asgi import ASGIRequest

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from firmware.models import Firmware

CHUNK_SIZE = 64 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single range, or None to send the whole file.

    A header we do not serve (several ranges, another unit, bad syntax) is ignored, which RFC 9110
    §14.2 allows: the answer is then a plain 200. Raises Unsatisfiable for a range past the end.
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        # Suffix range: the last n bytes.
        suffix = _position(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    start = _position(first)
    if last and _position(last) < start:
        return None  # syntactically invalid (§14.1.1): ignore the header
    if start >= size:
        raise Unsatisfiable
    end = _position(last) if last else size - 1
    return start, min(end, size - 1)


# Past any file we store, and short enough for int(): Python refuses to parse integers of more
# than 4,300 digits (ValueError, which answered 500), and a long one costs quadratic time.
_MAX_DIGITS = 18
_BEYOND_ANY_FILE = 10**_MAX_DIGITS


def _position(digits: str) -> int:
    """A byte position from the header; any number too long to be a file offset reads as "past the end"."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else _BEYOND_ANY_FILE


class _RangeStream:
    """Iterates ``length`` bytes of an open file from its current position, then closes it."""

    def __init__(self, fileobj, length: int) -> None:
        self.fileobj = fileobj
        self.remaining = length

    def _next_chunk(self) -> bytes:
        if self.remaining <= 0:
            return b""
        chunk = self.fileobj.read(min(CHUNK_SIZE, self.remaining))
        self.remaining -= len(chunk)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self._next_chunk():
            yield chunk

    def close(self) -> None:
        # StreamingHttpResponse calls this when the response is done, even if never iterated.
        self.fileobj.close()


class _AsyncRangeStream(_RangeStream):
    """The same chunks for an ASGI server, read in a worker thread one at a time.

    Django's ASGI handler turns a *synchronous* streaming iterator into a list before sending
    (the whole image in memory, per download); an asynchronous one it forwards chunk by chunk.
    """

    __iter__ = None  # type: ignore[assignment]  # so StreamingHttpResponse takes the async path

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await asyncio.to_thread(self._next_chunk):
            yield chunk


def _common_headers(response: HttpResponse, firmware: Firmware) -> HttpResponse:
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = f'"{firmware.sha256}"'
    # RFC 3230 Digest: lets a station (and our simulator) check the image it assembled from ranges.
    response["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(firmware.sha256)).decode("ascii")
    response["Content-Disposition"] = content_disposition_header(True, firmware.filename)
    response["Cache-Control"] = "private, no-store"
    return response


def firmware_file_response(*, request: HttpRequest, firmware: Firmware) -> HttpResponse:
    size = firmware.size
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range and if_range.strip() != f'"{firmware.sha256}"':
        # The client's partial copy is of another image: send this one whole.
        range_header = None
    try:
        byte_range = parse_range(range_header, size)
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _common_headers(response, firmware)

    if request.method == "HEAD":
        response = HttpResponse(status=200 if byte_range is None else 206, content_type="application/octet-stream")
        length = size if byte_range is None else byte_range[1] - byte_range[0] + 1
        if byte_range is not None:
            response["Content-Range"] = f"bytes {byte_range[0]}-{byte_range[1]}/{size}"
        response = _common_headers(response, firmware)
        response["Content-Length"] = str(length)
        return response

    first, last = byte_range if byte_range is not None else (0, size - 1)
    length = max(0, last - first + 1)
    fileobj = _open_bytes(firmware, first=first, last=last, whole=byte_range is None)
    stream_class = _AsyncRangeStream if isinstance(request, ASGIRequest) else _RangeStream
    response = StreamingHttpResponse(
        stream_class(fileobj, length),
        status=200 if byte_range is None else 206,
        content_type="application/octet-stream",
    )
    if byte_range is not None:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(length)
    return _common_headers(response, firmware)


def _open_bytes(firmware: Firmware, *, first: int, last: int, whole: bool):
    """A readable stream positioned at ``first``.

    django-storages' S3File downloads the whole object before the first read; for a bucket we ask
    S3 for just the bytes wanted (a ranged GET) and stream its body instead.
    """
    storage = firmware.file.storage
    bucket = getattr(storage, "bucket", None)
    if bucket is not None and hasattr(storage, "_normalize_name"):
        params = {} if whole else {"Range": f"bytes={first}-{last}"}
        return _S3Body(bucket.Object(storage._normalize_name(firmware.file.name)).get(**params)["Body"])
    fileobj = storage.open(firmware.file.name, "rb")
    if first:
        fileobj.seek(first)
    return fileobj


class _S3Body:
    """botocore's StreamingBody as a plain file: read(n) and close()."""

    def __init__(self, body) -> None:
        self.body = body

    def read(self, size: int = -1) -> bytes:
        return self.body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self.body.close()
