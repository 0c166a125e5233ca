"""Front-end libraries come from npm through ``make vendor``, pinned by frontend's lock file,
and the pages load them from the site's own static files."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = json.loads((ROOT / "frontend" / "package-lock.json").read_text())


def _locked(name: str) -> dict:
    return LOCK["packages"][f"node_modules/{name}"]


def test_the_vendored_hls_js_is_the_version_the_lock_file_pins():
    locked = _locked("hls.js")
    assert locked["integrity"].startswith("sha512-")
    bundle = (ROOT / "static" / "vendor" / "hls.js" / "hls.min.js").read_text()
    assert re.search(rf'"{re.escape(locked["version"])}"', bundle)
    assert (ROOT / "static" / "vendor" / "hls.js" / "LICENSE").exists()


def test_the_package_file_asks_for_what_the_lock_file_pins():
    wanted = json.loads((ROOT / "frontend" / "package.json").read_text())["dependencies"]
    assert {name: _locked(name)["version"] for name in wanted} == wanted


def test_the_vendored_chart_js_is_the_version_the_lock_file_pins():
    locked = _locked("chart.js")
    assert locked["integrity"].startswith("sha512-")
    bundle = (ROOT / "static" / "vendor" / "chart.js" / "chart.umd.min.js").read_text()
    assert f"Chart.js v{locked['version']}" in bundle
    assert (ROOT / "static" / "vendor" / "chart.js" / "LICENSE.md").exists()
