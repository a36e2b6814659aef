"""Can we trust the map?  Sanity checks and faithfulness of class activation maps.

Used by notebook 04_gradcam ("Can we trust the map?") and ``tools/trust_table.py``.

A map that *locates* the object (pointing game, box IoU: ``helpers.cam``) has
not yet been shown to *explain the network*: on single-object images an edge
detector points at the object too.  Two measurements of a different kind (and
ROAD, a variant of the second):

* **Model-parameter randomisation test** (Adebayo et al. 2018, "Sanity Checks
  for Saliency Maps", cascading version).  Re-initialise the weights from the
  top layer down, one stage at a time, and compare each method's maps on the
  randomised network with its maps on the trained one (Spearman rank
  correlation, SSIM).  A map that explains the network must change when the
  network's weights are destroyed; a map that barely changes shows the image,
  not the network.
* **Deletion and insertion** (Petsiuk et al. 2018, "RISE", section 4.1).
  Remove pixels in the order the map ranks them (most important first) and
  follow the class probability: a faithful map makes it fall fast (low
  deletion AUC).  Or start from a blurred image and insert the pixels in that
  order: the probability should rise fast (high insertion AUC).  A random
  order is the baseline every method must beat.
* **ROAD** (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy
  for Attribution Methods").  Removed pixels set to one grey make the image
  unlike any training image: scattered grey pixels can hurt the network more
  than the object's removal.  ROAD fills them by *noisy linear imputation*
  (:func:`linear_imputation`, ``deletion_insertion(..., fill="linear")``) and
  deletes in both orders: most relevant first (MoRF, our "deletion") and
  least relevant first (LeRF: a faithful map keeps the probability high).

All maps are compared at image resolution: a Grad-CAM-type map is upsampled
bilinearly (as it is shown), a guided map is :func:`helpers.cam.saliency_heatmap`
(max |gradient| over the colour channels).

The package, one module per idea: :mod:`.maps` (the maps compared, one per
image), :mod:`.similarity` (rank correlation, SSIM), :mod:`.randomization`
(the cascading randomisation test), :mod:`.imputation` (ROAD's noisy linear
imputation), :mod:`.deletion` (deletion / insertion / LeRF curves, AUC),
:mod:`.table` (the trust table) and :mod:`.plot`.
"""
from __future__ import annotations

from .deletion import FILLS, curve_auc, deletion_insertion, pixel_order
from .imputation import linear_imputation
from .maps import TRUST_METHODS, explanation_maps
from .plot import plot_curves, plot_randomization
from .randomization import cascade_stages, randomization_test, randomize_layers, randomized_copy
from .similarity import rank_correlation, ssim
from .table import format_trust_table, trust_table

__all__ = [
    "TRUST_METHODS",
    "rank_correlation",
    "ssim",
    "explanation_maps",
    "cascade_stages",
    "randomize_layers",
    "randomized_copy",
    "randomization_test",
    "pixel_order",
    "FILLS",
    "linear_imputation",
    "deletion_insertion",
    "curve_auc",
    "trust_table",
    "format_trust_table",
    "plot_randomization",
    "plot_curves",
]
