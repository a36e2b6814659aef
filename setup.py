"""Only what pyproject.toml cannot say: the folder data/ is installed as helpers/data/.

A wheel of the course carries its data (models, photos, class index, gallery,
licences): `helpers.DATA_DIR` finds it there through importlib.resources, and
in a checkout finds data/ itself. Everything else is in pyproject.toml.
"""
import os

from setuptools import find_packages, setup

# data/ and each folder under it, as packages of data files (no Python in them).
DATA_PACKAGES = {"helpers.data" + "".join("." + part for part in os.path.relpath(folder, "data").split(os.sep)
                                          if part != "."): folder
                 for folder, _, _ in os.walk("data") if "__pycache__" not in folder}

setup(
    packages=find_packages(include=["helpers", "helpers.*"]) + sorted(DATA_PACKAGES),
    package_dir={"helpers.data": "data"},
    package_data={name: ["*"] for name in DATA_PACKAGES},
)
