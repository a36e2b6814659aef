"""Writes notebooks/00_start_here.ipynb (run: python tools/build_00_notebook.py)."""
import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = [
    md("""# 00 · Start here

This notebook checks that your set-up works before the lessons begin:

1. the software versions the course was tested with,
2. which model the convnet lessons will use, and why,
3. a first prediction on a sample image,
4. how to get VGG16 (the lecture's model) and how to switch models.

Run the cells one by one with **Shift+Enter**. A cell that ends with `assert` checks a claim: if it
passes, nothing is printed; if something is wrong, you get an `AssertionError` saying what."""),
    code("""import helpers                      # first: it quietens TensorFlow's start-up notices
import sys
import numpy as np
import matplotlib.pyplot as plt
import tensorflow as tf
import keras
from helpers.models import load_model, vgg16_weights_path, ModelUnavailableError

print("Python    ", sys.version.split()[0])
print("TensorFlow", tf.__version__, "| Keras", keras.__version__, "| NumPy", np.__version__)
assert tf.__version__.startswith("2.21") and keras.__version__.startswith("3."), "re-run `make lab`"
"""),
    md("""## Which model?

The lecture uses **VGG16** trained on ImageNet. Its weights (528 MB) are downloaded by Keras the
first time, so they need the internet. Without it, the course uses **ShapesNet**: a small VGG-style
network this course trained itself on pictures of coloured shapes (circle, square, triangle, star,
cross, ring). Both are used the same way: everything a lesson needs comes from the *model card*.

`load_model()` reads the environment variable `COURSE_MODEL` (`auto`, `vgg16` or `shapesnet`; default
`auto` = VGG16 if its weights are here or can be downloaded, else ShapesNet) and prints one line
saying which model it chose and why."""),
    code("""card = load_model()
print("input size     ", card.input_size)
print("classes        ", card.num_classes, "e.g.", card.class_names[:4])
print("last conv layer", card.last_conv_layer)
assert card.name in ("vgg16", "shapesnet")
"""),
    md("""## A first prediction

The card carries a few sample images already at the model's input size (float32 values 0..255).
We predict the first one and print the three most likely classes with their probabilities."""),
    code("""samples = card.sample_images()
name, image = next(iter(samples.items()))
plt.figure(figsize=(3, 3)); plt.imshow(image.astype("uint8")); plt.title(name); plt.axis("off"); plt.show()
for class_id, class_name, p in card.top_k(image, k=3)[0]:
    print(f"{class_name:>20s}  {p:6.1%}   (class {class_id})")
"""),
    md("""The lesson's claim: a trained model recognises the sample. For VGG16 the sample is Chelsea the
cat, so the top class should be one of ImageNet's cats (281 tabby, 282 tiger cat, 285 Egyptian cat);
for ShapesNet each sample shape should be recognised as the shape it is named after."""),
    code("""top1 = card.top_k(image, k=1)[0][0][0]
if card.name == "vgg16":
    assert top1 in (281, 282, 285), card.class_names[top1]
else:
    predicted = [card.top_k(img, k=1)[0][0][1] for img in samples.values()]
    assert predicted == list(samples), predicted
"""),
    md("""## Getting VGG16

If you are online, `load_model("vgg16")` (or `COURSE_MODEL=vgg16`) downloads the weights once into
`~/.keras/models` with a progress bar, and checks the file's hash. On a machine without internet,
copy the file there (or anywhere, then point `COURSE_VGG16_WEIGHTS` at it). The next cell only
*looks* for the file; it never downloads anything."""),
    code("""from helpers.models import VGG16_FILE, VGG16_URL
try:
    print("VGG16 weights found:", vgg16_weights_path(download=False))
except ModelUnavailableError as err:
    print(err)
"""),
    md("""## Switching models

* For one notebook: `card = load_model("shapesnet")` or `load_model("vgg16")` in its first cell.
* For every notebook: start JupyterLab with the variable set, e.g. `COURSE_MODEL=shapesnet make lab`
  (on Windows with conda: `set COURSE_MODEL=shapesnet` before `jupyter lab`).

Next: **01 · VGG16 activations** — what the layers of a convnet compute on an image."""),
]
from exercise_cells import write_notebook  # noqa: E402  (tools/exercise_cells.py)

write_notebook(cells, "00_start_here", exercises=False)
