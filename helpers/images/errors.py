"""The error every image problem raises, and how a list's position is added to its message.

:class:`ImageLoadError` (a ``ValueError``) is raised by all of :mod:`helpers.images`; the loaders of
lists (``load_images``, ``to_batch``) prepend ``sources[i]:`` / ``images[i]:`` to a message with
``_prefix_errors``. Used through :mod:`helpers.images` (notebooks 00, 01, 04).
"""
from __future__ import annotations

__all__ = ["ImageLoadError"]


class ImageLoadError(ValueError):
    """An image (file, PIL image or array) could not be turned into an image.

    Subclasses ``ValueError``; the message names the input, the problem and
    what to do about it.
    """


def _short_repr(x, limit=60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _prefix_errors:
    """Context manager: prepend where in a list an error happened."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not isinstance(exc, (ImageLoadError, TypeError, OSError)):
            return False
        try:
            new = type(exc)(f"{self.prefix}: {exc}")
        except Exception:
            return False
        raise new from exc
