"""The report opened in headless Chromium: every image loads, the decision table is whole.

Chromium is driven from its command line (--dump-dom, --screenshot); the test is skipped when
it is not installed (Debian: apt-get install chromium).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.report import write_report
from tests.report.parse import parse_page
from tests.report.test_report import expected_decisions

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")

# Written into the page once everything has loaded, so --dump-dom shows what the browser saw.
PROBE = """<script>
window.addEventListener("load", function () {
  var out = document.createElement("pre");
  out.id = "image-probe";
  out.textContent = JSON.stringify(Array.prototype.map.call(document.images, function (img) {
    return {alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight};
  }));
  document.body.appendChild(out);
});
</script>"""


def _browse(page: Path, profile: Path, *flags: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", *flags, page.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def test_report_in_a_browser(preheat_copy, tmp_path):
    report = write_report(preheat_copy)
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")

    done = _browse(probe, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    page = parse_page(done.stdout)
    images = json.loads(page.ids["image-probe"])
    assert len(images) >= 5
    for img in images:
        assert img["complete"] and img["width"] > 100 and img["height"] > 100, img

    assert sorted(page.decisions) == sorted(expected_decisions(preheat_copy))

    screenshot = tmp_path / "report.png"
    shot = _browse(report, tmp_path / "profile", "--window-size=1400,7000", f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    print(f"screenshot: {screenshot}")
