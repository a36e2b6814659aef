"""Drawing helpers shared by the notebooks: channel grids, picture grids, kernel patches, sequence shapes.

The package, one module per idea:

* :mod:`.channels`: one feature map's channels as tiles, each min-max scaled
  on its own (a constant / dead channel is a blank grey tile, never NaN),
  built as one RGB mosaic: :func:`channel_grid`, :func:`activation_grids`,
  :func:`channel_figure`, :func:`channel_mosaic`, :func:`mosaic` (notebook 01,
  the activation explorer);
* :mod:`.pictures`: 0..255 RGB pictures: :func:`to_uint8`, :func:`image_grid`,
  :func:`kernel_tiles`, :func:`png_bytes`, :func:`pattern_examples_figure`
  (notebooks 02, 03, 04, the widgets);
* :mod:`.sequences`: the lecture's five input/output shapes, drawn with a
  concrete example each: :func:`sequence_shapes_figure` (notebook 05).

Every public name is importable from ``helpers.plotting`` itself.
Used by notebooks 01 (activations), 02 (filters), 03 (DeepVis), 04 (Grad-CAM), 05 (the five
sequence shapes) and the widgets.
"""
from __future__ import annotations

from .channels import (BLANK, activation_grids, channel_figure, channel_grid, channel_mosaic, colorize, mosaic,
                       normalize_channels)
from .pictures import image_grid, kernel_tiles, pattern_examples_figure, png_bytes, to_uint8
from .sequences import SEQUENCE_EXAMPLES, sequence_shapes_figure

__all__ = [
    "BLANK",
    "normalize_channels",
    "colorize",
    "mosaic",
    "channel_mosaic",
    "channel_grid",
    "activation_grids",
    "image_grid",
    "kernel_tiles",
    "to_uint8",
    "png_bytes",
    "channel_figure",
    "pattern_examples_figure",
    "SEQUENCE_EXAMPLES",
    "sequence_shapes_figure",
]
