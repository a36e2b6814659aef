"""The environments agree: pyproject.toml, environment.yml, the notebooks' hygiene."""
import glob
import shutil
import os
import subprocess
import sys
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        return tomllib.load(fh)["project"]


def _pins(name):
    """name -> version of the ``name==version`` lines of a requirements / constraints file."""
    pins = {}
    with open(os.path.join(ROOT, name)) as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                req = Requirement(line)
                pins[canonicalize_name(req.name)] = next(iter(req.specifier)).version
    return pins


def _env():
    with open(os.path.join(ROOT, "environment.yml")) as fh:
        return yaml.safe_load(fh)


def test_environment_yml_parses_the_way_repo2docker_reads_it():
    env = _env()
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    assert "pip" in deps
    requires = _project()["requires-python"]
    assert f"python{requires}" in deps, "environment.yml must ask for the Pythons pyproject.toml supports"
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert pip_lists == [["-c constraints.txt", "-e .[tensorflow,dev]"]], \
        "environment.yml must install the course with TensorFlow and the tools at the versions of constraints.txt"


def test_every_dependency_range_admits_both_the_lock_and_colabs_versions():
    """The ranges of pyproject.toml hold the exact versions of constraints.txt (make test) and of
    compat/colab.txt (make test-compat); every runtime dependency and TensorFlow is pinned in both."""
    lock, colab = _pins("constraints.txt"), _pins(os.path.join("compat", "colab.txt"))
    project = _project()
    reqs = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["tensorflow"]
            + project["optional-dependencies"]["dev"]]
    linux = {"sys_platform": "linux", "platform_machine": "x86_64"}
    for req in reqs:
        if req.marker is not None and not req.marker.evaluate(linux):
            continue
        name = canonicalize_name(req.name)
        assert name in lock, f"{name} is not pinned in constraints.txt: run `make lock`"
        assert req.specifier.contains(lock[name]), f"constraints.txt's {name}=={lock[name]} is outside {req}"
        if name in colab:
            assert req.specifier.contains(colab[name]), f"Colab's {name}=={colab[name]} is outside {req}"
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    assert runtime | {"tensorflow-cpu"} <= set(colab), "compat/colab.txt must pin every runtime dependency"
    assert {"tensorflow", "tensorflow-cpu"} <= set(lock) and lock["tensorflow"] == lock["tensorflow-cpu"]


def test_no_runtime_dependency_names_a_tensorflow_build():
    """Installing the course where TensorFlow is (Colab: the `tensorflow` build) must not bring a second
    build (`tensorflow-cpu`): TensorFlow comes only with the `tensorflow` extra."""
    names = {canonicalize_name(Requirement(r).name) for r in _project()["dependencies"]}
    assert not any(n.startswith("tensorflow") or n.startswith("tf-") for n in names), names


def test_tensorflow_extra_chooses_the_wheel_by_platform():
    reqs = [Requirement(r) for r in _project()["optional-dependencies"]["tensorflow"]]
    def chosen(env):
        return sorted(r.name for r in reqs if r.marker.evaluate(env))
    assert chosen({"sys_platform": "linux", "platform_machine": "x86_64"}) == ["tensorflow-cpu"]
    assert chosen({"sys_platform": "win32", "platform_machine": "AMD64"}) == ["tensorflow-cpu"]
    assert chosen({"sys_platform": "darwin", "platform_machine": "arm64"}) == ["tensorflow"]
    assert chosen({"sys_platform": "linux", "platform_machine": "aarch64"}) == ["tensorflow"]


def test_the_data_folder_is_package_data_found_through_importlib_resources(tmp_path, monkeypatch):
    """In a wheel, data/ is helpers/data/: DATA_DIR points there when it exists (a copy of the
    package with its data inside stands in for an installed wheel)."""
    pkg = tmp_path / "site" / "helpers"
    shutil.copytree(os.path.join(ROOT, "helpers"), pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "data" / "images").mkdir(parents=True)
    code = "import helpers, os; print(os.path.relpath(helpers.DATA_DIR, os.path.dirname(helpers.__file__)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "site", capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tmp_path / "site")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "data", done.stdout
    import helpers
    assert os.path.samefile(helpers.DATA_DIR, os.path.join(ROOT, "data")), "a checkout reads data/ beside helpers/"


def test_setup_py_installs_every_data_folder_as_package_data():
    """setup.py turns data/ and each folder under it into packages of helpers.data, each with all its files."""
    import runpy
    from unittest import mock

    with mock.patch("setuptools.setup") as setup:
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            runpy.run_path(os.path.join(ROOT, "setup.py"))
        finally:
            os.chdir(cwd)
    kw = setup.call_args.kwargs
    assert kw["package_dir"] == {"helpers.data": "data"}
    folders = {os.path.relpath(d, ROOT) for d, _, files in os.walk(os.path.join(ROOT, "data"))
               if files and "__pycache__" not in d}
    data_packages = {p for p in kw["packages"] if p.startswith("helpers.data")}
    assert {("data" + p[len("helpers.data"):]).replace(".", os.sep) for p in data_packages} >= folders
    assert all(kw["package_data"][p] == ["*"] for p in data_packages)
    assert "helpers" in kw["packages"] and "helpers.widgets" in kw["packages"]


def test_every_course_notebook_is_stored_clean():
    """nbstripout --verify (the check `make test` runs) finds nothing to strip in notebooks/."""
    notebooks = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
    assert len(notebooks) >= 7
    done = subprocess.run([sys.executable, "-m", "nbstripout", "--keep-id", "--verify", *notebooks],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"notebooks stored with outputs (run `make clean-notebooks`): {done.stdout}"
