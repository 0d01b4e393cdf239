"""The playbook's configuration file, ``playbook.yaml``, found from a folder upwards.

It holds the playbook's name and version, rule severities, per-path ignores, the default
review interval, the file size limit and the site, diff, publish and score settings. One
pydantic model, :class:`Config`, is both what the commands read and the source of
``schemas/playbook-config.schema.json``. A mistake in the file is a configuration error
(exit 2) located at the offending key or value and told in the project's words, never
silently ignored.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, NamedTuple

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, \
    WithJsonSchema
from pydantic.dataclasses import dataclass
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from .files import UnreadableFile, read_limited  # noqa: F401 (also read from here by baseline and codeowners)
from .findings import Location, Severity
from .load import DEFAULT_MAX_FILE_BYTES, LocDict, LocList, load_bytes
from .model import MAX_REVIEW_EVERY_DAYS
from .rules import RULES, by_name_or_code

CONFIG_NAME = "playbook.yaml"
CRM_NAMES = ("hubspot", "salesforce")  # the presets of `playbook score --crm`
GRADE_NAMES = ("breaking", "warning", "info", "off")  # how `playbook diff` may grade an impact


class ConfigError(Exception):
    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message)
        self.message, self.location = message, location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


# ---------------------------------------------------------------- the settings, as one model
#
# The loader reads every scalar as text, so the validators below read digits and words; the
# JSON Schema editors use (schemas/playbook-config.schema.json) is generated from these types.

_WHOLE = re.compile(r"[0-9]{1,15}")
MAX_FILE_BYTES_LIMIT = 2**30


def _problem() -> PydanticCustomError:
    """A value the settings refuse; what the user reads is chosen by :data:`_PROBLEMS`."""
    return PydanticCustomError("playbook", "refused")


def _whole_number(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    raise _problem()


def _rule_code(key: str) -> str:
    found = by_name_or_code(key)
    if found is None:
        raise _problem()
    return found.code


def _severity(value) -> Severity:
    if isinstance(value, Severity):
        return value
    try:
        return Severity.parse(value if isinstance(value, str) else "")
    except KeyError:
        raise _problem() from None


def _impact(code: str) -> str:
    from .diff import IMPACTS
    if code not in IMPACTS:
        raise _problem()
    return code


def _one_or_many(value):
    """One text where a list is expected is a list of that one."""
    return [value] if isinstance(value, str) else value


def _no_rules(value):
    return [] if not value else _one_or_many(value)


class _OneOrMany:
    """In the schema, a list whose single item may also be written on its own, as the loader reads it."""

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        return {"anyOf": [schema["items"], schema]}


def _name(text: str) -> str:
    """An export column or field name, as matched: trimmed, in lower case."""
    if not text.strip():
        raise _problem()
    return text.strip().lower()


RuleCode = Annotated[str, AfterValidator(_rule_code)]  # a rule's code (PB101) or name, read as its code
SeverityName = Annotated[Severity, BeforeValidator(_severity), WithJsonSchema({"enum": ["off", "warning", "error"]})]
Days = Annotated[int, Field(ge=1, le=MAX_REVIEW_EVERY_DAYS), BeforeValidator(_whole_number)]
Bytes = Annotated[int, Field(ge=1, le=MAX_FILE_BYTES_LIMIT), BeforeValidator(_whole_number)]


@dataclass(config=ConfigDict(extra="forbid"))
class Ignore:
    """One ignore entry: files, and the rules not reported in them (none listed: every rule)."""

    paths: Annotated[list[str], BeforeValidator(_one_or_many), _OneOrMany()] = Field(
        description='File patterns such as "personas/old-*.yaml".')
    rules: Annotated[list[RuleCode], BeforeValidator(_no_rules), _OneOrMany()] = Field(
        default_factory=list, description="The rules not reported in these files; none listed: every rule.")


class SiteSettings(TypedDict, total=False):
    """The site's address and the link from every page to its file."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    edit_url: Annotated[str, Field(
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://.*\{path\}",
        description="Link from every page to its file, e.g. https://github.com/acme/playbook/edit/main/{path}.")]
    url: Annotated[str, Field(
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The address the site is published at, e.g. https://acme.github.io/playbook/; "
                    "the version selector uses it to keep the reader on the same page.")]


class DiffSettings(TypedDict, total=False):
    """How playbook diff grades each kind of change."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    grades: Annotated[dict[Annotated[str, AfterValidator(_impact)], Literal[GRADE_NAMES]], Field(
        description="Impact code -> how playbook diff grades it.")]


class PublishSettings(TypedDict, total=False):
    """Where playbook publish puts the versions."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    branch: Annotated[str, Field(description="The branch the versions are published to (gh-pages).")]
    remote: Annotated[str, Field(description="The remote published to (origin).")]


class ScoreSettings(TypedDict, total=False):
    """How playbook score and playbook diff --leads read a CRM export."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    crm: Annotated[Literal[CRM_NAMES], Field(description="Read exports with this CRM's column names (as --crm).")]
    map: Annotated[dict[Annotated[str, AfterValidator(_name)], Annotated[str, AfterValidator(_name)]], Field(
        description="Export column -> field name (as --map), for every playbook score.")]


class Config(BaseModel):
    """The settings in playbook.yaml, as every command reads them."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True,
                              title="playbook.yaml")

    path: SkipJsonSchema[Path | None] = Field(None, exclude=True)  # the file read, if any
    name: str = Field("Sales & marketing playbook", description="The playbook's name, shown on every page.")
    version: str = Field("", description="The playbook's own version.")
    description: str = Field("", description="What the playbook is for, shown on the site's home page.")
    severities: dict[RuleCode, SeverityName] = Field(
        default_factory=dict, alias="rules", description="Rule code or name -> off, warning or error.")
    ignores: list[Ignore] = Field(default_factory=list, alias="ignore",
                                  description="Rules not reported in some files.")
    review_every_days: Days | None = Field(
        None, description="Days between reviews of an entity that sets no review_every_days of its own.")
    max_file_bytes: Bytes = Field(DEFAULT_MAX_FILE_BYTES, description="The largest playbook file read, in bytes.")
    site: SiteSettings = Field(default_factory=dict)
    diff: DiffSettings = Field(default_factory=dict)
    publish: PublishSettings = Field(default_factory=dict)
    score: ScoreSettings = Field(default_factory=dict)

    def severity(self, code: str) -> Severity:
        return self.severities.get(code, RULES[code].severity)

    @property
    def diff_grades(self) -> dict[str, str]:
        return self.diff.get("grades", {})

    @property
    def score_map(self) -> dict[str, str]:
        """Export column (trimmed, lower case) -> field name, from ``score.map``."""
        return self.score.get("map", {})

    @property
    def score_crm(self) -> str | None:
        return self.score.get("crm")


SETTINGS = tuple(f.alias or name for name, f in Config.model_fields.items() if name != "path")
# When a file has several mistakes, the first one told is the first of these settings.
_TELL_FIRST = ("name", "version", "description", "review_every_days", "max_file_bytes", "rules", "ignore",
               "diff", "publish", "site", "score")
_SECTIONS = ("diff", "publish", "site", "score")  # settings that are mappings of settings


def config_schema() -> dict:
    """The JSON Schema of playbook.yaml, generated from :class:`Config`."""
    return Config.model_json_schema(by_alias=True)


# ---------------------------------------------------------------- reading playbook.yaml


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
    """The settings in the file ``path`` (defaults when None); raises ConfigError, located."""
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
    if data is None:
        return Config(path=path)
    if not isinstance(data, LocDict):
        raise ConfigError("The configuration should be a mapping of settings (name:, version:, rules: ...).",
                          Location(str(path)))
    for key in data:
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, SETTINGS, n=1)
            hint = f' Did you mean "{close[0]}"?' if close else " Known settings: " + ", ".join(SETTINGS) + "."
            raise ConfigError(f'Unknown setting "{key}".{hint}', Location(str(path), *data.key_locs[key]))
    # An empty setting (``name:`` with nothing after it) leaves the default.
    given = {key: ({k: v for k, v in value.items() if v is not None}
                   if key in _SECTIONS and isinstance(value, dict) else value)
             for key, value in data.items() if value is not None}
    try:
        return Config.model_validate({**given, "path": path})
    except ValidationError as exc:
        raise _config_error(exc, data, path) from None


# ---------------------------------------------------------------- telling what is wrong

class _Problem(NamedTuple):
    """How one kind of mistake is told: ``place`` matches an error's place in the file (setting
    names; "*" any one key or index; "..." anything below), ``at`` says whether the key or the
    value is pointed at, ``depth`` how many parts of the place (default: all before "...")."""

    place: tuple
    message: str | Callable[[Any, Any], str]  # text where {key} and {value} are put in, or a function of them
    at: str = "value"
    depth: int | None = None
    only: str | None = None  # only for this pydantic error type


def _known_impacts(key, value) -> str:
    from .diff import IMPACTS
    return f'"{key}" is not a diff impact; known: ' + ", ".join(sorted(IMPACTS)) + "."


def _severity_of(key, value) -> str:
    found = by_name_or_code(key) if isinstance(key, str) else None
    return f'The severity of {found.code if found else key} should be off, warning or error, not "{value}".'


_NOT_A_RULE = '"{value}" is not a rule; "playbook rules" lists them all.'
_PROBLEMS: tuple[_Problem, ...] = (
    _Problem(("name", "..."), '"name" should be text.'),
    _Problem(("version", "..."), '"version" should be text.'),
    _Problem(("description", "..."), '"description" should be text.'),
    _Problem(("review_every_days", "..."),
             f'"review_every_days" should be a whole number of days from 1 to {MAX_REVIEW_EVERY_DAYS} (100 years).'),
    _Problem(("max_file_bytes", "..."),
             f'"max_file_bytes" should be a whole number of bytes from 1 to {MAX_FILE_BYTES_LIMIT} (1 GiB).'),
    _Problem(("rules", "*", "[key]"), '"{key}" is not a rule; "playbook rules" lists them all.', at="key"),
    _Problem(("rules", "*"), _severity_of),
    _Problem(("rules", "..."), '"rules" should map rule codes or names to off, warning or error.'),
    _Problem(("ignore", "*", "paths"), 'Each ignore entry needs "paths" (file patterns) and may list "rules".',
             only="missing"),
    _Problem(("ignore", "*", "paths", "..."),
             '"paths" should be a list of file patterns such as "personas/old-*.yaml".', depth=2),
    _Problem(("ignore", "*", "rules", "*", "..."), _NOT_A_RULE, depth=2),
    _Problem(("ignore", "*", "rules"), 'The "rules" of an ignore entry should list rule codes or names, '
             "for example [PB704].", depth=2),
    _Problem(("ignore", "*", "..."), 'Each ignore entry needs "paths" (file patterns) and may list "rules".'),
    _Problem(("ignore", "..."), '"ignore" should be a list of {paths: [...], rules: [...]}.'),
    _Problem(("diff", "grades", "*", "[key]"), _known_impacts, at="key"),
    _Problem(("diff", "grades", "*"), 'The grade of {key} should be breaking, warning, info or off, not "{value}".'),
    _Problem(("diff", "..."), '"diff" should be {grades: {impact-code: breaking|warning|info|off}}.', depth=1),
    _Problem(("publish", "..."), '"publish" may set "branch" (default gh-pages) and "remote" (default origin).',
             depth=1),
    _Problem(("site", "*"), 'Unknown site setting "{key}"; the site settings are edit_url and url. '
             "The site's look is set in mkdocs.yml.", at="key", only="extra_forbidden"),
    _Problem(("site", "url", "..."), '"site.url" should be the http(s) address the site is published at, '
             "for example https://acme.github.io/playbook/."),
    _Problem(("site", "edit_url", "..."), '"site.edit_url" should be an http(s) address holding {path}, '
             "for example https://github.com/acme/playbook/edit/main/{path}."),
    _Problem(("site", "..."), '"site" should be a mapping of site settings.', depth=1),
    _Problem(("score", "crm", "..."), '"score.crm" should be one of ' + ", ".join(CRM_NAMES) + ', not "{value}".'),
    _Problem(("score", "map", "*", "..."), '"score.map" entry "{key}" should name an export column and a field.',
             at="key", depth=3),
    _Problem(("score", "map", "..."), '"score.map" should map export column names to field names, for example '
             '"Monthly ad budget": monthly_ad_budget.'),
    _Problem(("score", "..."), '"score" may set "crm" (hubspot or salesforce) and "map" (export column: field).',
             depth=1),
)


def _matches(place: tuple, loc: tuple) -> bool:
    for index, part in enumerate(place):
        if part == "...":
            return True
        if index >= len(loc) or part not in ("*", loc[index]):
            return False
    return len(place) == len(loc)


def _config_error(exc: ValidationError, data: LocDict, path: Path) -> ConfigError:
    """The first mistake pydantic found, told as the settings above tell it and located in the file."""
    order = {name: index for index, name in enumerate(_TELL_FIRST)}
    errors = sorted(exc.errors(), key=lambda e: (order.get(e["loc"][0], len(order)) if e["loc"] else -1,
                                                 e["type"] != "extra_forbidden"))
    error = errors[0]
    loc = error["loc"]
    for problem in _PROBLEMS:
        if _matches(problem.place, loc) and problem.only in (None, error["type"]):
            break
    else:  # a mistake no row describes: still located, in plain words
        return ConfigError(f'The setting "{".".join(str(p) for p in loc)}" is not valid.',
                           _locate(data, loc, "value", path))
    depth = problem.depth if problem.depth is not None else len([p for p in problem.place if p != "..."])
    parts = tuple(p for p in loc[:depth] if p != "[key]")
    key, value = (parts[-1] if parts else None), error["input"]
    if callable(problem.message):
        text = problem.message(key, value)
    else:
        text = problem.message.replace("{key}", str(key)).replace("{value}", str(value))
    return ConfigError(text, _locate(data, parts, problem.at, path))


def _locate(data, parts: tuple, at: str, path: Path) -> Location:
    """Where the key or value at ``parts`` was written (its container when it is not there)."""
    node, line_col = data, (data.line, data.col)
    for part in parts:
        if isinstance(node, LocDict) and part in node:
            line_col = (node.key_locs if at == "key" else node.value_locs).get(part, (node.line, node.col))
        elif isinstance(node, LocList) and isinstance(part, int) and 0 <= part < len(node):
            line_col = node.item_locs[part]
        else:
            break
        node = node[part]
    return Location(str(path), *line_col)
