"""The playbook's configuration file, ``playbook.yaml``, found from a folder upwards.

It holds the playbook's name and version, rule severities, per-path ignores, the default
review interval and the file size limit. A mistake in it is a configuration error (exit 2),
never silently ignored.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Location, Severity
from .load import DEFAULT_MAX_FILE_BYTES, LocDict, LocList, load_bytes
from .model import MAX_REVIEW_EVERY_DAYS
from .rules import RULES, by_name_or_code

CONFIG_NAME = "playbook.yaml"
_KEYS = ("name", "version", "description", "rules", "ignore", "review_every_days",
         "max_file_bytes", "site", "diff", "publish", "score")
CRM_NAMES = ("hubspot", "salesforce")  # the presets of `playbook score --crm`


class ConfigError(Exception):
    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message)
        self.message, self.location = message, location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class UnreadableFile(Exception):
    """A file named on the command line that is not a regular, readable file within the limit."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the regular file ``path``, refusing devices, pipes, folders and files over
    ``limit`` bytes (checked on the open file, and read no further than the limit)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such {what} file.") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path} is a folder, not a {what} file.") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: the {what} file cannot be read ({exc.strerror or exc}).") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableFile(f"{path} is a folder, not a {what} file.")
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"{path} is not a regular file (it is a device, a pipe or a socket); "
                                 f"name the {what} file itself.")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        raw = b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(f"{path}: the {what} file cannot be read ({exc.strerror or exc}).") from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise UnreadableFile(f"{path} is over the {limit:,}-byte limit for a {what} file.")
    return raw


_WHOLE = re.compile(r"[0-9]{1,15}")
_LIMITS = {"review_every_days": (MAX_REVIEW_EVERY_DAYS, "days", "100 years"),
           "max_file_bytes": (2**30, "bytes", "1 GiB")}


@dataclass
class Ignore:
    paths: list[str]
    rules: list[str]  # codes; empty means every rule


@dataclass
class Config:
    path: Path | None = None
    name: str = "Sales & marketing playbook"
    version: str = ""
    description: str = ""
    severities: dict[str, Severity] = field(default_factory=dict)
    ignores: list[Ignore] = field(default_factory=list)
    review_every_days: int | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    site: dict = field(default_factory=dict)
    diff_grades: dict[str, str] = field(default_factory=dict)
    publish: dict = field(default_factory=dict)
    score_map: dict[str, str] = field(default_factory=dict)  # export column (lower case) -> field
    score_crm: str | None = None

    def severity(self, code: str) -> Severity:
        return self.severities.get(code, RULES[code].severity)


def find_config(start: Path) -> Path | None:
    """The nearest ``playbook.yaml`` in ``start`` or one of its parents."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            return path
    return None


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        raw = read_limited(path, DEFAULT_MAX_FILE_BYTES, "configuration")
    except UnreadableFile as exc:
        raise ConfigError(exc.message) from None
    loaded = load_bytes(raw, path.name)
    if loaded.findings:
        f = loaded.findings[0]
        raise ConfigError(f.message, Location(str(path), f.location.line, f.location.col))
    data = loaded.data
    cfg = Config(path=path)
    if data is None:
        return cfg
    if not isinstance(data, LocDict):
        raise ConfigError("The configuration should be a mapping of settings (name:, version:, rules: ...).",
                          Location(str(path)))

    def where(container, key):
        line, col = container.value_locs.get(key, (container.line, container.col))
        return Location(str(path), line, col)

    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f' Did you mean "{close[0]}"?' if close else " Known settings: " + ", ".join(_KEYS) + "."
            raise ConfigError(f'Unknown setting "{key}".{hint}',
                              Location(str(path), *data.key_locs[key]))
    for key in ("name", "version", "description"):
        if data.get(key) is not None:
            if not isinstance(data[key], str):
                raise ConfigError(f'"{key}" should be text.', where(data, key))
            setattr(cfg, key, data[key])
    for key in ("review_every_days", "max_file_bytes"):
        if data.get(key) is not None:
            value, (limit, unit, words) = data[key], _LIMITS[key]
            if not isinstance(value, str) or not _WHOLE.fullmatch(value) or not 0 < int(value) <= limit:
                raise ConfigError(f'"{key}" should be a whole number of {unit} from 1 to {limit} ({words}).',
                                  where(data, key))
            setattr(cfg, key, int(value))
    rules = data.get("rules")
    if rules is not None:
        if not isinstance(rules, LocDict):
            raise ConfigError('"rules" should map rule codes or names to off, warning or error.',
                              where(data, "rules"))
        for key, value in rules.items():
            r = by_name_or_code(key)
            if r is None:
                raise ConfigError(f'"{key}" is not a rule; "playbook rules" lists them all.',
                                  Location(str(path), *rules.key_locs[key]))
            try:
                cfg.severities[r.code] = Severity.parse(value if isinstance(value, str) else "")
            except KeyError:
                raise ConfigError(f'The severity of {r.code} should be off, warning or error, not "{value}".',
                                  where(rules, key)) from None
    ignores = data.get("ignore")
    if ignores is not None:
        if not isinstance(ignores, LocList):
            raise ConfigError('"ignore" should be a list of {paths: [...], rules: [...]}.', where(data, "ignore"))
        for index, item in enumerate(ignores):
            loc = Location(str(path), *ignores.item_locs[index])
            if not isinstance(item, LocDict) or not set(item) <= {"paths", "rules"} or "paths" not in item:
                raise ConfigError("Each ignore entry needs \"paths\" (file patterns) and may list \"rules\".", loc)
            paths = item["paths"]
            paths = [paths] if isinstance(paths, str) else paths
            codes = item.get("rules") or []
            codes = [codes] if isinstance(codes, str) else codes
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise ConfigError('"paths" should be a list of file patterns such as "personas/old-*.yaml".', loc)
            resolved = []
            for code in codes:
                r = by_name_or_code(code) if isinstance(code, str) else None
                if r is None:
                    raise ConfigError(f'"{code}" is not a rule; "playbook rules" lists them all.', loc)
                resolved.append(r.code)
            cfg.ignores.append(Ignore(list(paths), resolved))
    diff = data.get("diff")
    if diff is not None:
        from .diff import IMPACTS
        grades = diff.get("grades") if isinstance(diff, LocDict) else None
        if not isinstance(diff, LocDict) or set(diff) - {"grades"} or not isinstance(grades, (LocDict, type(None))):
            raise ConfigError('"diff" should be {grades: {impact-code: breaking|warning|info|off}}.',
                              where(data, "diff"))
        for key, value in (grades or {}).items():
            if key not in IMPACTS:
                raise ConfigError(f'"{key}" is not a diff impact; known: ' + ", ".join(sorted(IMPACTS)) + ".",
                                  Location(str(path), *grades.key_locs[key]))
            if value not in ("breaking", "warning", "info", "off"):
                raise ConfigError(f'The grade of {key} should be breaking, warning, info or off, not "{value}".',
                                  where(grades, key))
            cfg.diff_grades[key] = value
    publish = data.get("publish")
    if publish is not None:
        if not isinstance(publish, LocDict) or set(publish) - {"branch", "remote"}:
            raise ConfigError('"publish" may set "branch" (default gh-pages) and "remote" (default origin).',
                              where(data, "publish"))
        cfg.publish = dict(publish)
    site = data.get("site")
    if site is not None:
        if not isinstance(site, LocDict):
            raise ConfigError('"site" should be a mapping of site settings.', where(data, "site"))
        for key in site:
            if key not in ("edit_url", "url"):
                raise ConfigError(f'Unknown site setting "{key}"; the site settings are edit_url and url. The '
                                  "site's look is set in mkdocs.yml.", Location(str(path), *site.key_locs[key]))
        url = site.get("url")
        if url is not None and not (isinstance(url, str) and re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url,
                                                                           re.IGNORECASE)):
            raise ConfigError('"site.url" should be the http(s) address the site is published at, for example '
                              "https://acme.github.io/playbook/.", where(site, "url"))
        edit = site.get("edit_url")
        if edit is not None and not (isinstance(edit, str) and edit.lower().startswith(("https://", "http://"))
                                     and "{path}" in edit):
            raise ConfigError('"site.edit_url" should be an http(s) address holding {path}, for example '
                              'https://github.com/acme/playbook/edit/main/{path}.', where(site, "edit_url"))
        cfg.site = dict(site)
    score = data.get("score")
    if score is not None:
        _score_settings(cfg, score, where(data, "score"), path)
    return cfg


def _score_settings(cfg: Config, score, loc: Location, path: Path) -> None:
    """``score: {crm: hubspot, map: {"Export column": field}}``: what ``playbook score`` and
    ``playbook diff --leads`` read an export with, so a team does not repeat ``--map``."""
    if not isinstance(score, LocDict) or set(score) - {"map", "crm"}:
        raise ConfigError('"score" may set "crm" (hubspot or salesforce) and "map" (export column: field).', loc)
    crm = score.get("crm")
    if crm is not None:
        if crm not in CRM_NAMES:
            raise ConfigError(f'"score.crm" should be one of {", ".join(CRM_NAMES)}, not "{crm}".',
                              Location(str(path), *score.value_locs.get("crm", (score.line, score.col))))
        cfg.score_crm = crm
    mapping = score.get("map")
    if mapping is None:
        return
    if not isinstance(mapping, LocDict):
        raise ConfigError('"score.map" should map export column names to field names, for example '
                          '"Monthly ad budget": monthly_ad_budget.',
                          Location(str(path), *score.value_locs.get("map", (score.line, score.col))))
    for column, name in mapping.items():
        if not isinstance(column, str) or not column.strip() or not isinstance(name, str) or not name.strip():
            raise ConfigError(f'"score.map" entry "{column}" should name an export column and a field.',
                              Location(str(path), *mapping.key_locs.get(column, (mapping.line, mapping.col))))
        cfg.score_map[column.strip().lower()] = name.strip().lower()
