"""The course's sample photos in ``data/images`` (cat, coffee, astronaut, rocket).

Used by notebooks 00_start_here, 01_vgg16_activations, 04_gradcam and the model cards
(``helpers.models``); :func:`_sample_hint` is the pointer to them that a missing-file message gives.
"""
from __future__ import annotations

import os

from .. import DATA_DIR

__all__ = ["SAMPLE_IMAGES_DIR", "sample_image_paths"]

SAMPLE_IMAGES_DIR = os.path.join(DATA_DIR, "images")

# name -> file in data/images (sources and licences in data/LICENSES)
_SAMPLE_FILES = {
    "cat": "chelsea.png",
    "coffee": "coffee.png",
    "astronaut": "astronaut.png",
    "rocket": "rocket.jpg",
}


def sample_image_paths() -> dict[str, str]:
    """The course's sample photos.

    Returns:
        dict name -> absolute path (str) of the files in ``data/images``:
        ``"cat"`` (chelsea.png), ``"coffee"``, ``"astronaut"``, ``"rocket"``.
        Sources and licences are in ``data/LICENSES``.

    Raises:
        FileNotFoundError: if a sample file is missing from the repository.

    Used by 00_start_here, 01_vgg16_activations, 04_gradcam and the model
    card (``helpers.models``).
    """
    paths = {}
    for name, filename in _SAMPLE_FILES.items():
        path = os.path.join(SAMPLE_IMAGES_DIR, filename)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"Sample image {name!r} is missing: {path} does not exist. The "
                f"repository's data/images folder is incomplete; restore it "
                f"with `git checkout -- data/images` from the repository root."
            )
        paths[name] = path
    return paths


def _sample_hint() -> str:
    names = ", ".join(sorted(_SAMPLE_FILES.values()))
    return (
        f"The course's sample images are in {SAMPLE_IMAGES_DIR} ({names}); "
        f"helpers.images.sample_image_paths() gives their full paths."
    )
