"""Every app's tests run in `make test`: pytest only collects the folders pytest.ini's testpaths names,
and seven new apps' unit tests once went unrun because nobody added them there."""
from __future__ import annotations

import configparser

from tests.servers import REPO_ROOT


# Folders with tests that are knowingly left out, each with the reason; none today. (smartcharging was
# here while its scheduler tests saw no recompute after other modules: they lacked `db`, and channels'
# database_sync_to_async checks the shared thread's persistent connection an earlier test had opened.)
NOT_COLLECTED: set[str] = set()


def test_every_folder_with_tests_is_in_testpaths():
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "pytest.ini")
    testpaths = set(config["pytest"]["testpaths"].split())
    with_tests = {p.parent.name for p in REPO_ROOT.glob("*/tests") if p.is_dir() and any(p.glob("test_*.py"))}
    with_tests |= {"tests"} if any((REPO_ROOT / "tests").glob("test_*.py")) else set()
    assert with_tests - testpaths - NOT_COLLECTED == set(), "add these to testpaths in pytest.ini"
    assert NOT_COLLECTED <= with_tests and not NOT_COLLECTED & testpaths
