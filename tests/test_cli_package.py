"""The command line as a package: one PATH convention, shared options, and a clean import graph."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import click
from click.testing import CliRunner

from generator.cli import main

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "generator"
SAMPLE = REPO / "leads" / "sample-export.csv"
SECOND = REPO / "tests" / "fixtures" / "ledger-saas"
# the modules the command line was split into, besides generator/cli/ itself
TAKEN_OVER = ("workspace", "review", "warehouse", "scaffold", "skeletons", "yamledit", "check", "output")
PLAYBOOK_COMMANDS = {"check", "build", "serve", "diff", "publish", "versions", "score", "review", "codeowners",
                     "new", "sql"}
OLD_PATH_OPTION = {"diff", "publish", "versions", "score"}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ---------------------------------------------------------------- one PATH convention


def test_every_command_that_reads_a_playbook_takes_it_as_the_path_argument():
    taking = set()
    for name, command in main.commands.items():
        params = {p.name: p for p in command.params}
        if "path" not in params:
            continue
        taking.add(name)
        assert isinstance(params["path"], click.Argument), name
        assert params["path"].required is False, name
        # the argument comes last, after the command's own arguments
        arguments = [p.name for p in command.params if isinstance(p, click.Argument)]
        assert arguments[-1] == "path", (name, arguments)
        # --path is still understood, and not shown
        assert params["path_option"].opts == ["--path"] and params["path_option"].hidden, name
    assert taking == PLAYBOOK_COMMANDS


def test_help_shows_path_and_not_the_old_option():
    for name in sorted(PLAYBOOK_COMMANDS):
        result = invoke(name, "--help")
        assert result.exit_code == 0, result.output
        usage = result.output.splitlines()[0]
        assert usage.endswith("[PATH]"), usage
        assert "--path" not in result.output, name


def test_review_reads_the_same_playbook_from_path_and_from_the_old_option():
    args = ("--format", "json", "--today", "2026-11-22")
    by_argument = invoke("review", SECOND, *args)
    by_option = invoke("review", "--path", SECOND, *args)
    assert by_argument.exit_code == 0, by_argument.output
    assert by_option.exit_code == 0, by_option.output
    assert by_option.output == by_argument.output
    assert json.loads(by_argument.output)["playbook"]  # the second playbook's name, not this folder's


def test_score_reads_the_playbook_from_path_and_from_the_old_option():
    export = SECOND / "leads" / "trial-export.csv"
    args = ("--as-of", "2026-11-22", "--format", "csv")
    by_argument = invoke("score", export, SECOND, *args)
    by_option = invoke("score", export, "--path", SECOND, *args)
    assert by_argument.exit_code == by_option.exit_code
    assert by_argument.output == by_option.output
    assert by_argument.output.startswith("id,fit_score,")
    # the PATH given is read: the example playbook scores the same export differently
    assert invoke("score", export, REPO, *args).output != by_argument.output


def test_versions_and_diff_and_publish_accept_the_old_option(tmp_path):
    # outside git each says so the same way, whichever form names the playbook
    import shutil
    copy = tmp_path / "pb"
    shutil.copytree(SECOND, copy, ignore=shutil.ignore_patterns(".git"))
    for command in (("versions",), ("diff", "HEAD~1", "HEAD"), ("publish", "1.0")):
        by_argument = invoke(*command, copy)
        by_option = invoke(*command, "--path", copy)
        assert by_argument.exit_code == by_option.exit_code == 2, (command, by_argument.output)
        assert by_argument.output == by_option.output


def test_path_and_the_old_option_naming_two_playbooks_is_a_usage_error(tmp_path):
    result = invoke("review", REPO, "--path", SECOND)
    assert result.exit_code == 2
    assert "name two playbooks; give PATH alone" in result.output
    assert "Traceback" not in result.output
    # the same folder twice is fine
    assert invoke("review", SECOND, "--path", SECOND, "--today", "2026-11-22").exit_code == 0


def test_every_command_that_reads_a_playbook_takes_config():
    for name in PLAYBOOK_COMMANDS:
        assert "config_file" in {p.name for p in main.commands[name].params}, name


def test_every_command_reads_the_configuration_config_names(tmp_path):
    bad = tmp_path / "other.yaml"
    bad.write_text("rules:\n  PB000: error\n", encoding="utf-8")
    leading = {"score": (SECOND / "leads" / "trial-export.csv",), "new": ("team", "Finance"), "diff": ("HEAD", "HEAD")}
    for name in sorted(PLAYBOOK_COMMANDS - {"serve"}):
        result = invoke(name, *leading.get(name, ()), SECOND, "--config", bad)
        assert result.exit_code == 2, (name, result.output)
        assert "Configuration error" in result.output and "PB000" in result.output, (name, result.output)


def test_shared_options_mean_the_same_everywhere():
    for name, command in main.commands.items():
        params = {p.name: p for p in command.params}
        if "config_file" in params:
            assert params["config_file"].opts == ["--config"], name
            assert params["config_file"].type.dir_okay is False and params["config_file"].type.exists, name
            assert "playbook.yaml" in params["config_file"].help, name
        for day in ("today", "as_of"):
            if day in params:
                assert params[day].type.formats == ["%Y-%m-%d"], name


def test_a_bad_day_is_a_usage_error_in_every_command():
    for command in (("check",), ("review",), ("build",), ("sql",), ("new", "team", "X")):
        option = "--as-of" if command[0] == "sql" else "--today"
        result = invoke(*command, SECOND, option, "22/11/2026")
        assert result.exit_code == 2, (command, result.output)
        assert "does not match the format '%Y-%m-%d'" in result.output


def test_python_dash_m_runs_the_command():
    import subprocess
    import sys
    for module in ("generator", "generator.cli"):
        proc = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("playbook, version ")


# ---------------------------------------------------------------- the import graph


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import in the file, at any depth."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [alias.name for alias in node.names]
            out.append((target, names))
            # ``from . import x`` imports the module x
            out += [(f"{target}.{n}", []) for n in names if (PACKAGE.parent / (target + "." + n).replace(".", "/")).with_suffix(".py").exists()]
    return out


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def test_nothing_outside_the_cli_imports_it():
    for name, path in _modules().items():
        if name == "generator.cli" or name.startswith("generator.cli.") or name == "generator.__main__":
            continue
        for target, _ in _imports(path):
            assert not (target == "generator.cli" or target.startswith("generator.cli.")), (name, target)


def test_the_cli_has_no_import_cycle():
    modules = _modules()
    cli = {n for n in modules if n == "generator.cli" or n.startswith("generator.cli.")}
    graph = {n: {t for t, _ in _imports(modules[n]) if t in cli and t != n} for n in cli}
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in graph[node]:
            assert state.get(nxt) != 1, " -> ".join(trail + [node, nxt])
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_cli_and_what_it_took_over_import_no_private_name():
    modules = _modules()
    ours = [n for n in modules if n.startswith("generator.cli") or n.rpartition(".")[2] in TAKEN_OVER]
    for name in ours:
        for target, names in _imports(modules[name]):
            if not target.startswith("generator"):
                continue
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            assert not private, f"{name} imports {private} from {target}"
            # nor reaches into a module for one: module._name
        tree = ast.parse(modules[name].read_text(encoding="utf-8"))
        imported_modules = {alias.asname or alias.name for node in ast.walk(tree)
                            if isinstance(node, ast.ImportFrom) for alias in node.names}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in imported_modules
                    and node.value.id not in ("os", "sys", "click")):
                raise AssertionError(f"{name} uses {node.value.id}.{node.attr}")


def test_the_cli_modules_are_short():
    modules = _modules()
    for name, path in modules.items():
        if name.startswith("generator.cli") or name.rpartition(".")[2] in TAKEN_OVER:
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines <= 400, f"{name}: {lines} lines"


def test_an_install_holds_every_module_and_the_playbook_command(tmp_path):
    """What setuptools installs from pyproject.toml (not the editable install the tests run)
    holds every package the command imports, the starter and the templates, and the console
    script names ``generator.cli:main``."""
    import shutil
    import subprocess
    import sys
    src = tmp_path / "src"  # a copy, so the build writes nothing into the repository
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(PACKAGE, src / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    lib, meta = tmp_path / "lib", tmp_path / "meta"
    meta.mkdir()
    proc = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                           "build_py", "-d", str(lib), "egg_info", "-e", str(meta)],
                          cwd=src, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = {p.relative_to(lib).as_posix() for p in lib.rglob("*") if p.is_file()}
    sources = {p.relative_to(REPO).as_posix() for p in PACKAGE.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts
               and (p.suffix in (".py", ".j2", ".css") or "starter" in p.relative_to(PACKAGE).parts)}
    assert sources and sources <= installed, sorted(sources - installed)
    entry = (meta / "playbook.egg-info" / "entry_points.txt").read_text(encoding="utf-8")
    assert "playbook = generator.cli:main" in entry
