"""Notes short enough to teach from: the HTML of pass_fail, two_paths and deep_sigmoid is under
8,000 px tall at 1200 px wide in Chromium (two_paths was 21,000 px when every parameter was derived in
full), while their JSON still holds every parameter's gradient and update."""

from __future__ import annotations

import json
import subprocess

import pytest
from PIL import Image

from derive import explain
from tests.browser import CHROMIUM
from tests.helpers import ROOT

LIMIT = 8000  # px, at a 1200 px wide window
WINDOW = 20000  # px: taller than any page measured, so the screenshot shows the whole page


def page_height(html: str, folder) -> int:
    """How far down the page anything is drawn: the last row of a tall screenshot that is not the
    background (the page's background is near white)."""
    page = folder / "page.html"
    png = folder / "page.png"
    page.write_text(html, encoding="utf-8")
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions", "--disable-background-networking",
         f"--user-data-dir={folder / 'profile'}", f"--window-size=1200,{WINDOW}",
         f"--screenshot={png}", page.as_uri()],
        capture_output=True, timeout=120, check=False)
    Image.MAX_IMAGE_PIXELS = None
    im = Image.open(png).convert("L")
    width, height = im.size
    px = im.load()
    for y in range(height - 1, -1, -1):
        if any(px[x, y] < 240 for x in range(0, width, 4)):
            return y + 1
    return 0


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} (Debian package chromium)")
@pytest.mark.parametrize("example", ["pass_fail", "two_paths", "deep_sigmoid"])
def test_the_html_notes_are_short_enough_to_teach_from(example, tmp_path):
    path = ROOT / "examples" / f"{example}.yaml"
    html = explain(str(path), fmt="html", pictures=True).text
    height = page_height(html, tmp_path)
    assert 1000 < height < LIMIT, f"{example}.html is {height} px tall"
    data = json.loads(explain(str(path), fmt="json").text)
    params = load_params(path)
    assert set(data["gradients"]) == set(params) == set(data["updated"])


def load_params(path) -> list[str]:
    from derive import load_network

    return list(load_network(str(path)).parameters)
