"""Scale smoke test (issue 17): 500 stations connect, the node is killed, all of them reconnect at once.

The CI-sized version of bench/storm_bench.py. It fails on what a station operator would notice, never
on timings (the CI machine is shared): a station refused for its correct password, a station
not Accepted again within a generous bound, a CALL without an answer, an answered CALL missing
from the message log. The first connect is a cold one (every password hashed once); the storm
after the SIGKILL meets a fresh process, which must still know the verified credentials.
"""
from __future__ import annotations

import signal
import time

import pytest

from bench.gateway_bench import raise_fd_limit
from bench.storm_bench import message_log_counter, prepare_stations, run_storm

pytestmark = pytest.mark.e2e

STATIONS = 500


def test_500_stations_survive_a_kill_and_reconnect_storm(make_platform):
    if raise_fd_limit() < 2 * STATIONS + 200:
        pytest.skip("the open-file limit is too low for 500 stations on both ends")
    platform = make_platform(env={"OCPP_AUTH_FAILURES_PER_MINUTE": "1000000"}, daphne=False)
    identities = prepare_stations(platform, STATIONS, known=False)
    server = [platform.start_daphne()]

    def kill() -> None:
        server[0].process.signal(signal.SIGKILL)
        server[0].process.popen.wait(10)

    def start() -> None:
        platform.daphnes.clear()
        server[0] = platform.start_daphne(port=platform.port, timeout=60)

    started = time.monotonic()
    result = run_storm(
        start_server=start, kill_server=kill, identities=identities, url=server[0].ocpp_url,
        workers=2, client_timeout=10, give_up_after=75, after_calls=3,
        count_logged=message_log_counter(platform), log=lambda line: None,
    )
    report = "\n".join(result.lines()) + f"\n(whole storm {time.monotonic() - started:.0f} s)"
    print(report)

    assert result.connected == STATIONS, report
    assert result.refused == 0, report
    assert result.accepted == STATIONS, report
    assert result.calls_sent == 3 * STATIONS, report
    assert result.calls_answered == result.calls_sent and result.callerrors == 0, report
    assert result.logged == result.calls_sent, report
