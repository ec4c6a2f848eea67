"""`nbpress init` and `nbpress new`, the Pages workflow and the composite action, as a new user meets them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import jupytext
import nbformat
import pytest
import yaml

from nbpress import __version__
from nbpress.cli import cli
from nbpress.scaffold import CI_DIR, SCAFFOLD_DIR, template_files
from nbpress.sources.front_matter import split

REPO = Path(__file__).resolve().parent.parent
SITE_FILES = [
    ".github/workflows/publish.yml",
    ".gitignore",
    "jupytext.toml",
    "layouts/README.md",
    "nbpress.toml",
    "notebooks/posts/first-notebook.ipynb",
    "notebooks/posts/first-notebook.py",
    "notebooks/posts/welcome.md",
]
NO_CI_FILES = [rel for rel in SITE_FILES if not rel.startswith(".github/")]
PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command, as a user types it."""
    env = dict(os.environ, PYTHONWARNINGS="error", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "nbpress", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def today() -> set[dt.date]:
    """Today, or yesterday if the command ran across midnight."""
    now = dt.date.today()
    return {now, now - dt.timedelta(days=1)}


def files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def new_site(tmp_path: Path) -> Path:
    """A site made by `nbpress init my-site`."""
    ok(run("init", "my-site", cwd=tmp_path))
    return tmp_path / "my-site"


def load_yaml(path: Path) -> Any:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # PyYAML reads YAML 1.1, where the key `on` is the boolean true
        data["on"] = data.pop(True)
    return data


def vendored_schema(name: str) -> dict[str, Any]:
    """A JSON schema shipped inside check-jsonschema (no network)."""
    check_jsonschema = pytest.importorskip("check_jsonschema")
    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / name
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def validate(instance: Any, schema: dict[str, Any]) -> None:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def notebook_front_matter(path: Path) -> dict[str, Any]:
    """The YAML of a notebook's first raw cell (.ipynb, or a jupytext .py's header)."""
    nb = jupytext.read(path) if path.suffix == ".py" else nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "raw" and first.source.startswith("---")
    block, _, _ = split(first.source + "\n")
    assert block is not None
    data: dict[str, Any] = yaml.safe_load(block)
    return data


# --- init ------------------------------------------------------------------------------------


def test_init_writes_a_working_site(tmp_path: Path) -> None:
    result = ok(run("init", "my-site", cwd=tmp_path))
    folder = tmp_path / "my-site"
    assert files(folder) == SITE_FILES
    for rel in SITE_FILES:
        assert f"created my-site/{rel}" in result.stdout
    assert "cd my-site && nbpress serve" in result.stdout

    settings = tomllib.loads((folder / "nbpress.toml").read_text(encoding="utf-8"))
    assert settings["title"] == "My Site"
    assert settings["base_url"] == "/"
    assert settings["description"] and settings["page_size"] >= 1
    assert tomllib.loads((folder / "jupytext.toml").read_text(encoding="utf-8")) == {"formats": "ipynb,py:percent"}
    ignored = (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    for pattern in ("output/", ".ipynb_checkpoints/", ".nbpress/state/", "__pycache__/"):
        assert pattern in ignored
    assert not any(line.startswith(".nbpress/cache") or line == ".nbpress/" for line in ignored)
    assert len((folder / "layouts/README.md").read_text(encoding="utf-8").strip().splitlines()) == 1

    block, body, _ = split((folder / "notebooks/posts/welcome.md").read_text(encoding="utf-8"))
    post = yaml.safe_load(block or "")
    assert set(post) == {"title", "excerpt", "date", "author"}
    assert dt.date.fromisoformat(post["date"]) in today()
    assert post["author"]["name"] and post["excerpt"] and body.strip()


def test_init_notebook_is_saved_with_a_plot_and_paired(new_site: Path) -> None:
    nb = nbformat.read(new_site / "notebooks/posts/first-notebook.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    meta = notebook_front_matter(new_site / "notebooks/posts/first-notebook.ipynb")
    assert meta["title"] and meta["excerpt"] and meta["date"] in today()
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1
    import base64

    assert base64.b64decode(images[0]["data"]["image/png"]).startswith(PNG)

    script = new_site / "notebooks/posts/first-notebook.py"
    text = script.read_text(encoding="utf-8")
    assert text.startswith("# ---\n") and "#   kernelspec:" in text and "# %%" in text
    twin = jupytext.read(script)
    assert [(c.cell_type, c.source) for c in twin.cells] == [(c.cell_type, c.source) for c in nb.cells]
    assert notebook_front_matter(script) == meta
    # jupytext takes a pair whose text file is older than its notebook for an outdated one
    assert script.stat().st_mtime_ns >= (new_site / "notebooks/posts/first-notebook.ipynb").stat().st_mtime_ns


def test_init_site_builds_at_once_without_running_anything(new_site: Path) -> None:
    result = ok(run("build", cwd=new_site))
    assert "built 2 pages" in result.stdout  # the .ipynb + .py pair is one page
    assert "executed" not in result.stdout and "executed" not in result.stderr
    assert not (new_site / ".nbpress/cache").exists()  # saved outputs: no kernel, no matplotlib needed
    out = new_site / "output"
    welcome = (out / "posts/welcome/index.html").read_text(encoding="utf-8")
    notebook = (out / "posts/first-notebook/index.html").read_text(encoding="utf-8")
    assert "Welcome to your nbpress site" in welcome
    assert 'href="/posts/first-notebook/"' in welcome  # the post's link to the notebook source
    pngs = sorted((out / "posts/first-notebook").glob("*.png"))
    assert len(pngs) == 1 and pngs[0].read_bytes().startswith(PNG)
    assert f'src="{pngs[0].name}"' in notebook
    assert "first-notebook.py" not in files(out)


def test_init_site_builds_for_a_project_site(new_site: Path, tmp_path: Path) -> None:
    ok(run("build", "--base-url", "/REPO/", "--output", str(tmp_path / "pages"), cwd=new_site))
    index = (tmp_path / "pages/index.html").read_text(encoding="utf-8")
    assert 'href="/REPO/posts/welcome/"' in index
    assert 'href="/REPO/posts/first-notebook/"' in index
    assert 'href="/posts/' not in index


def test_init_refuses_a_folder_with_content(tmp_path: Path) -> None:
    folder = tmp_path / "existing"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")
    (folder / "nbpress.toml").write_text('title = "Mine"\n', encoding="utf-8")
    (folder / ".gitignore").write_text("venv/\noutput/", encoding="utf-8")

    result = run("init", "existing", cwd=tmp_path)
    assert result.returncode == 2
    assert "not empty" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert files(folder) == [".gitignore", "nbpress.toml", "notes.txt"]

    result = ok(run("init", "existing", "--force", cwd=tmp_path))
    assert "kept existing/nbpress.toml" in result.stdout
    assert "added to existing/.gitignore" in result.stdout
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert (folder / "nbpress.toml").read_text(encoding="utf-8") == 'title = "Mine"\n'
    ignored = (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ignored[:2] == ["venv/", "output/"] and ignored.count("output/") == 1 and ".nbpress/state/" in ignored
    assert set(SITE_FILES) <= set(files(folder))
    ok(run("build", cwd=folder))

    again = ok(run("init", "existing", "--force", cwd=tmp_path))
    assert "created" not in again.stdout and "nothing to add" in again.stdout


def test_init_in_the_current_folder_after_git_init(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # a fresh `git init` is still an empty folder
    result = ok(run("init", cwd=tmp_path))
    assert "cd " not in result.stdout and "nbpress serve" in result.stdout
    assert tomllib.loads((tmp_path / "nbpress.toml").read_text(encoding="utf-8"))["title"].strip()


def test_init_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    result = run("init", "taken", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_template_has_no_dotfiles() -> None:
    """package-data globs skip dotfiles: the template spells them dot-x."""
    for path in [*SCAFFOLD_DIR.rglob("*"), *CI_DIR.rglob("*")]:
        assert not path.name.startswith("."), path
    written = set(SITE_FILES) - {"notebooks/posts/first-notebook.py"}
    assert [rel for rel, _ in template_files()] == sorted(written)
    assert [rel for rel, _ in template_files("gitlab")] == sorted({*written - {".github/workflows/publish.yml"},
                                                                    ".gitlab-ci.yml"})
    assert [rel for rel, _ in template_files("none")] == sorted(written - {".github/workflows/publish.yml"})


# --- new -------------------------------------------------------------------------------------


KINDS = [("--markdown", ".md"), ("--notebook", ".ipynb"), ("--py", ".py"), (None, ".md")]


def post_front_matter(path: Path) -> dict[str, Any]:
    if path.suffix == ".md":
        block, _, _ = split(path.read_text(encoding="utf-8"))
        data: dict[str, Any] = yaml.safe_load(block or "")
        return data
    return notebook_front_matter(path)


@pytest.mark.parametrize(("flag", "ext"), KINDS)
def test_new_post(new_site: Path, flag: str | None, ext: str) -> None:
    toml = new_site / "nbpress.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + 'author = "Ada Lovelace"\n', encoding="utf-8")
    args = ["new", "My Title", "--category", "Field Notes"] + ([flag] if flag else [])
    result = ok(run(*args, cwd=new_site))
    path = new_site / "notebooks" / f"my-title{ext}"
    assert result.stdout.strip() == f"created notebooks/my-title{ext}"
    assert files(new_site / "notebooks") == sorted(
        ["posts/first-notebook.ipynb", "posts/first-notebook.py", "posts/welcome.md", f"my-title{ext}"])
    meta = post_front_matter(path)
    assert meta == {"title": "My Title", "date": meta["date"], "slug": "my-title", "excerpt": "",
                    "author": "Ada Lovelace", "category": "Field Notes"}
    assert meta["date"] in today()
    if ext == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert [c.cell_type for c in nb.cells] == ["raw", "markdown", "code"]
        assert nb.metadata.kernelspec.name == "python3"
    if ext == ".py":
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# ---\n# title: My Title\n")
        assert "# jupyter:\n" in text and "#   kernelspec:\n" in text and "#     name: python3\n" in text
        assert "\n# %% [markdown]\n" in text and "\n# %%\n" in text

    before = path.read_bytes()
    again = run(*args, cwd=new_site)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    assert path.read_bytes() == before

    built = ok(run("build", cwd=new_site))
    assert "built 3 pages" in built.stdout
    page = (new_site / "output/posts/my-title/index.html").read_text(encoding="utf-8")
    assert "My Title" in page and "Ada Lovelace" in page
    assert (new_site / "output/categories/field-notes/index.html").is_file()


def test_new_without_author_or_category(new_site: Path) -> None:
    ok(run("new", "Hello, World!", "--py", cwd=new_site))
    meta = post_front_matter(new_site / "notebooks/hello-world.py")
    assert set(meta) == {"title", "date", "slug", "excerpt"} and meta["title"] == "Hello, World!"


def test_new_refuses_a_name_taken_by_another_kind(new_site: Path) -> None:
    ok(run("new", "Same Name", "--notebook", cwd=new_site))
    for args in (["--py"], ["--markdown"]):
        result = run("new", "Same Name", *args, cwd=new_site)
        assert result.returncode == 2 and "notebooks/same-name.ipynb" in result.stderr
    result = run("new", "Welcome", cwd=new_site)  # notebooks/posts/welcome.md has /posts/welcome/
    assert result.returncode == 2 and "notebooks/posts/welcome.md" in result.stderr
    assert not (new_site / "notebooks/welcome.md").exists()


def test_new_with_site_option_outside_a_site(tmp_path: Path) -> None:
    ok(run("init", "blog", cwd=tmp_path))
    ok(run("new", "From Outside", "--site", "blog", cwd=tmp_path))
    assert (tmp_path / "blog/notebooks/from-outside.md").is_file()
    result = run("new", "Nowhere", cwd=tmp_path)  # no notebooks/ here
    assert result.returncode == 2 and "Traceback" not in result.stderr


# --- publishing: GitHub Pages, GitLab Pages, the composite action ---------------------------------


def installed_version() -> str:
    """What `nbpress --version` says, as a user reads it."""
    return ok(run("--version", cwd=REPO)).stdout.split()[-1]


def pins(text: str) -> list[str]:
    return re.findall(r'"nbpress==([^"]+)"', text)


def bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A workflow's `run:` script as the runner runs it (bash -e), with this nbpress first on PATH."""
    full = dict(os.environ, NO_COLOR="1", **env)
    full["PATH"] = f"{env.get('PATH', Path(sys.executable).parent)}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=full, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def pip_recorder(folder: Path) -> Path:
    """A `python` that records its arguments instead of running pip: what an install step asks pip for."""
    folder.mkdir()
    shim = folder / "python"
    shim.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD"\n', encoding="utf-8")
    shim.chmod(0o755)
    return folder


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    """A step by its `uses` (without @version), id or name."""
    for candidate in job["steps"]:
        if name in (candidate.get("uses", "").split("@")[0], candidate.get("id"), candidate.get("name")):
            return dict(candidate)
    raise AssertionError(f"no step {name}")


def test_publish_workflow(new_site: Path) -> None:
    path = new_site / ".github/workflows/publish.yml"
    workflow = load_yaml(path)
    validate(workflow, vendored_schema("github-workflows.json"))
    assert workflow["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = [s["uses"] for s in build["steps"] if "uses" in s]
    assert uses == ["actions/checkout@v7", "actions/setup-python@v7", "actions/configure-pages@v5",
                    "actions/cache@v5", "actions/upload-pages-artifact@v5"]
    assert step(build, "actions/checkout")["with"] == {"fetch-depth": 0}  # post dates come from the history
    python = step(build, "actions/setup-python")["with"]
    assert python["cache"] == "pip"
    assert python["cache-dependency-path"].split() == [".github/workflows/publish.yml", "requirements.txt"]
    assert step(build, "actions/configure-pages")["id"] == "pages"
    assert step(build, "actions/upload-pages-artifact")["with"]["path"] == "output"
    cache = step(build, "actions/cache")["with"]
    assert cache["path"] == ".nbpress/cache" and "hashFiles('notebooks/**'" in cache["key"]
    assert "requirements.txt" in cache["key"] and cache["restore-keys"].strip() == "nbpress-"
    text = path.read_text(encoding="utf-8")
    assert pins(text) == [installed_version()] * 2 and "pip install nbpress\n" not in text
    for each in build["steps"]:  # expressions reach scripts through env: a value can never run as code
        assert "${{" not in each.get("run", "")
    assert step(build, "Build")["env"] == {"BASE_PATH": "${{ steps.pages.outputs.base_path }}",
                                           "SITE_URL": "${{ steps.pages.outputs.base_url }}"}
    assert deploy["needs"] == "build"
    assert deploy["environment"] == {"name": "github-pages", "url": "${{ steps.deployment.outputs.page_url }}"}
    assert deploy["steps"] == [{"id": "deployment", "uses": "actions/deploy-pages@v5"}]


@pytest.mark.parametrize("requirements", [None, "pandas>=2\n"])
def test_publish_workflow_installs_the_pinned_nbpress(new_site: Path, tmp_path: Path, requirements: str | None) -> None:
    """The install step asks pip for the pin, and the site's requirements in the same call (one resolve)."""
    if requirements is not None:
        (new_site / "requirements.txt").write_text(requirements, encoding="utf-8")
    install = step(load_yaml(new_site / ".github/workflows/publish.yml")["jobs"]["build"],
                   "Install nbpress and the site's requirements")
    record = tmp_path / "pip-args"
    bash(install["run"], new_site, PATH=str(pip_recorder(tmp_path / "bin")), RECORD=str(record))
    extra = ["-r", "requirements.txt"] if requirements else []
    assert record.read_text(encoding="utf-8").split("\n")[:-1] == ["-m", "pip", "install",
                                                                   f"nbpress=={installed_version()}", *extra]


# configure-pages' outputs: base_path is "" for a user site or a custom domain, "/REPO" for a project site.
PAGES = [("", "https://octocat.github.io", "/"), ("/REPO", "https://octocat.github.io/REPO", "/REPO/"),
         ("", "https://www.example.com", "/")]


@pytest.mark.parametrize(("base_path", "base_url", "prefix"), PAGES)
def test_publish_workflow_builds_user_and_project_sites(new_site: Path, base_path: str, base_url: str,
                                                        prefix: str) -> None:
    """The Build step with configure-pages' outputs: links under the site's path, its address in feeds."""
    build = step(load_yaml(new_site / ".github/workflows/publish.yml")["jobs"]["build"], "Build")
    ok(run("new", "A second post", cwd=new_site))
    bash(build["run"], new_site, BASE_PATH=base_path, SITE_URL=base_url)
    out = new_site / "output"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{prefix}posts/welcome/"' in index and f'href="{prefix}posts/a-second-post/"' in index
    if prefix != "/":
        assert 'href="/posts/' not in index
    post = (out / "posts/welcome/index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{base_url}/posts/welcome/">' in post
    assert f'content="{base_url}/posts/welcome/"' in post  # og:url
    assert f"<loc>{base_url}/posts/welcome/</loc>" in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert f'href="{base_url}/posts/welcome/"' in (out / "feed.xml").read_text(encoding="utf-8")
    assert "0 problems" in ok(run("check", "--base-url", prefix, cwd=new_site)).stdout


def test_init_for_gitlab_pages(tmp_path: Path) -> None:
    result = ok(run("init", "blog", "--ci", "gitlab", cwd=tmp_path))
    new_site = tmp_path / "blog"
    assert files(new_site) == sorted([*NO_CI_FILES, ".gitlab-ci.yml"])
    assert "GitLab" in result.stdout and "GitHub" not in result.stdout
    path = new_site / ".gitlab-ci.yml"
    pipeline = load_yaml(path)
    validate(pipeline, vendored_schema("gitlab-ci.json"))
    job = pipeline["pages"]  # the job GitLab Pages publishes from, with its public/ artifact
    assert job["artifacts"] == {"paths": ["public"]}
    assert job["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert job["variables"]["GIT_DEPTH"] == 0  # post dates come from the history
    assert set(job["cache"]["paths"]) == {".cache/pip", ".nbpress/cache"}
    assert job["image"].startswith("python:3") and "slim" not in job["image"]  # git is in the image
    assert pins(path.read_text(encoding="utf-8")) == [installed_version()] * 2

    install, build = job["script"]
    record = tmp_path / "pip-args"
    bash(install, new_site, PATH=str(pip_recorder(tmp_path / "bin")), RECORD=str(record))
    assert record.read_text(encoding="utf-8").split() == ["-m", "pip", "install", f"nbpress=={installed_version()}"]
    bash(build, new_site, CI_PAGES_URL="https://octocat.gitlab.io/blog")
    index = (new_site / "public/index.html").read_text(encoding="utf-8")
    assert 'href="/blog/posts/welcome/"' in index and 'href="/posts/' not in index
    post = (new_site / "public/posts/welcome/index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://octocat.gitlab.io/blog/posts/welcome/">' in post
    check = ok(run("check", "--output", "public", "--base-url", "/blog/", cwd=new_site))
    assert "0 problems" in check.stdout


def test_init_without_ci(tmp_path: Path) -> None:
    result = ok(run("init", "blog", "--ci", "none", cwd=tmp_path))
    assert files(tmp_path / "blog") == NO_CI_FILES
    assert "any web server" in result.stdout
    assert run("init", "other", "--ci", "jenkins", cwd=tmp_path).returncode == 2
    assert not (tmp_path / "other").exists()


def test_ci_choices_are_the_templates() -> None:
    from nbpress.scaffold import CI_DIR, CI_KINDS

    choice = next(p for p in cli.commands["init"].params if p.name == "ci")
    assert tuple(choice.type.choices) == CI_KINDS  # type: ignore[attr-defined]
    assert sorted(p.name for p in CI_DIR.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(
        kind for kind in CI_KINDS if kind != "none")


@pytest.mark.parametrize(("before", "after", "status"), [
    ("pandas>=2\nmatplotlib", f"pandas>=2\nmatplotlib\nnbpress=={__version__}\n", "added to"),
    ("", f"nbpress=={__version__}\n", "added to"),
    ("NBPress[demo]>=0.1  # ours\npandas\n", "NBPress[demo]>=0.1  # ours\npandas\n", "kept"),
    ("nbpress @ git+https://example.org/nbpress.git\n", "nbpress @ git+https://example.org/nbpress.git\n", "kept"),
    ("nbpress-extras==1\n", f"nbpress-extras==1\nnbpress=={__version__}\n", "added to"),
])
def test_init_pins_nbpress_in_the_sites_requirements(tmp_path: Path, before: str, after: str, status: str) -> None:
    """A requirements.txt already there gets the same pin as the workflow, unless it names nbpress itself."""
    folder = tmp_path / "existing"
    folder.mkdir()
    (folder / "requirements.txt").write_text(before, encoding="utf-8")
    result = ok(run("init", "existing", "--force", cwd=tmp_path))
    assert f"{status} existing/requirements.txt" in result.stdout
    assert (folder / "requirements.txt").read_text(encoding="utf-8") == after


def test_init_warns_that_a_development_version_is_not_released(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from nbpress import scaffold

    assert scaffold.is_release("0.1.0") and scaffold.is_release("1.2.0rc1")
    assert not scaffold.is_release("0.2.0.dev0") and not scaffold.is_release("0.1.0+g1234")
    monkeypatch.setattr("nbpress.cli.__version__", "0.2.0.dev3")
    monkeypatch.setattr("nbpress.scaffold.__version__", "0.2.0.dev3")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "blog"])
    assert result.exit_code == 0, result.output
    assert "development version" in result.output and "nbpress==0.2.0.dev3" in result.output
    assert pins((tmp_path / "blog/.github/workflows/publish.yml").read_text(encoding="utf-8")) == ["0.2.0.dev3"] * 2


def test_composite_action() -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    action = load_yaml(REPO / "action.yml")
    validate(action, vendored_schema("github-actions.json"))
    assert action["runs"]["using"] == "composite"
    defaults = {name: spec.get("default") for name, spec in action["inputs"].items()}
    assert defaults == {"site": ".", "python-version": "3.12", "requirements": "", "base-url": "", "site-url": "",
                        "execute": ""}
    assert set(re.findall(r"\$\{\{ inputs\.([\w-]+) \}\}", text)) == set(defaults)  # each input is used
    assert "output" in action["outputs"]
    steps = action["runs"]["steps"]
    assert steps[0]["uses"] == "actions/setup-python@v7"
    assert steps[0]["with"] == {"python-version": "${{ inputs.python-version }}"}
    for each in steps:  # inputs reach scripts through env: a value can never run as code
        assert "${{" not in each.get("run", "")


def test_composite_action_installs_itself_and_the_requirements(tmp_path: Path) -> None:
    install = step(load_yaml(REPO / "action.yml")["runs"], "Install nbpress")
    record = tmp_path / "pip-args"
    shim = pip_recorder(tmp_path / "bin")
    for requirements, extra in (("", []), ("-r requirements.txt", ["-r", "requirements.txt"]),
                                ("matplotlib pandas>=2", ["matplotlib", "pandas>=2"])):
        bash(install["run"], tmp_path, PATH=str(shim), RECORD=str(record), REQUIREMENTS=requirements,
             GITHUB_ACTION_PATH="/home/runner/work/_actions/OWNER/nbpress/v1.0.0")
        assert record.read_text(encoding="utf-8").split("\n")[:-1] == [
            "-m", "pip", "install", "/home/runner/work/_actions/OWNER/nbpress/v1.0.0", *extra]


@pytest.mark.parametrize(("inputs", "prefix", "address", "executed"), [
    ({}, "/", "", False),
    ({"BASE_URL": "/REPO/", "SITE_URL": "https://octocat.github.io/REPO/"}, "/REPO/", "https://octocat.github.io/REPO/",
     False),
    ({"EXECUTE": "force"}, "/", "", True),
])
def test_composite_action_build_step_runs(tmp_path: Path, inputs: dict[str, str], prefix: str, address: str,
                                          executed: bool) -> None:
    """The action's build script, in bash, as the runner runs it (with its inputs in env); the site is a sub-folder."""
    ok(run("init", "docs/blog", cwd=tmp_path))
    new_site = tmp_path / "docs/blog"
    settings = new_site / "nbpress.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + 'execute = "off"\n', encoding="utf-8")
    build = step(load_yaml(REPO / "action.yml")["runs"], "build")
    github_output = tmp_path / "github-output"
    env = {"SITE": "docs/blog", "BASE_URL": "", "SITE_URL": "", "EXECUTE": "", **inputs}
    result = bash(build["run"], tmp_path, GITHUB_OUTPUT=str(github_output), **env)
    assert github_output.read_text(encoding="utf-8").strip() == f"output={(new_site / 'output').resolve()}"
    assert f'href="{prefix}posts/welcome/"' in (new_site / "output/index.html").read_text(encoding="utf-8")
    post = (new_site / "output/posts/welcome/index.html").read_text(encoding="utf-8")
    assert ('<link rel="canonical" href="https://octocat.github.io/REPO/posts/welcome/">' in post) == bool(address)
    assert ("executed 1" in result.stdout) == executed  # execute = "off" holds unless the input says otherwise


def test_readme_and_action_name_this_release() -> None:
    """`uses: OWNER/nbpress@vX.Y.Z` and `nbpress==X.Y.Z` wherever they are shown, X.Y.Z the version this checkout is."""
    for path in (REPO / "README.md", REPO / "action.yml"):
        refs = re.findall(r"uses: OWNER/nbpress@(\S+)", path.read_text(encoding="utf-8"))
        assert refs and set(refs) == {f"v{__version__}"}, (path, refs)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"nbpress==([\w.+-]+)", readme)) == {__version__}


# --- as a new user -----------------------------------------------------------------------------


def test_init_build_check(tmp_path: Path) -> None:
    ok(run("init", "blog", cwd=tmp_path))
    new_site = tmp_path / "blog"
    ok(run("new", "A second post", cwd=new_site))
    ok(run("build", cwd=new_site))
    ok(run("build", "--base-url", "/REPO/", "--output", str(tmp_path / "pages"), cwd=new_site))
    ok(run("check", "--output", str(tmp_path / "pages"), "--base-url", "/REPO/", cwd=new_site))
    ok(run("check", cwd=new_site))


@pytest.mark.parametrize(("name", "title"), [("my-blog", "My Blog"), ("data_notes", "Data Notes"),
                                             ("MyBlog", "MyBlog"), ('my "blog" \\ o\'k', 'My "blog" \\ o\'k')])
def test_site_title_from_the_folder_name(tmp_path: Path, name: str, title: str) -> None:
    from nbpress.scaffold import init_site

    init_site(tmp_path / name, today=dt.date(2024, 5, 1))
    settings = tomllib.loads((tmp_path / name / "nbpress.toml").read_text(encoding="utf-8"))
    assert settings["title"] == title
    assert "date: '2024-05-01'" in (tmp_path / name / "notebooks/posts/welcome.md").read_text(encoding="utf-8")
