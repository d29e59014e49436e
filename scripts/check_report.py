#!/usr/bin/env python3
"""Open a convolens HTML report in headless Chromium and check it as a reader would see it.

    scripts/check_report.py HTML_FILE SCREENSHOT_PNG [--width 1280] [--chromium /usr/bin/chromium]

Checks, each a problem if it fails:
  - no console error and no uncaught page error;
  - no request other than the file itself (the report must be self-contained: no fonts,
    styles, scripts or images from anywhere), and no failed request;
  - at least one <svg>, and the page and every chart have a non-zero size;
  - chart text stays inside its chart, and horizontal labels of one chart do not overlap;
  - the page does not scroll sideways at the given width.

Takes a full-page screenshot either way, prints one summary line, and exits 0 when clean,
1 on any problem, 2 when the browser cannot start (or Playwright is missing).

Needs Debian's chromium (apt-get install -y chromium) and Python Playwright
(pip install playwright); it drives the system browser and never downloads one.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

# Collected in the page: every chart's box and the boxes of its text elements. Rotated text
# (a transform attribute) is checked for clipping only; its axis-aligned box overlaps its
# neighbours' by construction.
MEASURE_JS = """
() => {
  const round = (r) => ({x: r.x, y: r.y, w: r.width, h: r.height,
                         right: r.right, bottom: r.bottom});
  const doc = document.documentElement;
  return {
    page: {w: doc.scrollWidth, h: doc.scrollHeight, viewport: window.innerWidth},
    svgs: Array.from(document.querySelectorAll('svg')).map((svg, i) => {
      const title = svg.querySelector('title');
      return {
        index: i,
        title: title ? title.textContent : '',
        box: round(svg.getBoundingClientRect()),
        texts: Array.from(svg.querySelectorAll('text')).map((t) => ({
          text: t.textContent,
          rotated: t.hasAttribute('transform'),
          box: round(t.getBoundingClientRect()),
        })),
      };
    }),
  };
}
"""

# Labels may touch; anything more than this many pixels of overlap in both directions is a collision.
OVERLAP_TOLERANCE_PX = 1.0
CLIP_TOLERANCE_PX = 1.0


def overlaps(a: dict, b: dict) -> bool:
    dx = min(a["right"], b["right"]) - max(a["x"], b["x"])
    dy = min(a["bottom"], b["bottom"]) - max(a["y"], b["y"])
    return dx > OVERLAP_TOLERANCE_PX and dy > OVERLAP_TOLERANCE_PX


def layout_problems(measure: dict) -> list[str]:
    problems = []
    page = measure["page"]
    if page["w"] <= 0 or page["h"] <= 0:
        problems.append(f"page has zero size ({page['w']}x{page['h']})")
    if page["w"] > page["viewport"] + 1:
        problems.append(f"page scrolls sideways: {page['w']}px wide in a {page['viewport']}px viewport")
    if not measure["svgs"]:
        problems.append("no <svg> chart in the page")
    for svg in measure["svgs"]:
        name = f"chart {svg['index'] + 1} ({svg['title']!r})"
        box = svg["box"]
        if box["w"] <= 0 or box["h"] <= 0:
            problems.append(f"{name} has zero size")
            continue
        texts = [t for t in svg["texts"] if t["text"].strip() and t["box"]["w"] > 0]
        for t in texts:
            b = t["box"]
            if (
                b["x"] < box["x"] - CLIP_TOLERANCE_PX
                or b["right"] > box["right"] + CLIP_TOLERANCE_PX
                or b["y"] < box["y"] - CLIP_TOLERANCE_PX
                or b["bottom"] > box["bottom"] + CLIP_TOLERANCE_PX
            ):
                problems.append(f"{name}: text {t['text']!r} is cut off at the chart's edge")
        flat = [t for t in texts if not t["rotated"]]
        for i, a in enumerate(flat):
            for b in flat[i + 1 :]:
                if overlaps(a["box"], b["box"]):
                    problems.append(f"{name}: labels {a['text']!r} and {b['text']!r} overlap")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_file", type=pathlib.Path)
    parser.add_argument("screenshot", type=pathlib.Path)
    parser.add_argument("--width", type=int, default=1280, help="viewport width in CSS pixels")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="browser executable")
    args = parser.parse_args()

    html = args.html_file.resolve()
    if not html.is_file():
        print(f"check_report: FAIL {html} does not exist")
        return 1
    url = html.as_uri()

    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        print(f"check_report: BROWSER Python Playwright is missing ({e}); pip install playwright")
        return 2

    problems: list[str] = []
    requests: list[str] = []
    measure: dict = {"page": {"w": 0, "h": 0}, "svgs": []}

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=args.chromium, headless=True)
        except PlaywrightError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
            print(f"check_report: BROWSER cannot start {args.chromium}: {first}")
            return 2
        try:
            context = browser.new_context(viewport={"width": args.width, "height": 900}, java_script_enabled=True)
            page = context.new_page()

            def on_console(msg):
                if msg.type == "error":
                    problems.append(f"console error: {msg.text}")

            def on_route(route):
                req_url = route.request.url
                if req_url == url:
                    route.continue_()
                else:
                    problems.append(f"external request (report must be self-contained): {req_url}")
                    route.abort()

            page.on("console", on_console)
            page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
            page.on("request", lambda req: requests.append(req.url))
            def on_request_failed(req):
                # Requests aborted by on_route are already reported as external.
                if req.url == url:
                    problems.append(f"loading the file failed: {req.failure}")

            page.on("requestfailed", on_request_failed)
            page.route("**/*", on_route)

            try:
                page.goto(url, wait_until="load")
                page.wait_for_timeout(200)  # let late console messages arrive
                measure = page.evaluate(MEASURE_JS)
                problems.extend(layout_problems(measure))
                args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.screenshot), full_page=True)
            except PlaywrightError as e:
                problems.append(f"browser error while checking: {str(e).strip().splitlines()[0]}")
        finally:
            browser.close()

    # Requests that bypassed routing (none expected) still count.
    for req_url in requests:
        if req_url != url and not req_url.startswith("data:") and not any(req_url in p for p in problems):
            problems.append(f"external request (report must be self-contained): {req_url}")

    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    svgs = len(measure["svgs"])
    size = f"{measure['page']['w']}x{measure['page']['h']}"
    if problems:
        print(f"check_report: FAIL {len(problems)} problem(s) in {html.name}: svgs={svgs} page={size} screenshot={args.screenshot}")
        return 1
    print(f"check_report: OK {html.name}: svgs={svgs} page={size} requests={len(requests)} screenshot={args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
