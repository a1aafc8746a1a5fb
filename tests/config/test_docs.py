"""README and docs/ stay true: README is short, names every setting and dependency, every link and
path resolves, and every "docs/<file>.md, <Heading>" a comment cites is a heading of that file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_BYTES = 10_000
# Folders that hold no source of ours.
SKIPPED_DIRS = frozenset(
    {".git", ".venv", "node_modules", "staticfiles", "artifacts", ".pytest_cache", "__pycache__"}
)
SKIPPED_SUFFIXES = (".egg-info",)
# Where code comments live.
CODE_SUFFIXES = frozenset({".py", ".html", ".js", ".css", ".sh", ".toml", ".cfg", ".yml", ".yaml"})
CODE_NAMES = frozenset({"Makefile", ".env.example", "run"})

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
# A citation: docs/<file>.md, optionally #anchor, optionally ", <Heading>" (quoted or not).
CITATION = re.compile(r"docs/([\w.-]+\.md)(#[\w-]+)?")
CITED_HEADING = re.compile(r",[ \t]*[\"'`]?")
# What continues a comment on the next line: "# ", "// ", " * ".
COMMENT_CONTINUATION = re.compile(r"\n[ \t]*(?:#+|//|\*)?[ \t]*")
SETTING = re.compile(
    r"""env(?:\.(?:str|bool|int|float|list|db_url|url|json))?\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
# `app/module.py`-style paths in inline code: they must exist.
CODE_PATH = re.compile(
    r"`((?:\.?[\w-]+/)+[\w.-]+\.(?:py|md|html|js|css|sh|json|png|svg|toml))(?::\w+)?`"
)


def _files(suffixes: frozenset[str], names: frozenset[str] = frozenset()) -> Iterator[Path]:
    stack = [ROOT]
    while stack:
        folder = stack.pop()
        for path in folder.iterdir():
            if path.is_dir():
                if path.name not in SKIPPED_DIRS and not path.name.endswith(SKIPPED_SUFFIXES):
                    stack.append(path)
            elif path.suffix in suffixes or path.name in names:
                yield path


def _markdown() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def _without_code_blocks(text: str) -> str:
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces become hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def headings(path: Path) -> list[str]:
    """The headings of a Markdown file (outside code blocks), as written."""
    text = _without_code_blocks(path.read_text(encoding="utf-8"))
    return [m.group(2).strip() for m in HEADING.finditer(text)]


def anchors(path: Path) -> set[str]:
    """Every anchor GitHub makes for the file's headings (repeats get -1, -2...)."""
    seen: dict[str, int] = {}
    result = set()
    for heading in headings(path):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else f"{base}-{n}")
    return result


def test_readme_is_under_10_kb() -> None:
    size = len(README.read_bytes())
    assert size < README_MAX_BYTES, f"README.md is {size} bytes: move detail into docs/"


def test_every_setting_read_in_settings_is_in_readme_and_operations() -> None:
    names = set(SETTING.findall((ROOT / "config" / "settings.py").read_text(encoding="utf-8")))
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names  # the pattern still works
    readme = README.read_text(encoding="utf-8")
    operations = (DOCS / "operations.md").read_text(encoding="utf-8")
    assert sorted(n for n in names if f"`{n}`" not in readme) == [], "document them in README"
    assert sorted(n for n in names if f"`{n}`" not in operations) == [], (
        "document them in docs/operations.md, Configuration"
    )


def test_every_dependency_is_explained_in_readme() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = {re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower() for spec in wanted}
    section = README.read_text(encoding="utf-8").lower().split("## dependencies and why", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert (
        sorted(n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", section))
        == []
    )


@pytest.mark.parametrize("path", _markdown(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for target in LINK.findall(_without_code_blocks(path.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


@pytest.mark.parametrize("path", _markdown(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_named_in_the_docs_exists(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # A template or static path may be written as Django names it (`includes/_form.html`).
    bases = (ROOT, ROOT / "templates", ROOT / "static")
    missing = sorted(
        {p for p in CODE_PATH.findall(text) if not any((base / p).exists() for base in bases)}
    )
    assert missing == [], f"{path.name} names files that do not exist"


def test_every_docs_file_is_linked_from_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    unlinked = [p.name for p in DOCS.glob("*.md") if f"(docs/{p.name}" not in readme]
    assert unlinked == []


def test_the_screenshot_is_there_and_small() -> None:
    image = DOCS / "img" / "overview.png"
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.stat().st_size < 200_000


def test_docs_point_nowhere_outside_the_repository() -> None:
    outside = re.compile(r"DOMAIN\.md|CONTRACT\.md|CONVENTIONS\.md|\.\./shared|/work/")
    offenders = [
        str(p.relative_to(ROOT))
        for p in [*_markdown(), *ROOT.glob("*/README.md")]
        if p.parent.name not in SKIPPED_DIRS
        if outside.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def citations(text: str) -> Iterator[tuple[str, str, str]]:
    """(file, anchor, text after the comma) of every docs/ citation in `text`."""
    for match in CITATION.finditer(text):
        comma = CITED_HEADING.match(text, match.end())
        after = (
            COMMENT_CONTINUATION.sub(" ", text[comma.end() : comma.end() + 200]) if comma else ""
        )
        yield match.group(1), (match.group(2) or "")[1:], after


def citation_problem(doc: str, anchor: str, after: str) -> str | None:
    """What is wrong with one citation, or None."""
    path = DOCS / doc
    if not path.exists():
        return f"docs/{doc} does not exist"
    if anchor and anchor not in anchors(path):
        return f"docs/{doc}#{anchor}: no such heading"
    if after[:1].isupper():  # "docs/x.md, Heading"; "docs/x.md, the ..." is a list, not a citation
        words = after.strip().lower()
        names = {h.lower() for h in headings(path)}
        names |= {n.removeprefix("the ") for n in names}  # "Change feed" cites "The change feed"
        if not any(words.startswith(name) for name in names):
            return f'docs/{doc}, "{after.strip()[:40]}...": cite a heading of docs/{doc}'
    return None


def test_citation_checker_tells_headings_from_other_text() -> None:
    text = (
        '# see docs/domain.md, User tiers.\n# docs/domain.md, "GuardDuty" and docs/api.md#webhooks'
    )
    found = [citation_problem(*c) for c in citations(text)]
    assert found == [None, None, None]
    wrapped = "# the rule (docs/domain.md, Macie and the\n#   alert categories)."
    assert [citation_problem(*c) for c in citations(wrapped)] == [None]
    listed = "# the fields of docs/api.md, the feedback matrix; docs/api.md, Change feed"
    assert [citation_problem(*c) for c in citations(listed)] == [None, None]
    bad = "# docs/domain.md, Tiers of users\n# docs/nothing.md\n# docs/api.md#nowhere"
    assert all(citation_problem(*c) for c in citations(bad))


def test_every_docs_citation_in_code_resolves_to_a_heading() -> None:
    problems = []
    for path in _files(CODE_SUFFIXES, CODE_NAMES):
        if path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for doc, anchor, after in citations(text):
            problem = citation_problem(doc, anchor, after)
            if problem:
                problems.append(f"{path.relative_to(ROOT)}: {problem}")
    assert problems == []
