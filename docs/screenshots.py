"""Take the screenshots docs/calculator.md shows (not a test): the calculator served on
a free loopback port, driven by headless Chromium (Debian's chromium and chromium-driver).

    python docs/screenshots.py [--out docs]

Writes calculator-die-rolls.png (exp2's die rolls, alphabet 6, with standard errors and a
local-complexity chart), calculator-matthews.png (the Matthews strings: BDM past the
table's reach) and calculator-matrix.png (a 12x12 matrix and its blocks' K), each
reduced to a 64-colour palette to stay small.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from servetools import Server, chrome, chromium_missing  # noqa: E402

RING = "-".join("".join("1" if abs(r - c) in (1, 11) else "0" for c in range(12)) for r in range(12))


def until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the page did not answer in time")
        time.sleep(0.1)


def save(browser, path: Path) -> None:
    browser.save_screenshot(str(path))
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
    print(f"{path}  {path.stat().st_size // 1024} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs"), help="Folder for the PNGs [default: docs/].")
    out = Path(parser.parse_args().out)
    reason = chromium_missing()
    if reason:
        raise SystemExit(f"no headless Chromium: {reason}")
    with Server() as server, tempfile.TemporaryDirectory() as downloads:
        browser = chrome(Path(downloads), width=1100, height=1000)
        try:
            by_id = lambda name: browser.find_element("id", name)  # noqa: E731
            browser.get(server.url)
            until(lambda: len(browser.find_elements("css selector", "#table option")) > 1)
            by_id("file").send_keys(str(REPO / "datasets" / "exp2.csv"))
            until(lambda: by_id("file-note").text)
            by_id("score").click()
            until(lambda: browser.find_elements("id", "chart-svg"))
            browser.execute_script("window.scrollTo(0, 0)")
            save(browser, out / "calculator-die-rolls.png")

            by_id("file").send_keys(str(REPO / "datasets" / "matthews2013.csv"))
            until(lambda: "matthews" in by_id("file-note").text)
            by_id("score").click()
            until(lambda: "BDM for strings" in by_id("summary").text and browser.find_elements("id", "chart-svg"))
            browser.execute_script("document.getElementById('summary').scrollIntoView()")
            save(browser, out / "calculator-matthews.png")

            browser.execute_script("window.scrollTo(0, 0)")
            by_id("tab-matrices").click()
            field = by_id("matrix-text")
            field.clear()
            field.send_keys(RING)
            by_id("matrix-score").click()
            until(lambda: browser.find_elements("id", "heatmap-svg"))
            save(browser, out / "calculator-matrix.png")
        finally:
            browser.quit()


if __name__ == "__main__":
    main()
