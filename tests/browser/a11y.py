"""What the accessibility audits run in the page: axe-core, the overflow check, chart readiness.

axe-core 4.14.1 is the copy under tests/browser/vendor/axe-core/ (see its README.md), checked
against its hash here. It is evaluated through the DevTools protocol (Playwright's evaluate), which
the page's Content-Security-Policy does not govern, so the pages are audited with their real CSP on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

_AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_SOURCE = _AXE.read_text(encoding="utf-8")
if hashlib.sha256(_AXE.read_bytes()).hexdigest() != AXE_SHA256:
    raise RuntimeError(f"{_AXE} is not axe-core 4.14.1 as fetched (see its README.md)")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}

_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
    count: v.nodes.length,
  }));
}"""

# Elements wider than the viewport are a failure unless an ancestor clips them in a box that
# itself fits (a keyboard-scrollable region): what sticks out is what a person must pan to see.
_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.overflowX !== "visible" && p.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    // Past the right edge, or cut by the left one (wholly off-screen left is a hidden helper).
    if (rect.right > width + 1 || (rect.left < -1 && rect.right > 0)) {
      if (clipped(el)) continue;
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      out.push(`${name} [${Math.round(rect.left)}, ${Math.round(rect.right)}]`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    elements: out.slice(0, 10),
  };
}"""


_REFERENCES = """() => {
  const broken = [];
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) broken.push(`${attr}="${id}" on ${el.tagName.toLowerCase()}#${el.id}`);
      }
    }
  }
  for (const label of document.querySelectorAll("label[for]")) {
    if (label.htmlFor && !document.getElementById(label.htmlFor)) broken.push(`label for="${label.htmlFor}"`);
  }
  // A field said to be invalid must point at the words that say why.
  for (const el of document.querySelectorAll("[aria-invalid=true]")) {
    const ids = (el.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
    if (!ids.some((id) => document.getElementById(id)?.textContent.trim())) {
      broken.push(`aria-invalid without its error on ${el.tagName.toLowerCase()}#${el.id}`);
    }
  }
  return broken;
}"""

_FIRST_FOCUSABLE = """() => {
  const el = document.body.querySelector(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])");
  const href = el && el.getAttribute("href");
  return {
    class: el && el.className, href: href,
    target: !!(href && href.startsWith("#") && document.getElementById(href.slice(1))),
  };
}"""


def broken_references(page: Any) -> list[str]:
    """Ids that aria-describedby, aria-labelledby, aria-controls or a label's `for` name but that
    the page lacks, and fields marked aria-invalid without an error to read."""
    return page.evaluate(_REFERENCES)


def first_focusable(page: Any) -> dict[str, Any]:
    """The first element a Tab reaches, and whether the fragment it links to exists."""
    return page.evaluate(_FIRST_FOCUSABLE)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page as it is."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    violations = page.evaluate(_RUN_AXE, WCAG_TAGS)
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def overflow(page: Any) -> dict[str, Any]:
    """How far the page sticks out sideways: the document's width and the elements past the edge."""
    return page.evaluate(_OVERFLOW)


def charts_settled(page: Any, timeout: float = 15000) -> None:
    """Wait until every chart of the page is drawn (charts.js marks each data-rendered)."""
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')].every("
        "(el) => el.getAttribute('data-rendered') === 'true')",
        timeout=timeout,
    )
