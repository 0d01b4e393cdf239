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
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from markupsafe import escape

from . import outdir
from .config import Config
from .load import DEFAULT_MAX_FILE_BYTES, LocDict, LocList
from .playbook import HAND_WRITTEN_DIR, TEMPLATES_DIR, Playbook
from .kinds import KINDS
from .render import NAV_LIMIT, SEARCH_SEPARATOR, Page, Renderer

ENGINES = ("properdocs", "mkdocs", "zensical")
DEFAULT_ENGINE = "properdocs"
USER_CONFIG = "mkdocs.yml"
STYLESHEET = "assets/playbook.css"

# Settings the site needs to work on an intranet and to build the generated tree; a team's
# mkdocs.yml can change everything else.
_FORCED_THEME = {"name": "material", "font": False}
_DEFAULT_FEATURES = ["navigation.sections", "navigation.indexes", "navigation.top", "navigation.prune",
                     "search.suggest", "search.highlight", "content.tooltips", "toc.follow"]
_MARKDOWN_EXTENSIONS = ["abbr", "admonition", "attr_list", "def_list", "md_in_html", "tables",
                        {"toc": {"permalink": True}}, "generator.markdown_blocks"]


class SiteError(Exception):
    """A build problem a user can act on; the message says what to do."""


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
            entries += [{_html(p.title): p.path} for p in rest]
        return {title: entries}

    nav: list = [{"Home": "index.md"}]
    # each kind's pages in the kinds' navigation order: a folder of pages is a section
    for kind in sorted((k for k in KINDS if k.nav), key=lambda k: k.nav_rank):
        folder, slash, _ = kind.page.partition("/")
        nav.append(section(kind.nav, folder) if slash else {kind.nav: kind.page})
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
    if config.site.get("url") and "site_url" not in cfg:
        cfg["site_url"] = config.site["url"]
    if config.version:
        cfg.setdefault("copyright", _html(f"{config.name} · version {config.version}"))
    # relative to the generated configuration file, which sits beside both folders
    cfg["docs_dir"] = docs.name
    cfg["site_dir"] = site.name
    cfg["use_directory_urls"] = True
    cfg["nav"] = tree.nav + list(user.get("nav") or [])
    extensions = list(user.get("markdown_extensions") or [])
    names = {e if isinstance(e, str) else next(iter(e)) for e in extensions if isinstance(e, (str, dict))}
    extensions += [e for e in _MARKDOWN_EXTENSIONS if (e if isinstance(e, str) else next(iter(e))) not in names]
    cfg["markdown_extensions"] = _offline_emoji(extensions)
    cfg["extra_css"] = [STYLESHEET] + [c for c in (user.get("extra_css") or []) if c != STYLESHEET]
    # Material's recommended separator ("(MQL)" is the word "MQL", so titles rank first), and
    # stop words as separators, so "what is a lead" searches for "lead" (see render.SEARCH_SEPARATOR)
    cfg.setdefault("plugins", [{"search": {"separator": SEARCH_SEPARATOR}}])
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


class Tagged:
    """A value of mkdocs.yml written with one of the engine's YAML tags (``!ENV``,
    ``!!python/name:...``, ``!relative``): kept exactly as written, for the engine to resolve."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node

    def __repr__(self) -> str:
        return f"Tagged({self.node.tag})"


class _TeamConfigLoader(yaml.SafeLoader):
    """Reads the team's mkdocs.yml: plain YAML as usual, tagged values kept for the engine."""


_TeamConfigLoader.add_multi_constructor("!", lambda loader, suffix, node: Tagged(node))
_TeamConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: Tagged(node))


class _EngineConfigDumper(yaml.SafeDumper):
    """Writes the generated configuration; a tagged value is written back exactly as the team wrote it."""


_EngineConfigDumper.add_representer(Tagged, lambda dumper, value: value.node)


def dump_config(cfg: dict) -> str:
    """The generated configuration as the YAML file the engine reads."""
    return yaml.dump(cfg, Dumper=_EngineConfigDumper, sort_keys=False, allow_unicode=True)


def _user_config(root: Path) -> dict:
    path = root / USER_CONFIG
    if not path.exists() and not path.is_symlink():
        return {}
    if path.is_symlink() or not path.is_file():
        raise EngineConfigError(f"{USER_CONFIG}: is not a plain file (a link, a folder, a device or a pipe); "
                                "put the settings themselves there.")
    if path.stat().st_size > DEFAULT_MAX_FILE_BYTES:
        raise EngineConfigError(f"{USER_CONFIG}: is larger than {DEFAULT_MAX_FILE_BYTES // 1024 // 1024} MB; "
                                "site settings are a few lines.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EngineConfigError(f"{USER_CONFIG}:1:1: the file is not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise EngineConfigError(f"{USER_CONFIG}: cannot be read ({exc.strerror or exc}).") from None
    loader = _TeamConfigLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        problem = getattr(exc, "problem", None) or str(exc)
        raise EngineConfigError(f"{USER_CONFIG}:{where}: this is not valid YAML ({problem}).") from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EngineConfigError(f"{USER_CONFIG}:1:1: the file should be a mapping of settings "
                                "(site_name:, theme:, ...), not a list or a single value.")
    _check_shapes(_located(node))
    return _anchored(data, root)


def outside_requests(root: Path, site_url: str | None = None) -> list[str]:
    """Warnings for the team's mkdocs.yml naming a script or stylesheet on another host
    (``extra_javascript``, ``extra_css``): the built site must work on an intranet and make no
    request to an outside host. An address on the site's own host (``site_url``) is the site's."""
    path = root / USER_CONFIG
    if not path.is_file() or path.is_symlink():
        return []
    try:
        loader = _TeamConfigLoader(path.read_text(encoding="utf-8"))
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # _user_config says what is wrong with the file
    data = _located(node) if node is not None else None
    if not isinstance(data, LocDict):
        return []
    own = urlsplit(site_url).netloc.lower() if isinstance(site_url, str) else ""
    own = own or urlsplit(str(data.get("site_url") or "")).netloc.lower()
    out = []
    for key, what in (("extra_javascript", "script"), ("extra_css", "stylesheet")):
        items = data.get(key)
        if not isinstance(items, LocList):
            continue
        for item, (line, col) in zip(items, items.item_locs):
            if not isinstance(item, str):
                continue
            host = urlsplit(item.strip()).netloc.lower() if "//" in item else ""
            if host and host != own:
                out.append(f"{USER_CONFIG}:{line}:{col}: {key} loads the {what} {item.strip()} from another "
                           f"host ({host}); the site must make no outside request (readers on an intranet "
                           f"cannot reach it, and it learns who reads what). Copy the file into "
                           f"{HAND_WRITTEN_DIR}/ and name it by its path there.")
    return out


def _located(node):
    """The shape of a composed YAML node with where each part was written (for the shape checks)."""
    if isinstance(node, yaml.MappingNode) and node.tag == "tag:yaml.org,2002:map":
        out = LocDict()
        out.line, out.col = node.start_mark.line + 1, node.start_mark.column + 1
        out.key_locs, out.value_locs = {}, {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.tag)
            out[key] = _located(value_node)
            out.key_locs[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out.value_locs[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode) and node.tag == "tag:yaml.org,2002:seq":
        out = LocList(_located(item) for item in node.value)
        out.line, out.col = node.start_mark.line + 1, node.start_mark.column + 1
        out.item_locs = [(item.start_mark.line + 1, item.start_mark.column + 1) for item in node.value]
        return out
    if isinstance(node, yaml.ScalarNode) and node.tag.startswith("tag:yaml.org,2002:") \
            and not node.tag.startswith("tag:yaml.org,2002:python/"):
        return yaml.SafeLoader("").construct_object(node) if node.tag != "tag:yaml.org,2002:str" else node.value
    return Tagged(node)


# Settings of mkdocs.yml that name a path relative to mkdocs.yml itself; the generated
# configuration lives elsewhere, so they are made absolute.
_CONFIG_RELATIVE = ("INHERIT",)
_CONFIG_RELATIVE_LISTS = ("hooks", "watch")


def _anchored(data: dict, root: Path) -> dict:
    def absolute(value):
        return str((root / value).resolve()) if isinstance(value, str) and value else value

    for key in _CONFIG_RELATIVE:
        if key in data:
            data[key] = absolute(data[key])
    for key in _CONFIG_RELATIVE_LISTS:
        if isinstance(data.get(key), list):
            data[key] = [absolute(v) for v in data[key]]
    theme = data.get("theme")
    if isinstance(theme, dict) and "custom_dir" in theme:
        theme["custom_dir"] = absolute(theme["custom_dir"])
    return data


def _check_shapes(data: LocDict) -> None:
    def fail(key, where, what):
        line, col = where or (data.line, data.col)
        raise EngineConfigError(f"{USER_CONFIG}:{line}:{col}: {key} should be {what}.")

    for key, (types, what) in _SHAPES.items():
        value = data.get(key)
        if value is None or isinstance(value, Tagged):  # a tagged value is the engine's to judge
            continue
        if not isinstance(value, types):
            fail(key, data.value_locs.get(key), what)
        if key in ("markdown_extensions", "plugins") and isinstance(value, LocList):
            for i, item in enumerate(value):
                if not (isinstance(item, str) or (isinstance(item, LocDict) and len(item) == 1)):
                    fail(f"{key} item {i + 1}", value.item_locs[i], "a name, or a mapping of one name to its settings")
        if key in ("extra_css", "extra_javascript"):
            for i, item in enumerate(value):
                if not isinstance(item, (str, Tagged)):
                    fail(f"{key} item {i + 1}", value.item_locs[i], "a path")
        if key == "theme" and isinstance(value, LocDict):
            features = value.get("features")
            if features is not None and not (isinstance(features, LocList)
                                             and all(isinstance(f, str) for f in features)):
                fail("theme.features", value.value_locs.get("features"), "a list of feature names")


def _engine_program(engine: str, command: str) -> list[str]:
    if engine in ("properdocs", "mkdocs"):
        return [sys.executable, "-m", engine, command]
    if engine == "zensical":
        exe = shutil.which("zensical") or str(Path(sys.executable).with_name("zensical"))
        return [exe, command]
    raise SiteError(f'"{engine}" is not a site engine; choose one of {", ".join(ENGINES)}.')


# Emoji: the generators pymdownx.emoji and Material ship draw an emoji as an image from a public
# CDN; on an intranet that is a request to an outside host. The site keeps the team's generator
# for icons (Material's are inline SVG) and writes emoji as the characters themselves.
_EMOJI = "pymdownx.emoji"
_EMOJI_DEFAULT_GENERATOR = "pymdownx.emoji.to_png"
_OFFLINE_EMOJI = "tag:yaml.org,2002:python/name:generator.site.offline_emoji"
_PYTHON_NAME = "tag:yaml.org,2002:python/name:"


def _offline_emoji(extensions: list) -> list:
    out = []
    for ext in extensions:
        if isinstance(ext, dict) and _EMOJI in ext and isinstance(ext[_EMOJI] or {}, dict):
            settings = dict(ext[_EMOJI] or {})
            generator = settings.get("emoji_generator")
            name = _EMOJI_DEFAULT_GENERATOR
            if isinstance(generator, Tagged) and str(generator.node.tag).startswith(_PYTHON_NAME):
                name = str(generator.node.tag)[len(_PYTHON_NAME):]
            options = settings.get("options")
            settings["options"] = {**(options if isinstance(options, dict) else {}), "playbook_icons": name}
            settings["emoji_generator"] = Tagged(yaml.ScalarNode(_OFFLINE_EMOJI, ""))
            ext = {_EMOJI: settings}
        elif ext == _EMOJI:
            ext = {_EMOJI: {"emoji_generator": Tagged(yaml.ScalarNode(_OFFLINE_EMOJI, "")),
                            "options": {"playbook_icons": _EMOJI_DEFAULT_GENERATOR}}}
        out.append(ext)
    return out


def offline_emoji(index, shortname, alias, uc, alt, title, category, options, md):
    """pymdownx.emoji generator: an emoji as its character, an icon as the team's generator draws it."""
    import importlib
    if uc:
        return md.htmlStash.store(alt)
    module, _, name = options.get("playbook_icons", _EMOJI_DEFAULT_GENERATOR).rpartition(".")
    draw = getattr(importlib.import_module(module), name)
    return draw(index, shortname, alias, uc, alt, title, category, options, md)


def engine_command(engine: str, config_file: Path, strict: bool) -> list[str]:
    cmd = _engine_program(engine, "build") + ["-f", str(config_file)]
    if strict:
        cmd.append("--strict")
    return cmd


def engine_env() -> dict:
    env = dict(os.environ)
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.setdefault("PYTHONWARNINGS", "ignore")
    # mike runs the engine's own command (``properdocs build``); it must be the one installed
    # beside this Python even when its folder is not on PATH (a virtual environment not activated)
    # the engine imports this package for the offline emoji generator
    package_parent = str(Path(__file__).resolve().parent.parent)
    if package_parent not in env.get("PYTHONPATH", "").split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    here = str(Path(sys.executable).parent)
    if here not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = here + os.pathsep + env.get("PATH", "")
    return env


def engine_failure(engine: str, output: str, previous: bool = True) -> str:
    """What to tell the user when the engine failed: its own messages, without a traceback, and
    that the previous site is unchanged (``previous``) or that no site was written.

    A traceback means the engine could not use a setting (most often in mkdocs.yml); its last
    line says which, the frames above it say nothing a playbook team can act on.
    """
    kept = "the previous site is unchanged" if previous else "no site was written"
    lines = output.strip().splitlines()
    if not any(line.startswith("Traceback (most recent call last)") for line in lines):
        return f"The site engine ({engine}) failed; {kept}.\n" + "\n".join(lines)
    start = next(i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)"))
    before = [line for line in lines[:start] if line.startswith(("ERROR", "WARNING"))]
    last = next((line for line in reversed(lines) if line.strip() and not line.startswith(" ")), "")
    return (f"The site engine ({engine}) stopped with an error, most likely from a setting in {USER_CONFIG}; "
            f"{kept}.\n" + "\n".join(before + [last]))


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
    cmd = _engine_program(engine, "serve") + ["-f", str(config_file), "-a", address]
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
