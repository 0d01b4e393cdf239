"""The site engine's side of a build: the configuration it is given (the team's own
``mkdocs.yml`` read as the engine reads it, its YAML tags kept for the engine to resolve, merged
with what the generated pages need), the command that runs it, and what to say when it fails.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from markupsafe import escape

from .config import Config
from .load import DEFAULT_MAX_FILE_BYTES, LocDict, LocList
from .playbook import HAND_WRITTEN_DIR, Playbook
from .render_words import SEARCH_SEPARATOR

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



def html_title(text: str) -> str:
    """A title safe in the engine's HTML.

    Engines put navigation titles and the site name into pages unescaped, and Material also
    un-escapes them for <title> (``striptags``); angle brackets are therefore replaced by
    look-alikes before escaping, so no title can ever open a tag.
    """
    return str(escape(text.replace("<", "‹").replace(">", "›")))



def engine_config(pb: Playbook, config: Config, tree, docs: Path, site: Path) -> dict:
    """The engine's configuration for the generated ``tree`` (a :class:`~generator.site.Tree`)."""
    user = user_config(pb.root)
    cfg = {k: v for k, v in user.items() if k not in ("docs_dir", "site_dir", "nav", "repo_url",
                                                       "repo_name", "edit_uri")}
    theme = user.get("theme") or {}
    theme = {"name": theme} if isinstance(theme, str) else dict(theme)
    theme.update(_FORCED_THEME)
    theme.setdefault("features", list(_DEFAULT_FEATURES))
    cfg["theme"] = theme
    cfg.setdefault("site_name", html_title(config.name))
    if config.site.get("url") and "site_url" not in cfg:
        cfg["site_url"] = config.site["url"]
    if config.version:
        cfg.setdefault("copyright", html_title(f"{config.name} · version {config.version}"))
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


def user_config(root: Path) -> dict:
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


def engine_program(engine: str, command: str) -> list[str]:
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
_OFFLINE_EMOJI = "tag:yaml.org,2002:python/name:generator.site_engine.offline_emoji"
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
    cmd = engine_program(engine, "build") + ["-f", str(config_file)]
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

