"""The environments agree: pyproject.toml, environment.yml, the notebooks' hygiene."""
import json
import os
import tomllib

import yaml
from packaging.requirements import Requirement

from helpers import notebooks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pyproject_reqs():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        return [Requirement(r) for r in tomllib.load(fh)["project"]["dependencies"]]


def _env():
    with open(os.path.join(ROOT, "environment.yml")) as fh:
        return yaml.safe_load(fh)


def test_environment_yml_parses_the_way_repo2docker_reads_it():
    env = _env()
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1
    assert "-e ." in pip_lists[0], "helpers must be installed by the environment"


def test_environment_yml_names_the_same_pinned_packages_as_pyproject():
    pip = [d["pip"] for d in _env()["dependencies"] if isinstance(d, dict)][0]
    env_reqs = {(r.name, str(r.specifier), str(r.marker)) for r in (Requirement(s) for s in pip if s != "-e .")}
    py_reqs = {(r.name, str(r.specifier), str(r.marker)) for r in _pyproject_reqs()}
    assert env_reqs == py_reqs


def test_tensorflow_wheel_choice_by_platform():
    reqs = [r for r in _pyproject_reqs() if r.name.startswith("tensorflow")]
    def chosen(env):
        return sorted(r.name for r in reqs if r.marker.evaluate(env))
    assert chosen({"sys_platform": "linux", "platform_machine": "x86_64"}) == ["tensorflow-cpu"]
    assert chosen({"sys_platform": "win32", "platform_machine": "AMD64"}) == ["tensorflow-cpu"]
    assert chosen({"sys_platform": "darwin", "platform_machine": "arm64"}) == ["tensorflow"]
    assert chosen({"sys_platform": "linux", "platform_machine": "aarch64"}) == ["tensorflow"]
    assert all(str(r.specifier) == "==2.21.0" for r in reqs)


def test_notebook_checker_flags_outputs(tmp_path):
    clean = {"cells": [{"cell_type": "code", "source": "1", "outputs": [], "execution_count": None,
                        "metadata": {}}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    dirty = json.loads(json.dumps(clean))
    dirty["cells"][0]["execution_count"] = 3
    dirty["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1"}]
    (tmp_path / "a.ipynb").write_text(json.dumps(clean))
    assert notebooks.check(str(tmp_path)) == 0
    (tmp_path / "b.ipynb").write_text(json.dumps(dirty))
    assert notebooks.dirty_cells(str(tmp_path / "b.ipynb")) == [0]
    assert notebooks.check(str(tmp_path)) == 1


def test_every_course_notebook_is_stored_clean():
    folder = os.path.join(ROOT, "notebooks")
    assert notebooks.check(folder) == 0
