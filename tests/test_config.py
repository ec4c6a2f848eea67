"""Settings: nbpress.toml or [tool.nbpress], one typed object, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_site

from nbpress.config import Settings, load_settings
from nbpress.errors import EXIT_USAGE, SettingsError


def _site(tmp_path: Path, name: str, text: str) -> Path:
    root = tmp_path / "site"
    (root / "notebooks").mkdir(parents=True)
    (root / name).write_text(text, encoding="utf-8")
    return root


def test_defaults_without_a_settings_file(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    settings, warnings = load_settings(tmp_path)
    assert warnings == []
    assert settings.settings_file is None
    assert settings.base_url == "/"
    assert settings.content_dir == "notebooks"
    assert settings.execute == "auto"


def test_nbpress_toml(tmp_path: Path) -> None:
    root = _site(tmp_path, "nbpress.toml", 'title = "My lab"\npage_size = 3\nbase_url = "/repo/"\ntimeout = 5\n')
    settings, warnings = load_settings(root)
    assert warnings == []
    assert isinstance(settings, Settings)
    assert settings.settings_file == "nbpress.toml"
    assert (settings.title, settings.page_size, settings.base_url) == ("My lab", 3, "/repo/")
    assert settings.timeout == 5.0 and isinstance(settings.timeout, float)


def test_tool_nbpress_in_pyproject(tmp_path: Path) -> None:
    root = _site(tmp_path, "pyproject.toml",
                 '[project]\nname = "x"\nversion = "1"\n\n[tool.nbpress]\ntitle = "From pyproject"\ndrafts = true\n')
    settings, warnings = load_settings(root)
    assert warnings == []
    assert settings.settings_file == "pyproject.toml"
    assert settings.title == "From pyproject"
    assert settings.drafts is True


def test_pyproject_without_tool_nbpress_is_ignored(tmp_path: Path) -> None:
    root = _site(tmp_path, "pyproject.toml", '[project]\nname = "x"\ndescription = 5\n')
    settings, warnings = load_settings(root)
    assert warnings == []
    assert settings.settings_file is None


def test_nbpress_toml_wins_over_pyproject(tmp_path: Path) -> None:
    root = _site(tmp_path, "nbpress.toml", 'title = "toml"\n')
    (root / "pyproject.toml").write_text('[tool.nbpress]\ntitle = "pyproject"\n')
    settings, _ = load_settings(root)
    assert settings.title == "toml"


def test_unknown_key_warns_with_its_name_and_line(tmp_path: Path) -> None:
    root = _site(tmp_path, "nbpress.toml", 'title = "x"\ncolour = "blue"\n')
    settings, warnings = load_settings(root)
    assert settings.title == "x"
    assert len(warnings) == 1
    (warning,) = warnings
    assert warning.severity == "warning"
    assert "colour" in warning.message
    assert (warning.path, warning.line) == ("nbpress.toml", 2)


def test_wrong_types_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    root = _site(tmp_path, "nbpress.toml",
                 'title = "ok"\npage_size = "ten"\ndrafts = "yes"\nexecute = "sometimes"\njobs = true\n')
    with pytest.raises(SettingsError) as info:
        load_settings(root)
    exc = info.value
    assert exc.exit_code == EXIT_USAGE == 2
    found = {d.message.split("'")[1]: d for d in exc.diagnostics}
    assert set(found) == {"page_size", "drafts", "execute", "jobs"}
    assert {k: d.line for k, d in found.items()} == {"page_size": 2, "drafts": 3, "execute": 4, "jobs": 5}
    assert all(d.path == "nbpress.toml" for d in exc.diagnostics)
    assert "nbpress.toml:2:" in str(exc)


def test_wrong_type_in_pyproject_points_at_the_tool_nbpress_line(tmp_path: Path) -> None:
    root = _site(tmp_path, "pyproject.toml",
                 '[project]\nname = "x"\ndescription = "a package"\n\n[tool.nbpress]\ndescription = 5\n')
    with pytest.raises(SettingsError) as info:
        load_settings(root)
    (diag,) = info.value.diagnostics
    assert "description" in diag.message
    assert (diag.path, diag.line) == ("pyproject.toml", 6)


@pytest.mark.parametrize("value", ["0", "-1", "true", "2.5"])
def test_page_size_must_be_a_positive_whole_number(tmp_path: Path, value: str) -> None:
    root = _site(tmp_path, "nbpress.toml", f"page_size = {value}\n")
    with pytest.raises(SettingsError, match="page_size"):
        load_settings(root)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    root = _site(tmp_path, "nbpress.toml", 'title = "x"\npage_size = = 3\n')
    with pytest.raises(SettingsError) as info:
        load_settings(root)
    (diag,) = info.value.diagnostics
    assert (diag.path, diag.line) == ("nbpress.toml", 2)
    assert info.value.exit_code == 2


def test_missing_content_folder(tmp_path: Path) -> None:
    (tmp_path / "nbpress.toml").write_text('content_dir = "posts"\n')
    with pytest.raises(SettingsError, match="content folder 'posts' not found") as info:
        load_settings(tmp_path)
    assert info.value.exit_code == 2


def test_missing_site_folder(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="site folder not found"):
        load_settings(tmp_path / "nowhere")


def test_command_line_overrides_win_and_are_checked(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s")
    settings, _ = load_settings(site.root, {"base_url": "/repo/", "drafts": None})
    assert settings.base_url == "/repo/"
    assert settings.execute == "off"  # from the fixture's nbpress.toml
    with pytest.raises(SettingsError):
        load_settings(site.root, {"execute": "never"})


def test_cli_reports_unknown_key_and_builds(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s", toml='execute = "off"\nthme = "dark"\n')
    result = site.cli("build")
    assert result.returncode == 0, result.stderr
    assert "nbpress.toml:2: warning: unknown setting 'thme'" in result.stderr


def test_cli_settings_error_exits_2_listing_every_bad_key(tmp_path: Path) -> None:
    site = make_site(tmp_path / "s", toml='execute = "off"\npage_size = "many"\nsearch = 3\n')
    result = site.cli("build")
    assert result.returncode == 2
    assert "nbpress.toml:2:" in result.stderr and "page_size" in result.stderr
    assert "nbpress.toml:3:" in result.stderr and "search" in result.stderr
    assert "Traceback" not in result.stderr
    assert not site.output.exists()


@pytest.mark.parametrize("value", ["local", "dask://scheduler:8786", "tcp://10.0.0.5:8786", "tls://dask.example.org:8786",
                                   "tls://[::1]:8786", "dask://scheduler"])
def test_executor_is_local_or_a_dask_scheduler_address(tmp_path: Path, value: str) -> None:
    root = _site(tmp_path, "nbpress.toml", f'executor = "{value}"\n')
    settings, warnings = load_settings(root)
    assert (settings.executor, warnings) == (value, [])


@pytest.mark.parametrize("value", ["dask", "scheduler:8786", "http://scheduler:8786", "dask://", "dask://a b:1"])
def test_a_bad_executor_is_a_settings_error_naming_its_line(tmp_path: Path, value: str) -> None:
    root = _site(tmp_path, "nbpress.toml", f'title = "x"\nexecutor = "{value}"\n')
    with pytest.raises(SettingsError) as info:
        load_settings(root)
    (diag,) = info.value.diagnostics
    assert (diag.path, diag.line) == ("nbpress.toml", 2)
    assert "dask://HOST:8786" in diag.message


def test_executor_option_beats_the_environment_which_beats_the_settings_file(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    site = make_site(tmp_path / "s", toml='execute = "off"\nexecutor = "dask://from-the-file:8786"\n')

    def build(*args: str, env: str | None = None) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if k != "NBPRESS_EXECUTOR"}
        if env is not None:
            environ["NBPRESS_EXECUTOR"] = env
        return subprocess.run([sys.executable, "-m", "nbpress", "build", "--site", str(site.root), *args],
                              capture_output=True, text=True, timeout=60, env=environ)

    bad = build(env="not-an-address")
    assert bad.returncode == 2
    assert "NBPRESS_EXECUTOR" in bad.stderr and "not-an-address" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert build("--executor", "local", env="not-an-address").returncode == 0
    assert build(env="").returncode == 0  # an empty variable is no setting: the file's (nothing runs: off)
