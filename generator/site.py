"""Turn the playbook into a site: write the Markdown tree, configure the engine, build, swap.

The engine (ProperDocs with the Material theme by default, or MkDocs, or Zensical) only ever
sees a plain Markdown tree and a generated ``mkdocs.yml``: the team's own ``mkdocs.yml`` read as
the engine reads it (its YAML tags kept for the engine to resolve) and merged with what the
generated pages need. The build happens in a temporary folder next to the site
folder; only a successful build replaces the previous site, so a failure leaves it intact.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import outdir
from .config import Config
from .kinds import KINDS
from .playbook import HAND_WRITTEN_DIR, TEMPLATES_DIR, Playbook
from .render import NAV_LIMIT, Page, Renderer
from .site_engine import (DEFAULT_ENGINE, ENGINES, STYLESHEET, USER_CONFIG, EngineConfigError, SiteError, Tagged,
                          dump_config, engine_command, engine_config, engine_env, engine_failure, engine_program,
                          html_title, offline_emoji, outside_requests, user_config)

# what the rest of the playbook (and its tests) read from here
__all__ = ["DEFAULT_ENGINE", "ENGINES", "EngineConfigError", "SiteError", "Tagged", "Tree", "address_problem",
           "build_site", "dump_config", "engine_command", "engine_config", "engine_env", "engine_failure",
           "generate", "offline_emoji", "outside_requests", "serve", "write_tree"]
_user_config = user_config


@dataclass
class Tree:
    files: dict[str, str | bytes]  # path inside docs/ -> text (a page) or bytes (the team's asset)
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
    for rel, data in _assets(pb.root / HAND_WRITTEN_DIR):
        files.setdefault(rel, data)
    return Tree(files, _nav(pages, guides, hand_written), len(pages) + len(guides))


def _assets(folder: Path):
    """Files beside the hand-written pages that are not pages (a logo, images, a stylesheet):
    the team's own, copied as they are so mkdocs.yml can name them (``theme.logo: assets/logo.svg``)."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for where, dirs, names in os.walk(folder):  # symbolic links to folders are not followed
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(where) / name
            if name.startswith(".") or name.endswith(".md") or path.is_symlink() or not path.is_file():
                continue
            rel = path.relative_to(folder)
            yield rel.as_posix(), path.read_bytes()


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
            entries += [{html_title(p.title): p.path} for p in rest]
        return {title: entries}

    nav: list = [{"Home": "index.md"}]
    # each kind's pages in the kinds' navigation order: a folder of pages is a section
    for kind in sorted((k for k in KINDS if k.nav), key=lambda k: k.nav_rank):
        folder, slash, _ = kind.page.partition("/")
        nav.append(section(kind.nav, folder) if slash else {kind.nav: kind.page})
    if guides:
        nav.append({"Guides": [{html_title(_title(hand_written[g], g)): g} for g in guides]})
    nav.append({"Tags": "tags.md"})
    nav.append({"What changed": "changelog.md"})
    return nav



def _stylesheet() -> str:
    return (Path(__file__).parent / "templates" / "playbook.css").read_text(encoding="utf-8")


def write_tree(tree: Tree, docs: Path) -> list[str]:
    """Write the tree into ``docs``; only changed files are touched, stale ones removed."""
    changed = []
    docs.mkdir(parents=True, exist_ok=True)
    wanted = set(tree.files)
    for rel, text in sorted(tree.files.items()):
        path = docs / rel
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        changed.append(rel)
    for path in sorted(docs.rglob("*"), reverse=True):
        rel = path.relative_to(docs).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
            changed.append(rel)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed



def _has_site(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


@dataclass
class BuildResult:
    site: Path
    pages: int
    output: str


def build_site(pb: Playbook, config: Config, site_dir: Path, today: dt.date, strict: bool = False,
               engine: str = DEFAULT_ENGINE, keep_docs: Path | None = None, history=None) -> BuildResult:
    """Build into a private folder beside ``site_dir`` and swap it in only on success.

    ``site_dir`` (and ``keep_docs``, where the Markdown tree is also kept) must be absent, empty
    or made by playbook; anything else raises :class:`outdir.OutputRefused` before any work.
    """
    site_dir = outdir.check_target(site_dir, pb.root, "site folder")
    if keep_docs is not None:
        keep_docs = outdir.check_target(keep_docs, pb.root, "Markdown folder")
        if outdir.within(keep_docs, site_dir) or outdir.within(site_dir, keep_docs):
            raise outdir.OutputRefused("The site folder and the Markdown folder must be two separate folders.")
    outside = outside_requests(pb.root, config.site.get("url") if config.site else None)
    if outside and strict:
        raise SiteError("The site was not built (--strict): " + "\n".join(outside))
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
        config_file.write_text(dump_config(engine_config(pb, config, tree, docs, out)), encoding="utf-8")
        try:
            proc = subprocess.run(engine_command(engine, config_file, strict), cwd=work, env=engine_env(),
                                  capture_output=True, text=True)
        except FileNotFoundError as exc:
            raise SiteError(f"The {engine} engine is not installed ({exc.filename}).") from None
        output = (proc.stdout + proc.stderr).replace(str(docs) + os.sep, "")
        if proc.returncode != 0 or not (out / "index.html").is_file():
            raise SiteError(engine_failure(engine, output, previous=_has_site(site_dir)))
        outdir.replace(out, site_dir, pb.root, "site folder")
        warnings = "".join(f"WARNING -  {line}\n" for line in outside)
        return BuildResult(site_dir, tree.pages, warnings + output)
    finally:
        shutil.rmtree(work, ignore_errors=True)


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


_WATCHED_FOLDERS = ("personas", "definitions", HAND_WRITTEN_DIR, TEMPLATES_DIR)
_WATCHED_FILES = ("playbook.yaml", USER_CONFIG)


def _is_watched(root: Path, path: str) -> bool:
    try:
        rel = Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        return False
    parts = rel.parts
    return bool(parts) and ((len(parts) == 1 and parts[0] in _WATCHED_FILES) or parts[0] in _WATCHED_FOLDERS)


def _start_watching(root: Path, changed):
    """Call ``changed()`` whenever a file a page depends on changes (file-system events, no polling)."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event):
            if event.event_type in ("opened", "closed_no_write"):
                return
            paths = [event.src_path, getattr(event, "dest_path", "")]
            if any(p and _is_watched(root, os.fsdecode(p)) for p in paths):
                changed()

    observer = Observer()
    observer.schedule(Handler(), str(root), recursive=True)
    observer.daemon = True
    observer.start()
    return observer


def serve_command(engine: str, config_file: Path, address: str) -> list[str]:
    cmd = engine_program(engine, "serve") + ["-f", str(config_file), "-a", address]
    if engine == "mkdocs":
        cmd.append("--livereload")
    return cmd


def serve(root: Path, load, address: str, engine: str = DEFAULT_ENGINE, settle: float = 0.2,
          echo=print) -> int:
    """Preview the site with live reload until interrupted.

    ``load()`` returns (playbook, config, check result, day); it is called again whenever a
    watched file changes (watchdog reports it). The Markdown tree is regenerated in place and
    the engine's own live-reload server notices the change and refreshes the open browser.
    """
    import signal
    import threading

    def stop(signum, frame):  # a terminated preview cleans up like an interrupted one
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    work = Path(tempfile.mkdtemp(prefix="playbook-serve-"))
    docs, config_file = work / "docs", work / "mkdocs.yml"
    proc = observer = None
    dirty = threading.Event()
    try:
        if not _regenerate(root, load, docs, config_file, echo):
            return 1
        problem = address_problem(address)
        if problem:  # taken while the pages were generated
            echo(problem)
            return 2
        observer = _start_watching(root, dirty.set)
        proc = subprocess.Popen(serve_command(engine, config_file, address), cwd=work, env=engine_env(),
                                stderr=subprocess.PIPE, text=True, bufsize=1)
        relay = threading.Thread(target=_relay, args=(proc, address, echo), daemon=True)
        relay.start()
        echo(f"Serving on http://{address}/ ; edit the playbook and the open page refreshes. Ctrl-C stops.")
        while proc.poll() is None:
            if dirty.wait(0.3):
                import time
                time.sleep(settle)  # an editor saves in several steps; regenerate once
                dirty.clear()
                _regenerate(root, load, docs, config_file, echo)
        relay.join(timeout=2)
        return proc.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        if observer is not None:
            observer.stop()
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def _relay(proc, address: str, echo) -> None:
    """Pass the engine's messages on; say plainly when the port was taken after all."""
    for line in proc.stderr:
        line = line.rstrip("\n")
        if "Address already in use" in line or "address already in use" in line.lower():
            port = address.rpartition(":")[2]
            echo(f"Port {port} is already in use (perhaps by another preview); stop it or choose another "
                 "port with -a, for example -a 127.0.0.1:8001.")
        elif line and not line.startswith(("Traceback", "  ")):
            echo(line)


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
    text = dump_config(engine_config(pb, config, tree, docs, config_file.parent / "site"))
    if not config_file.is_file() or config_file.read_text(encoding="utf-8") != text:
        config_file.write_text(text, encoding="utf-8")
    if changed:
        echo(f"Updated {len(changed)} page(s).")
    return True
