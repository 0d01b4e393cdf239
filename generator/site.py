"""Turn the playbook into a site: write the Markdown tree, configure the engine, build, swap.

The engine (MkDocs with Material by default, or Zensical) only ever sees a plain Markdown tree
and a generated ``mkdocs.yml``. The build happens in a temporary folder next to the site
folder; only a successful build replaces the previous site, so a failure leaves it intact.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from markupsafe import escape

from . import outdir
from .config import Config
from .load import LocDict, LocList, load_file
from .playbook import HAND_WRITTEN_DIR, TEMPLATES_DIR, Playbook
from .render import NAV_LIMIT, Page, Renderer

ENGINES = ("mkdocs", "zensical")
USER_CONFIG = "mkdocs.yml"
STYLESHEET = "assets/playbook.css"

# Settings the site needs to work on an intranet and to build the generated tree; a team's
# mkdocs.yml can change everything else.
_FORCED_THEME = {"name": "material", "font": False}
_DEFAULT_FEATURES = ["navigation.sections", "navigation.indexes", "navigation.top", "navigation.prune",
                     "search.suggest", "search.highlight", "content.tooltips", "toc.follow"]
_MARKDOWN_EXTENSIONS = ["abbr", "admonition", "attr_list", "def_list", "md_in_html", "tables",
                        {"toc": {"permalink": True}}]


class SiteError(Exception):
    """A build problem a user can act on; the message says what to do."""


@dataclass
class Tree:
    files: dict[str, str]  # path inside docs/ -> text
    nav: list
    pages: int


def generate(pb: Playbook, config: Config, today: dt.date, history=None) -> Tree:
    """Render every page to Markdown, add the hand-written pages, and build the navigation."""
    renderer = Renderer(pb, config, today, pb.root / TEMPLATES_DIR, history)
    pages = renderer.pages()
    generated = {p.path for p in pages}
    hand_written = pb.pages
    clashes = sorted(set(hand_written) & generated - {"index.md"})
    if clashes:
        raise SiteError(f"{HAND_WRITTEN_DIR}/{clashes[0]} has the same path as a generated page; "
                        "rename it.")
    files: dict[str, str] = {}
    for page in pages:
        extra = {}
        if page.path == "index.md":
            extra["hand_written"] = _trusted(hand_written.get("index.md", ""))
        files[page.path] = renderer.render(page, extra)
    guides = []
    for rel, text in sorted(hand_written.items()):
        if rel == "index.md":
            continue
        files[rel] = text.rstrip("\n") + "\n" + renderer.abbreviation_block(text)
        guides.append(rel)
    files[STYLESHEET] = _stylesheet()
    return Tree(files, _nav(pages, guides, hand_written), len(pages) + len(guides))


def _trusted(text: str):
    from markupsafe import Markup
    return Markup(text)


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def _nav(pages: list[Page], guides: list[str], hand_written: dict[str, str]) -> list:
    by_prefix: dict[str, list[Page]] = {}
    for p in pages:
        by_prefix.setdefault(p.path.split("/")[0] if "/" in p.path else p.path, []).append(p)

    def section(title, prefix):
        items = by_prefix.get(prefix, [])
        index = [p for p in items if p.path.endswith("index.md")]
        rest = [p for p in items if not p.path.endswith("index.md")]
        entries = [p.path for p in index]
        if len(rest) <= NAV_LIMIT:
            entries += [{_html(p.title): p.path} for p in rest]
        return {title: entries}

    nav: list = [{"Home": "index.md"}]
    nav.append(section("Personas", "personas"))
    nav.append(section("Lifecycle", "lifecycle"))
    nav += [{"Handoffs and SLAs": "handoffs.md"}, {"Nurture tracks": "nurture-tracks.md"},
            {"Lead scoring": "scoring.md"}]
    nav.append(section("Value propositions", "value-propositions"))
    nav.append(section("Qualifying questions", "qualifying-questions"))
    nav.append(section("Complaint procedures", "complaints"))
    nav += [{"Service commitments": "service-commitments.md"}, {"Shared goals": "goals.md"},
            {"Campaigns": "campaigns.md"}, {"Teams": "teams.md"}, {"Meetings": "meetings.md"},
            {"Glossary": "glossary.md"}]
    if guides:
        nav.append({"Guides": [{_html(_title(hand_written[g], g)): g} for g in guides]})
    nav.append({"Tags": "tags.md"})
    nav.append({"What changed": "changelog.md"})
    return nav


def _html(text: str) -> str:
    """A title safe in the engine's HTML.

    Engines put navigation titles and the site name into pages unescaped, and Material also
    un-escapes them for <title> (``striptags``); angle brackets are therefore replaced by
    look-alikes before escaping, so no title can ever open a tag.
    """
    return str(escape(text.replace("<", "‹").replace(">", "›")))


def _stylesheet() -> str:
    return (Path(__file__).parent / "templates" / "playbook.css").read_text(encoding="utf-8")


def write_tree(tree: Tree, docs: Path) -> list[str]:
    """Write the tree into ``docs``; only changed files are touched, stale ones removed."""
    changed = []
    docs.mkdir(parents=True, exist_ok=True)
    wanted = set(tree.files)
    for rel, text in sorted(tree.files.items()):
        path = docs / rel
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(rel)
    for path in sorted(docs.rglob("*"), reverse=True):
        rel = path.relative_to(docs).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
            changed.append(rel)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


def engine_config(pb: Playbook, config: Config, tree: Tree, docs: Path, site: Path) -> dict:
    user = _user_config(pb.root)
    cfg = {k: v for k, v in user.items() if k not in ("docs_dir", "site_dir", "nav", "repo_url",
                                                       "repo_name", "edit_uri")}
    theme = user.get("theme") or {}
    theme = {"name": theme} if isinstance(theme, str) else dict(theme)
    theme.update(_FORCED_THEME)
    theme.setdefault("features", list(_DEFAULT_FEATURES))
    cfg["theme"] = theme
    cfg.setdefault("site_name", _html(config.name))
    if config.version:
        cfg.setdefault("copyright", _html(f"{config.name} · version {config.version}"))
    # relative to the generated configuration file, which sits beside both folders
    cfg["docs_dir"] = docs.name
    cfg["site_dir"] = site.name
    cfg["use_directory_urls"] = True
    cfg["nav"] = tree.nav + list(user.get("nav") or [])
    extensions = list(user.get("markdown_extensions") or [])
    names = {e if isinstance(e, str) else next(iter(e)) for e in extensions}
    extensions += [e for e in _MARKDOWN_EXTENSIONS if (e if isinstance(e, str) else next(iter(e))) not in names]
    cfg["markdown_extensions"] = extensions
    cfg["extra_css"] = [STYLESHEET] + [c for c in (user.get("extra_css") or []) if c != STYLESHEET]
    # Material's recommended separator: "(MQL)" is the word "MQL", so titles rank first
    cfg.setdefault("plugins", [{"search": {"separator": r'[\s\u200b\-_,:!=\[\]()"`/]+|\.(?!\d)|&[lg]t;|(?!\b)(?=[A-Z][a-z])'}}])
    extra = dict(user.get("extra") or {})
    extra.setdefault("generator", False)
    cfg["extra"] = extra
    cfg.setdefault("validation", {"nav": {"omitted_files": "ignore"}, "links": {"anchors": "warn"}})
    return cfg


class EngineConfigError(SiteError):
    """The team's mkdocs.yml cannot be used as written (a configuration error, exit 2)."""


# What each setting of mkdocs.yml that the build merges with its own must be, as the engine's
# documentation describes it: (accepted types, what to write instead).
_SHAPES = {
    "site_name": ((str,), "a line of text"),
    "theme": ((str, LocDict), "a theme name or a mapping such as {name: material}"),
    "nav": ((LocList,), "a list of pages"),
    "extra": ((LocDict,), "a mapping of settings"),
    "extra_css": ((LocList,), "a list of stylesheet paths"),
    "extra_javascript": ((LocList,), "a list of script paths"),
    "markdown_extensions": ((LocList,), "a list of extension names, each optionally with its settings"),
    "plugins": ((LocList, LocDict), "a list of plugin names, each optionally with its settings"),
    "validation": ((LocDict,), "a mapping of settings"),
}


def _user_config(root: Path) -> dict:
    path = root / USER_CONFIG
    if not path.is_file():
        return {}
    loaded = load_file(path, USER_CONFIG)
    if loaded.findings:
        f = loaded.findings[0]
        raise EngineConfigError(f"{USER_CONFIG}:{f.location.line}:{f.location.col}: {f.message}")
    data = loaded.data
    if data is None:
        return {}
    if not isinstance(data, LocDict):
        raise EngineConfigError(f"{USER_CONFIG}:1:1: the file should be a mapping of settings "
                                "(site_name:, theme:, ...), not a list or a single value.")
    _check_shapes(data)
    return _plain(data) or {}


def _check_shapes(data: LocDict) -> None:
    def fail(key, where, what):
        line, col = where or (data.line, data.col)
        raise EngineConfigError(f"{USER_CONFIG}:{line}:{col}: {key} should be {what}.")

    for key, (types, what) in _SHAPES.items():
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, types):
            fail(key, data.value_locs.get(key), what)
        if key in ("markdown_extensions", "plugins") and isinstance(value, LocList):
            for i, item in enumerate(value):
                if not (isinstance(item, str) or (isinstance(item, LocDict) and len(item) == 1)):
                    fail(f"{key} item {i + 1}", value.item_locs[i], "a name, or a mapping of one name to its settings")
        if key in ("extra_css", "extra_javascript"):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    fail(f"{key} item {i + 1}", value.item_locs[i], "a path")
        if key == "theme" and isinstance(value, LocDict):
            features = value.get("features")
            if features is not None and not (isinstance(features, LocList)
                                             and all(isinstance(f, str) for f in features)):
                fail("theme.features", value.value_locs.get("features"), "a list of feature names")


def _plain(value):
    if isinstance(value, LocDict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, LocList):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        low = value.lower()
        if low in ("true", "false"):
            return low == "true"
        if value.isdigit():
            return int(value)
    return value


def engine_command(engine: str, config_file: Path, strict: bool) -> list[str]:
    if engine == "mkdocs":
        cmd = [sys.executable, "-m", "mkdocs", "build", "-f", str(config_file)]
    elif engine == "zensical":
        exe = shutil.which("zensical") or str(Path(sys.executable).with_name("zensical"))
        cmd = [exe, "build", "-f", str(config_file)]
    else:  # pragma: no cover - the CLI restricts the choice
        raise SiteError(f"unknown engine {engine}")
    if strict:
        cmd.append("--strict")
    return cmd


def engine_env() -> dict:
    env = dict(os.environ)
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def engine_failure(engine: str, output: str) -> str:
    """What to tell the user when the engine failed: its own messages, without a traceback.

    A traceback means the engine could not use a setting (most often in mkdocs.yml); its last
    line says which, the frames above it say nothing a playbook team can act on.
    """
    lines = output.strip().splitlines()
    if not any(line.startswith("Traceback (most recent call last)") for line in lines):
        return f"The site engine ({engine}) failed; the previous site is unchanged.\n" + "\n".join(lines)
    start = next(i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)"))
    before = [line for line in lines[:start] if line.startswith(("ERROR", "WARNING"))]
    last = next((line for line in reversed(lines) if line.strip() and not line.startswith(" ")), "")
    return (f"The site engine ({engine}) stopped with an error, most likely from a setting in {USER_CONFIG}; "
            "the previous site is unchanged.\n" + "\n".join(before + [last]))


@dataclass
class BuildResult:
    site: Path
    pages: int
    output: str


def build_site(pb: Playbook, config: Config, site_dir: Path, today: dt.date, strict: bool = False,
               engine: str = "mkdocs", keep_docs: Path | None = None, history=None) -> BuildResult:
    """Build into a private folder beside ``site_dir`` and swap it in only on success.

    ``site_dir`` (and ``keep_docs``, where the Markdown tree is also kept) must be absent, empty
    or made by playbook; anything else raises :class:`outdir.OutputRefused` before any work.
    """
    site_dir = outdir.check_target(site_dir, pb.root, "site folder")
    if keep_docs is not None:
        keep_docs = outdir.check_target(keep_docs, pb.root, "Markdown folder")
        if outdir.within(keep_docs, site_dir) or outdir.within(site_dir, keep_docs):
            raise outdir.OutputRefused("The site folder and the Markdown folder must be two separate folders.")
    tree = generate(pb, config, today, history)
    outdir.clean_leftovers(site_dir.parent)
    work = outdir.work_folder(site_dir.parent)
    try:
        docs = work / "docs"
        out = work / "site"
        write_tree(tree, docs)
        if keep_docs is not None:
            outdir.clean_leftovers(keep_docs.parent)
            copy = outdir.work_folder(keep_docs.parent)
            try:
                shutil.copytree(docs, copy / "docs")
                outdir.replace(copy / "docs", keep_docs, pb.root, "Markdown folder")
            finally:
                shutil.rmtree(copy, ignore_errors=True)
        config_file = work / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(engine_config(pb, config, tree, docs, out),
                                              sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            proc = subprocess.run(engine_command(engine, config_file, strict), cwd=work, env=engine_env(),
                                  capture_output=True, text=True)
        except FileNotFoundError as exc:
            raise SiteError(f"The {engine} engine is not installed ({exc.filename}).") from None
        output = (proc.stdout + proc.stderr).replace(str(docs) + os.sep, "")
        if proc.returncode != 0 or not (out / "index.html").is_file():
            raise SiteError(engine_failure(engine, output))
        outdir.replace(out, site_dir, pb.root, "site folder")
        return BuildResult(site_dir, tree.pages, output)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def watched_files(root: Path) -> dict[str, float]:
    """Modification times of everything a page depends on."""
    out = {}
    for name in ("personas", "definitions", HAND_WRITTEN_DIR, TEMPLATES_DIR):
        folder = root / name
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file():
                    out[str(path)] = path.stat().st_mtime_ns
    for name in ("playbook.yaml", USER_CONFIG):
        path = root / name
        if path.is_file():
            out[str(path)] = path.stat().st_mtime_ns
    return out


def address_problem(address: str) -> str | None:
    """Why the preview cannot listen on ``address`` (HOST:PORT), or None when it can."""
    import socket
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return f'"{address}" is not an address to serve on; write HOST:PORT, for example 127.0.0.1:8000.'
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f'"{host}" is not a host name or address of this machine.'
    family, kind, proto, _, where = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"Port {port} on {host} is already in use (perhaps by another preview); "
                        "stop it or choose another port with -a, for example -a 127.0.0.1:8001.")
            return f"Cannot listen on {address}: {exc.strerror or exc}."
    return None


def serve(root: Path, load, address: str, engine: str = "mkdocs", poll: float = 0.3,
          echo=print) -> int:
    """Preview the site with live reload until interrupted.

    ``load()`` returns (playbook, config, check result); it is called again whenever a watched
    file changes. The Markdown tree is regenerated in place and the engine's own live-reload
    server notices the change and refreshes the open browser.
    """
    import signal
    import time

    def stop(signum, frame):  # a terminated preview cleans up like an interrupted one
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    work = Path(tempfile.mkdtemp(prefix="playbook-serve-"))
    docs, config_file = work / "docs", work / "mkdocs.yml"
    proc = None
    try:
        snapshot = watched_files(root)
        if not _regenerate(root, load, docs, config_file, echo):
            return 1
        if engine == "mkdocs":
            cmd = [sys.executable, "-m", "mkdocs", "serve", "-f", str(config_file), "-a", address,
                   "--livereload"]
        else:
            exe = shutil.which("zensical") or str(Path(sys.executable).with_name("zensical"))
            cmd = [exe, "serve", "-f", str(config_file), "-a", address]
        proc = subprocess.Popen(cmd, cwd=work, env=engine_env())
        echo(f"Serving on http://{address}/ ; edit the playbook and the open page refreshes. Ctrl-C stops.")
        while proc.poll() is None:
            time.sleep(poll)
            current = watched_files(root)
            if current != snapshot:
                snapshot = current
                _regenerate(root, load, docs, config_file, echo)
        return proc.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def _regenerate(root: Path, load, docs: Path, config_file: Path, echo) -> bool:
    try:
        pb, config, result, today = load()
        tree = generate(pb, config, today)
    except Exception as exc:  # keep serving the last good pages; say why they are not updated
        echo(f"Not updated: {exc}")
        return False
    if result.counts.get("error"):
        echo(f"The playbook has {result.counts['error']} error(s); run 'playbook check' to see them.")
    changed = write_tree(tree, docs)
    text = yaml.safe_dump(engine_config(pb, config, tree, docs, config_file.parent / "site"),
                          sort_keys=False, allow_unicode=True)
    if not config_file.is_file() or config_file.read_text(encoding="utf-8") != text:
        config_file.write_text(text, encoding="utf-8")
    if changed:
        echo(f"Updated {len(changed)} page(s).")
    return True
