"""The environments agree: pyproject.toml, environment.yml, the notebooks' hygiene."""
import glob
import os
import subprocess
import sys
import tomllib

import yaml
from packaging.requirements import Requirement

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
    assert "pip" in deps
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        requires = tomllib.load(fh)["project"]["requires-python"]
    assert requires == ">=3.11,<3.14"
    assert f"python{requires}" in deps, "environment.yml must ask for the Pythons pyproject.toml supports"
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


def test_every_course_notebook_is_stored_clean():
    """nbstripout --verify (the check `make test` runs) finds nothing to strip in notebooks/."""
    notebooks = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
    assert len(notebooks) >= 7
    done = subprocess.run([sys.executable, "-m", "nbstripout", "--keep-id", "--verify", *notebooks],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"notebooks stored with outputs (run `make clean-notebooks`): {done.stdout}"
