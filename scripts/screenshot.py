#!/usr/bin/env python3
"""Render sample reports and a summary from the test factories, and screenshot them with headless Chromium.

Usage::

    python scripts/screenshot.py [--out DIR] [--width 1100] [--height 2400]

Writes ``DIR/<name>.html`` for every sample submission (all passing, mixed failures with
named mistakes and a heat map, errors, a submission that could not be graded, a wrong
gradient, hostile strings), ``DIR/summary.html`` for the batch, and, when a Chromium
is installed (``chromium``, ``chromium-browser``, ``google-chrome`` or ``headless_shell``
on the PATH), a ``.png`` of each.  Without a browser it writes the HTML only and says so.
Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the factories live with the tests
sys.path.insert(0, str(HERE.parent))

import factories  # noqa: E402

from grader import render  # noqa: E402

SAMPLES = {
    "all-pass": factories.all_pass,
    "mixed": factories.mixed,
    "errors": factories.errors,
    "submission-error": factories.submission_error,
    "gradient-wrong": factories.gradient_wrong,
    "hostile": factories.hostile,
}
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "headless_shell")


def find_browser() -> str | None:
    """Return the path of a headless-capable Chromium, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(browser: str, page: Path, png: Path, width: int, height: int) -> bool:
    """Screenshot one page; return whether it worked."""
    cmd = [
        browser, "--headless", "--disable-gpu", "--hide-scrollbars", "--no-sandbox",
        f"--window-size={width},{height}", f"--screenshot={png}", page.resolve().as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return run.returncode == 0 and png.is_file()


def main(argv: list[str] | None = None) -> int:
    """Render the samples, screenshot them, and print where they are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots", help="folder to write into (default: ./screenshots)")
    parser.add_argument("--width", type=int, default=1100, help="viewport width in pixels (default 1100)")
    parser.add_argument("--height", type=int, default=2400, help="viewport height in pixels (default 2400)")
    parser.add_argument("--kit", action="store_true", help="render the reports as student-kit self-checks")
    args = parser.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for name, make in SAMPLES.items():
        page = out / f"{name}.html"
        page.write_text(render.report(make(), rubric_title="Word2vec softmax", kit=args.kit), encoding="utf-8")
        pages.append(page)
    summary = out / "summary.html"
    summary.write_text(render.summary(factories.batch(), rubric_title="Word2vec softmax"), encoding="utf-8")
    pages.append(summary)
    (out / "terminal.txt").write_text(render.terminal(factories.mixed(), color=False), encoding="utf-8")

    browser = find_browser()
    if browser is None:
        print(f"wrote {len(pages)} pages to {out}; no Chromium found ({', '.join(BROWSERS)}), so no screenshots")
        return 0
    failed = [p.name for p in pages if not screenshot(browser, p, p.with_suffix(".png"), args.width, args.height)]
    print(f"wrote {len(pages)} pages and {len(pages) - len(failed)} screenshots to {out}")
    if failed:
        print(f"screenshots failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
