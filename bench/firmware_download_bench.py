"""Benchmark: serving a large firmware image through the station's signed link under daphne.

    .venv/bin/python bench/firmware_download_bench.py [--mb 200] [--parallel 4] [--range-mb 8]

Starts an embedded-default platform (SQLite, daphne via `manage.py serve`) on loopback, uploads an
image of --mb megabytes through POST /api/firmware/ (multipart), requests an update for a station
that is offline (the link is made all the same), then downloads through the link:
- one whole download, timed, SHA-256 checked;
- --parallel whole downloads at once;
- 20 ranged downloads of --range-mb from random offsets;
and samples daphne's resident memory throughout: streaming means it stays far below the image size.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import secrets
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers import Platform, free_port, station_password, unique_identity  # noqa: E402

CHUNK = 1 << 20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def multipart_file(path: Path, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), boundary


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, float]:
    started = time.perf_counter()
    digest, size = hashlib.sha256(), 0
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=600) as response:
        while chunk := response.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest(), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--range-mb", type=int, default=8)
    args = parser.parse_args()

    port = free_port()
    platform = Platform.create(
        port=port,
        env={"FIRMWARE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "FIRMWARE_MAX_UPLOAD_BYTES": str((args.mb + 1) << 20)},
    )
    try:
        platform.start_daphne()
        pid = platform.daphne.process.pid
        api = platform.api
        network = api.ensure_network("Bench")["name"]
        identity = unique_identity("FWB")
        api.create_station(identity=identity, password=station_password(), network=network)

        image = platform.root / "image.bin"
        with image.open("wb") as out:
            for _ in range(args.mb):
                out.write(os.urandom(CHUNK))
        expected = hashlib.sha256(image.read_bytes()).hexdigest()
        body, boundary = multipart_file(image, {"network": network, "version": "9.0.0"})
        started = time.perf_counter()
        request = urllib.request.Request(
            f"{platform.http_url}/api/firmware/",
            data=body,
            method="POST",
            headers={"Authorization": f"Token {platform.token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            firmware = json.loads(response.read())
        del body
        upload_s = time.perf_counter() - started
        assert firmware["sha256"] == expected
        print(f"upload {args.mb} MB: {upload_s:.2f} s ({args.mb / upload_s:.0f} MB/s), daphne RSS {rss_mb(pid):.0f} MB")

        update = api.post(
            f"/api/charging_stations/{identity}/actions/update_firmware/", json_body={"firmware": firmware["id"]}, expect=202
        ).json()
        link = json.loads(
            platform.manage(
                "shell", "-c",
                "import json; from firmware.models import FirmwareUpdate; from firmware.links import firmware_link_url;"
                f"print(json.dumps(firmware_link_url(update=FirmwareUpdate.objects.get(pk={update['id']}))))",
            ).stdout.strip().splitlines()[-1]
        )

        peak = [rss_mb(pid)]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mb(pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        base = rss_mb(pid)

        size, digest, seconds = fetch(link)
        assert (size, digest) == (args.mb << 20, expected)
        print(f"whole download: {seconds:.2f} s ({args.mb / seconds:.0f} MB/s)")

        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            started = time.perf_counter()
            results = list(pool.map(lambda _: fetch(link), range(args.parallel)))
        elapsed = time.perf_counter() - started
        assert all(r[1] == expected for r in results)
        print(f"{args.parallel} parallel whole downloads: {elapsed:.2f} s ({args.parallel * args.mb / elapsed:.0f} MB/s total)")

        span = args.range_mb << 20
        times = []
        for _ in range(20):
            first = random.randrange(0, (args.mb << 20) - span)
            size, _, seconds = fetch(link, {"Range": f"bytes={first}-{first + span - 1}"})
            assert size == span
            times.append(seconds)
        times.sort()
        print(f"20 ranged downloads of {args.range_mb} MB: median {times[10] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")
        stop.set()
        sampler.join()
        print(f"daphne RSS before downloads {base:.0f} MB, peak during downloads {peak[0]:.0f} MB (image {args.mb} MB)")
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
