"""A release as people get it: the sdist and the wheel, the wheel alone in a fresh virtual environment, and
the workflow that publishes them.

The archives are built from a copy of the files git tracks (what a clean clone has), or taken from
NBPRESS_DIST (a folder with one .whl and one .tar.gz: the release workflow tests the files it publishes).
The fresh environment lives outside the repository and gets nbpress from the wheel and its dependencies
from the package index, as a user's does: nothing from this checkout or this test environment can make up
for a file the wheel lacks or a dependency pyproject.toml forgets.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_scaffold import load_yaml, validate, vendored_schema

from nbpress import __version__

REPO = Path(__file__).resolve().parent.parent
RELEASE_YML = REPO / ".github" / "workflows" / "release.yml"
# What pip prints when it cannot reach the package index (not what it prints for a bad requirement).
OFFLINE = re.compile(r"NewConnectionError|ConnectTimeoutError|Failed to establish a new connection|"
                     r"Temporary failure in name resolution|Network is unreachable|ProxyError")


def tracked_files() -> list[str]:
    """The repository's files as a clean clone has them (tracked, or new and not ignored), sorted."""
    try:
        result = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        result = None
    if result is None or result.returncode != 0:
        pytest.skip("not a git checkout: the archives are checked against the files git tracks")
    return sorted(name for name in result.stdout.split("\0") if name and (REPO / name).is_file())


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """A command that must succeed, without a traceback."""
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tracked files: the archives are built from what a clean clone holds, nothing else."""
    copy = tmp_path_factory.mktemp("source") / "nbpress"
    for name in tracked_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def dist(source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel: NBPRESS_DIST's, or built here with `python -m build` (the wheel from the sdist)."""
    given = os.environ.get("NBPRESS_DIST")
    if given:
        folder = Path(given)
    else:
        folder = tmp_path_factory.mktemp("dist")
        # --no-isolation: the test extras hold setuptools and build, so this needs no network.
        run([sys.executable, "-m", "build", "--no-isolation", "--outdir", folder, source], cwd=source)
    found = {kind: sorted(folder.glob(pattern)) for kind, pattern in (("wheel", "*.whl"), ("sdist", "*.tar.gz"))}
    assert all(len(paths) == 1 for paths in found.values()), found
    return {kind: paths[0] for kind, paths in found.items()}


# --- the archives ------------------------------------------------------------------------------


def test_wheel_holds_the_package_and_its_data(dist: dict[str, Path]) -> None:
    """Every file git tracks under nbpress/ (theme, vendored scripts, template), its metadata, and nothing else."""
    wheel = dist["wheel"]
    assert wheel.name == f"nbpress-{__version__}-py3-none-any.whl"
    info = f"nbpress-{__version__}.dist-info/"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(info + "METADATA").decode("utf-8")
        entry_points = archive.read(info + "entry_points.txt").decode("utf-8")
    package = sorted(name for name in names if not name.startswith(info))
    assert package == [name for name in tracked_files() if name.startswith("nbpress/")]
    for needed in ("nbpress/theme/vendor/katex/katex.min.js", "nbpress/theme/vendor/widgets/README.txt",
                   "nbpress/theme/layouts/static/nbpress.css", "nbpress/scaffold/site/dot-gitignore",
                   "nbpress/scaffold/ci/github/dot-github/workflows/publish.yml",
                   "nbpress/scaffold/ci/gitlab/dot-gitlab-ci.yml"):
        assert needed in package
    assert info + "licenses/LICENSE" in names

    headers = [line.split(": ", 1) for line in metadata.split("\n\n", 1)[0].splitlines()]
    fields: dict[str, list[str]] = {}
    for key, value in headers:
        fields.setdefault(key, []).append(value)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert fields["Name"] == ["nbpress"] and fields["Version"] == [__version__]
    assert fields["Requires-Python"] == [project["requires-python"]]
    assert fields["License-Expression"] == ["MIT"]
    assert fields["Description-Content-Type"] == ["text/markdown"]
    assert [r for r in fields["Requires-Dist"] if "extra ==" not in r] == project["dependencies"]
    assert metadata.split("\n\n", 1)[1].strip() == (REPO / "README.md").read_text(encoding="utf-8").strip()
    assert "nbpress = nbpress.cli:main" in entry_points


def test_sdist_is_the_repository(dist: dict[str, Path]) -> None:
    """The sdist holds every tracked file (tests and the demo site included), so its tests run from it."""
    sdist = dist["sdist"]
    top = f"nbpress-{__version__}/"
    with tarfile.open(sdist) as archive:
        names = sorted(m.name[len(top):] for m in archive.getmembers() if m.isfile())
    made = {"PKG-INFO", "setup.cfg"}  # written by setuptools, with nbpress.egg-info/
    assert sorted(n for n in names if n not in made and not n.startswith("nbpress.egg-info/")) == tracked_files()
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


# --- the wheel, installed alone ----------------------------------------------------------------


class Venv:
    """A virtual environment outside the repository, and the environment variables its commands run with."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "venv" / "bin"
        self.python = self.bin / "python"
        inherited = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH")
        self.env = {k: v for k, v in os.environ.items() if k not in inherited}
        self.env.update(PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(root / "venv"),
                        NO_COLOR="1", PYTHONIOENCODING="utf-8", PIP_DISABLE_PIP_VERSION_CHECK="1",
                        # kernels from this environment only, whatever the machine has in ~/.local
                        JUPYTER_PLATFORM_DIRS="1", JUPYTER_DATA_DIR=str(root / "jupyter"),
                        JUPYTER_CONFIG_DIR=str(root / "jupyter-config"))

    def nbpress(self, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        return run([self.bin / "nbpress", *args], cwd=cwd, env=self.env, timeout=180)


def pip(env: Venv, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """This environment's pip working on the fresh one (which then needs no pip of its own)."""
    command = [sys.executable, "-m", "pip", "--python", str(env.python), *(str(a) for a in args)]
    return subprocess.run(command, cwd=env.root, env=env.env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def venv(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh virtual environment with the wheel, and its dependencies from the package index."""
    env = Venv(tmp_path_factory.mktemp("user"))
    assert REPO not in env.root.parents
    run([sys.executable, "-m", "venv", "--without-pip", env.root / "venv"], cwd=env.root, env=env.env)
    # --no-compile: Python compiles what it imports anyway; compiling every dependency up front is most of the time.
    install = pip(env, "install", "--no-input", "--no-compile", "--retries", "2", dist["wheel"])
    if install.returncode != 0 and OFFLINE.search(install.stdout + install.stderr) and not os.environ.get("CI"):
        pytest.skip("the package index is out of reach: the wheel's dependencies cannot be installed")
    assert install.returncode == 0, install.stdout + install.stderr
    checked = pip(env, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return env


def widget_notebook() -> str:
    """A notebook saved with an ipywidgets slider and its state, the way JupyterLab saves one."""
    model = "a1b2c3d4e5f6"
    state = {model: {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls",
                     "model_module_version": "2.0.0", "state": {"value": 3, "max": 10}}}
    view = {"model_id": model, "version_major": 2, "version_minor": 0}
    cells = [
        {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# A slider\n\nSaved with its state."},
        {"cell_type": "code", "id": "c1", "execution_count": 1, "metadata": {}, "source": "slider",
         "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                      "data": {"text/plain": "IntSlider(value=3)",
                               "application/vnd.jupyter.widget-view+json": view}}]},
    ]
    metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "widgets": {"application/vnd.jupyter.widget-state+json":
                            {"state": state, "version_major": 2, "version_minor": 0}}}
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_the_installed_wheel_makes_builds_checks_and_serves_a_site(venv: Venv) -> None:
    where = run([venv.python, "-c", "import nbpress; print(nbpress.__file__)"], cwd=venv.root, env=venv.env)
    assert Path(where.stdout.strip()).is_relative_to(venv.root), where.stdout  # not this checkout
    assert venv.nbpress("--version", cwd=venv.root).stdout.strip() == f"nbpress, version {__version__}"

    venv.nbpress("init", "blog", cwd=venv.root)
    site = venv.root / "blog"
    workflow = (site / ".github/workflows/publish.yml").read_text(encoding="utf-8")
    assert f'"nbpress=={__version__}"' in workflow
    venv.nbpress("new", "Euler identity", cwd=site)
    post = site / "notebooks/euler-identity.md"
    post.write_text(post.read_text(encoding="utf-8") + "\n$$e^{i\\pi} + 1 = 0$$\n", encoding="utf-8")
    venv.nbpress("new", "Counting", "--notebook", cwd=site)
    counting = site / "notebooks/counting.ipynb"
    notebook = json.loads(counting.read_text(encoding="utf-8"))
    notebook["cells"][-1]["source"] = "print(6 * 7)"
    counting.write_text(json.dumps(notebook), encoding="utf-8")
    (site / "notebooks/slider.ipynb").write_text(widget_notebook(), encoding="utf-8")

    built = venv.nbpress("build", cwd=site)
    assert "built 5 pages" in built.stdout and "executed 1" in built.stdout, built.stdout + built.stderr
    out = site / "output"
    counted = (out / "posts/counting/index.html").read_text(encoding="utf-8")
    assert '<pre class="output-stream stdout">42' in counted  # run by this environment's kernel
    assert (out / "static/vendor/katex/katex.min.js").is_file()  # vendored scripts, from the wheel
    assert list((out / "static/vendor/widgets").glob("*.js"))
    assert (out / "pagefind/0/pagefind.js").is_file()  # the Pagefind binary, a dependency
    assert "0 problems" in venv.nbpress("check", cwd=site).stdout

    pages = venv.root / "pages"
    venv.nbpress("build", "--base-url", "/REPO/", "--site-url", "https://octocat.github.io/REPO/",
                 "--output", pages, cwd=site)
    assert 'href="/REPO/posts/welcome/"' in (pages / "index.html").read_text(encoding="utf-8")
    assert "0 problems" in venv.nbpress("check", "--output", pages, "--base-url", "/REPO/", cwd=site).stdout

    with serving(venv, site) as url:
        status, body = get(url)
        assert status == 200 and "Welcome to your nbpress site" in body
        status, css = get(url + "static/nbpress.css")
        assert status == 200 and css.strip()


def get(url: str) -> tuple[int, str]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@contextmanager
def serving(venv: Venv, site: Path) -> Iterator[str]:
    """`nbpress serve --port 0` from the fresh environment; its URL once the first build is served. Always stopped."""
    process = subprocess.Popen([str(venv.bin / "nbpress"), "serve", "--port", "0"], cwd=site, env=venv.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    watchdog = threading.Timer(120, process.kill)  # a server that never answers must not hang the suite
    watchdog.start()
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:
            if line.startswith("serving http://"):
                url = line.split()[1]
                break
        assert url, f"no URL printed: {process.stderr.read() if process.stderr else ''}"
        deadline = time.monotonic() + 60
        while json.loads(get(url + "__nbpress/status")[1])["build"] < 1:
            assert time.monotonic() < deadline, "no build in 60 s"
            time.sleep(0.1)
        yield url
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# --- the release workflow ----------------------------------------------------------------------


def test_release_workflow_publishes_tested_archives_without_a_token() -> None:
    workflow = load_yaml(RELEASE_YML)
    validate(workflow, vendored_schema("github-workflows.json"))
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    build = "\n".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "python -m build" in build and "twine check --strict dist/*" in build
    assert jobs["test"]["needs"] == "build"
    test = {s.get("name", s.get("uses", "")): s for s in jobs["test"]["steps"]}
    assert test["Test"]["run"] == "bash .ci/run"  # the README's test command, this file among them
    assert test["Test"]["env"]["NBPRESS_DIST"] == test["actions/download-artifact@v8"]["with"]["path"]
    assert "3.11" in jobs["test"]["strategy"]["matrix"]["python-version"]  # requires-python's lowest
    publish = jobs["publish"]
    assert publish["needs"] == ["build", "test"]
    assert publish["permissions"] == {"id-token": "write"}  # trusted publishing
    assert publish["environment"]["name"] == "pypi"
    assert publish["steps"][-1] == {"uses": "pypa/gh-action-pypi-publish@release/v1"}  # no password, no token
    assert "secrets." not in RELEASE_YML.read_text(encoding="utf-8")


CHANGELOG_OK = f"# Changelog\n\nIntro.\n\n## {__version__} (2027-01-15)\n\n- Things.\n\n## 0.0.1 (2026-01-01)\n"


@pytest.mark.parametrize(("tag", "changelog", "error"), [
    (f"v{__version__}", CHANGELOG_OK, None),
    ("v9.9.9", CHANGELOG_OK, f"the tag is v9.9.9 but the package is version {__version__}"),
    (__version__, CHANGELOG_OK, "tag v"),
    (f"v{__version__}", "# Changelog\n\n## 0.0.1 (2026-01-01)\n", "the newest section is '## 0.0.1 (2026-01-01)'"),
    (f"v{__version__}", f"# Changelog\n\n## {__version__} (unreleased)\n", "put the release date"),
    (f"v{__version__}", "# Changelog\n", "the newest section is ''"),
])
def test_release_checks_the_tag_and_the_changelog(tmp_path: Path, tag: str, changelog: str, error: str | None) -> None:
    """The release stops before anything is published when the tag, the version and CHANGELOG.md disagree."""
    build = load_yaml(RELEASE_YML)["jobs"]["build"]
    check = next(s for s in build["steps"] if s.get("name") == "Check the tag and the changelog")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / f"nbpress-{__version__}-py3-none-any.whl").touch()
    (tmp_path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    result = subprocess.run(["bash", "-e", "-c", check["run"]], cwd=tmp_path, env=dict(os.environ, TAG=tag),
                            capture_output=True, text=True, timeout=30, check=False)
    if error is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode == 1 and "::error" in result.stdout and error in result.stdout, result.stdout


def test_changelog_starts_with_this_version() -> None:
    """The version in nbpress/__init__.py has the newest section of CHANGELOG.md (dated when it is released)."""
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (\S+)", text, re.MULTILINE)
    assert headings and headings[0] == __version__
    assert len(set(headings)) == len(headings)


def test_the_version_is_written_once() -> None:
    """pyproject.toml reads the version from nbpress/__init__.py; no other file of the package states it."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "nbpress.__version__"}
    stated = [path for path in (REPO / "nbpress").rglob("*.py")
              if re.search(r"^__version__\s*=", path.read_text(encoding="utf-8"), re.MULTILINE)]
    assert stated == [REPO / "nbpress" / "__init__.py"]
