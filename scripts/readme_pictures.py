"""The README's two pictures of teaching live, made from the committed examples:

- docs/interactive.png: output/two_paths.interactive.html in headless Chromium, "your turn" on, w1's
  first path stepped through to the factor ∂O21/∂O11 with a wrong answer typed and its hint shown;
- docs/slide.png: the frame of output/two_paths.slides.pdf that shows w1's first path in full.

Run from the top of the repository after scripts/render_examples.py:  python scripts/readme_pictures.py
Needs the Debian packages chromium, chromium-driver and poppler-utils, and selenium (in the test extras).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGE = Path("/tmp/s20/page.html") if False else ROOT / "output" / "two_paths.interactive.html"
DECK = ROOT / "output" / "two_paths.slides.pdf"
FACTOR = "O11 O11>O21 O21"  # ∂O21/∂O11: the edge O11→O21 and its two neurons, as the page names them


def interactive_png(target: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,820", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(PAGE.as_uri())
        driver.find_element("id", "your-turn").click()
        steps = driver.execute_script("return window.derive.steps().length")
        for k in range(steps):
            driver.execute_script("window.derive.show(arguments[0])", k)
            on = driver.execute_script("return window.derive.steps()[arguments[0]].dataset.on || ''", k)
            if sorted(on.split()) == sorted(FACTOR.split()):
                break
        else:
            raise SystemExit(f"no step of {PAGE.name} is about {FACTOR}")
        row = driver.execute_script("return window.derive.steps()[window.derive.current()]")
        field = row.find_element("css selector", ".ask input")
        truth = row.find_element("css selector", ".value").get_attribute("data-value")
        wrong = f"{float(truth) * 10:.4g}"  # the decimal point one place off: the page says so
        field.send_keys(wrong + "\n")
        driver.save_screenshot(str(target))
    finally:
        driver.quit()


def slide_png(target: Path) -> None:
    """The last overlay of the first frame about w1's path 1: its diagram, factors and product shown."""
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(DECK)], capture_output=True,
                                                             text=True, check=True).stdout).group(1))
    chosen = None
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(DECK), "-"],
                              capture_output=True, text=True, check=True).stdout
        if re.search(r"path 1 of 2", text) and "0.000075856" in text:
            chosen = page  # the page of path 1's frame where its product has appeared
            break
    if chosen is None:
        raise SystemExit(f"no page of {DECK.name} shows w1's first path with its product")
    with tempfile.TemporaryDirectory() as scratch:
        stem = Path(scratch) / "slide"
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", str(chosen), "-l", str(chosen), "-singlefile",
                        str(DECK), str(stem)], check=True)
        target.write_bytes(stem.with_suffix(".png").read_bytes())


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    interactive_png(DOCS / "interactive.png")
    slide_png(DOCS / "slide.png")
    print(f"wrote {DOCS / 'interactive.png'} and {DOCS / 'slide.png'}")


if __name__ == "__main__":
    main()
