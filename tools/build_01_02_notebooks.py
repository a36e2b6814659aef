"""Writes notebooks/01_vgg16_activations.ipynb and notebooks/02_convnet_filters.ipynb.

Run: python tools/build_01_02_notebooks.py   (stores them without outputs)
"""
import nbformat as nbf

from exercise_cells import write_notebook  # tools/exercise_cells.py: exercise section, ids, writing

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell

# --------------------------------------------------------------------- 01 ----

NB01 = [
    md("""# 01 · Intermediate activations: what each layer of a convnet computes

The lecture names three common ways to look inside a trained convnet:

1. **intermediate activations** - the outputs of the layers for one image (this notebook),
2. **the filters** - the input pattern each filter responds to most (notebook 02, and DeepVis in 03),
3. **heatmaps of class activation** - where in the image the evidence for a class is (notebook 04).

A convolution layer with C filters turns its input into C **feature maps** (channels): channel k
says, at every position, how strongly filter k matched there (after the ReLU: 0 = no match). We
look at these maps layer after layer and measure what changes with depth.

The model comes from the *model card* (notebook 00): VGG16 with ImageNet weights when available,
otherwise the course's small ShapesNet (same layer names, `block1_conv1` ... ). Cells that end with
`assert` check what the text just claimed.

*Running time on a 2-core laptop CPU: about 10 s with ShapesNet, about 30 s with VGG16.*"""),
    code("""import numpy as np
import matplotlib.pyplot as plt
import helpers.models
from helpers.activations import (get_activations, conv_layer_names, zero_channels, top_channels,
                                 input_similarity, top_channel_overlap)
from helpers.plotting import image_grid, channel_grid, activation_grids, channel_figure
from helpers.widgets.activations import activation_explorer

np.random.seed(0)
card = helpers.models.load_model()
model = card.model"""),
    md("""## 1. A prediction

The card's sample images are already at the model's input size, with pixel values 0..255. The
card's `top_k` preprocesses them (VGG16: the caffe colour convention; ShapesNet: nothing, the
model rescales inside) and returns the most likely classes."""),
    code("""samples = card.sample_images()
names = list(samples)
images = np.stack([samples[n] for n in names])
image_grid(images, titles=names, ncols=6, tile_inches=1.6)
plt.show()
for name, top in zip(names, card.top_k(images, k=3)):
    print(f"{name:>10s} -> " + ", ".join(f"{c} {p:.0%}" for _, c, p in top))"""),
    md("""The model outputs one probability per class (a softmax), and it recognises the samples: ShapesNet
each shape it is named after, VGG16 the cat as one of ImageNet's cats (281 tabby, 282 tiger cat,
285 Egyptian cat)."""),
    code("""probs = card.predict(images)
assert probs.shape == (len(images), card.num_classes) and np.allclose(probs.sum(axis=1), 1, atol=1e-3)
if card.name == "shapesnet":
    assert [top[0][1] for top in card.top_k(images, k=1)] == names
else:
    assert card.top_k(samples["cat"], k=1)[0][0][0] in (281, 282, 285)"""),
    md("""## 2. All the activations in one forward pass

`get_activations(model, images, layers)` builds **one** Keras model with the same input and one
output per requested layer, and runs it once: asking for 13 layers costs one prediction, not 13.
(It is cached: asking again is free.) Here: every convolution layer, for all sample images."""),
    code("""layers = conv_layer_names(model)
acts = get_activations(model, images, layers, preprocess=card.preprocess)
for name in layers:
    print(f"{name:14s} {acts[name].shape}")"""),
    md("""The shapes tell the first story. With `padding="same"` the first layer keeps the full picture size;
each pooling layer halves the height and width, while the number of channels (filters) grows:
the network trades *where* for *what*."""),
    code("""heights = [acts[name].shape[1] for name in layers]
channels = [acts[name].shape[-1] for name in layers]
assert heights[0] == card.input_size[0]
assert heights == sorted(heights, reverse=True) and channels == sorted(channels)"""),
    md("""## 3. Looking at the channels

Each channel is drawn as a small image, scaled to its own range (dark = weakest, yellow =
strongest response). A channel that is constant - typically **all zero**: its filter found nothing
in this image - has no range to scale and is drawn as a blank light-grey tile. First layer, all
channels, for one image:"""),
    code("""demo = 0   # which sample image: try 1, 2, ...
print("image:", names[demo])
channel_grid(acts[layers[0]][demo], title=layers[0])
plt.show()"""),
    md("""Many first-layer channels look like the picture itself: each filter is a small edge or colour
detector applied everywhere, so the maps show the object's outline, its colour, the background
texture. Now the first 16 channels of the first conv layer of every block, and of the last conv
layer, top to bottom:"""),
    code("""shown = [name for name in layers if name.endswith("_conv1")] + [layers[-1]]
activation_grids({name: acts[name] for name in shown}, index=demo, max_channels=16)
plt.show()"""),
    md("""## 4. What changes with depth - measured

**Early layers keep the picture.** For every layer we enlarge each channel to the image size and
take the best absolute correlation of a channel with the grey-level image (`input_similarity`):
close to 1 means some channel is almost the photo. Deep maps are coarse (8x8 on ShapesNet, 14x14 on
VGG16) and only keep a blob where something important is."""),
    code("""similarity = [np.mean([input_similarity(acts[name][i], images[i]) for i in range(len(images))])
              for name in layers]
plt.figure(figsize=(7, 2.6))
plt.plot(similarity, "o-"); plt.ylim(0, 1); plt.ylabel("best |corr| with input")
plt.xticks(range(len(layers)), layers, rotation=60, fontsize=8); plt.show()
assert similarity[0] > similarity[-1] + 0.15"""),
    md("""**Deep layers are specific.** Which channels fire most? In the first layer the same generic
detectors (edges, colours) are among the 8 most active channels for every image; in the last conv
layer each image has its own. `top_channel_overlap` is the mean overlap (Jaccard) of the top-8
channel sets between pairs of sample images."""),
    code("""overlap = {name: top_channel_overlap(acts[name], k=8) for name in layers}
for name in layers:
    print(f"{name:14s} top-8 overlap between images: {overlap[name]:.2f}")
assert overlap[layers[0]] > overlap[layers[-1]] + 0.2"""),
    md("""**Silent channels.** Deeper filters look for more specific patterns; when the pattern is absent
from the image the whole map stays 0. We count, for every layer, the all-zero channel maps over
the sample images."""),
    code("""silent = {name: int(sum(zero_channels(a).sum() for a in acts[name])) for name in layers}
for name in layers:
    print(f"{name:14s} {silent[name]:4d} all-zero maps  ({len(images)} images x {acts[name].shape[-1]} channels)")
assert silent[layers[-1]] > silent[layers[0]]"""),
    md("""On ShapesNet the middle layers have no silent channels at all and the last conv layer has a few
per image - the deepest filters stand for particular shapes. VGG16 on photos shows the same trend
far more strongly (many blank maps in block 5). In short: the first layers keep almost all the
information of the picture; deeper layers keep less about *how the image looks* and more about
*what is in it*, which is what the classifier on top needs."""),
    md("""## 5. Explore

The explorer lets you pick an image, a layer and a channel: the channel is shown large beside the
input, with the 8 most active channels of the layer. (Widgets need a live Jupyter kernel; the
static figure below shows the same views for the last conv layer.)"""),
    code("""layer = layers[-1]
act = acts[layer][demo]
top = top_channels(act, 8)
channel_figure(images[demo], act, int(top[0]), top=top, title=layer)
plt.show()"""),
    code("""explorer = activation_explorer(model, samples, layers=layers, preprocess=card.preprocess)
explorer"""),
    md("""Things to try: compare the same channel across the sample images; find a channel of the last
layer that fires for one shape only; look at a pooling layer (choose it in the layer list) next to
the conv layer before it.

Next: **02 · Convnet filters** - instead of asking what a filter does on a given image, we build
the image each filter likes best."""),
]

# --------------------------------------------------------------------- 02 ----

NB02 = [
    md("""# 02 · Convnet filters: what each filter responds to

The lecture's second way to look inside a convnet. Its claims:

* the filters of the **first layer** encode simple directional **edges and colours**;
* `block2_conv1` filters encode simple **textures** made of combinations of edges and colours;
* filters in **higher layers** resemble textures found in natural images (feathers, eyes, leaves...):
  they get increasingly complex and refined with depth.

We look at filters two ways: (a) the first layer's weights drawn as pictures, (b) for any layer, the
input image that excites a filter most, found by **gradient ascent**. Both use the course model
(VGG16 if available, else ShapesNet).

*Running time on a 2-core laptop CPU: about 15 s with ShapesNet; about 2.5 minutes with VGG16, most
of it in the cell that computes the patterns of five layers (block5 alone takes about 40 s).*"""),
    code("""import numpy as np
import matplotlib.pyplot as plt
import helpers.models
from helpers.activations import conv_layer_names
from helpers.maximize import (visualize_filters, maximize_filters, deprocess_images,
                              frequency_concentration, high_frequency_energy)
from helpers.plotting import image_grid, kernel_tiles
from helpers.widgets.filters import filter_explorer

np.random.seed(0)
card = helpers.models.load_model()
model = card.model
size = min(card.input_size[0], 128)   # pattern size: VGG16 at 128 px is 3x cheaper than 224"""),
    md("""## (a) The first layer's kernels

A first-layer filter sees 3x3 pixels of 3 colours: 27 weights, which we can draw as a tiny RGB
picture. Each kernel is scaled by its largest absolute weight: mid-grey is weight 0, a bright
colour means "wants this colour here", a dark one "wants it absent". (VGG16 reads its input in
BGR order, so its kernels are flipped to RGB before drawing.) Deeper kernels have 16 to 512 input
channels and cannot be drawn as pictures: for them we need (b)."""),
    code("""first = conv_layer_names(model)[0]
kernels = model.get_layer(first).get_weights()[0]
if card.name == "vgg16":
    kernels = kernels[:, :, ::-1]   # BGR -> RGB
print(first, "kernels:", kernels.shape, "(height, width, colours, filters)")
image_grid(kernel_tiles(kernels), ncols=16, tile_inches=0.55)
plt.show()"""),
    md("""Split every kernel into a **colour** part (its average over the 3x3 positions: a flat colour) and
an **edge** part (the rest: how it changes across the 3x3 window). The edge part carries most of
the weight of most kernels: these are directional edge detectors, many of them coloured."""),
    code("""colour = kernels.mean(axis=(0, 1), keepdims=True)
colour_share = 9 * (colour ** 2).sum(axis=(0, 1, 2)) / (kernels ** 2).sum(axis=(0, 1, 2))
print("edge share per kernel:", np.round(1 - colour_share, 2))
assert kernels.shape[:3] == (3, 3, 3)
assert np.median(1 - colour_share) > 0.5"""),
    md("""## (b) Filter patterns by gradient ascent

For a filter k of a layer we look for the input image x that makes the mean of feature map k as
large as possible:

1. start from a grey image with some noise;
2. compute the gradient of the mean activation of channel k with respect to the pixels;
3. normalise it (so every step has the same size) and take a step uphill;
4. repeat (here 30 steps), then rescale the result to a viewable image.

`visualize_filters` does this for **all requested filters at once**, as one batch in one compiled
TensorFlow step (the classic recipe loops over filters and recompiles for each one; see
`bench/bench_filters.py`). The preset `"filters"` adds two light regularisers: a small Gaussian blur
every 4 steps and random jitter of one pixel, which remove pixel noise without changing the
pattern. A filter that never fires on the start image comes back plain grey, with a warning.

First 16 filters of the first conv layer of every block:"""),
    code("""blocks = [name for name in conv_layer_names(model) if name.endswith("_conv1")]
patterns = {name: visualize_filters(model, name, range(16), steps=30, size=size,
                                    preprocess=card.preprocess, preset="filters")
            for name in blocks}
for name, images in patterns.items():
    image_grid(images, ncols=16, tile_inches=0.8, suptitle=name)
    plt.show()"""),
    md("""Top to bottom the patterns change as the lecture says: the first layer gives flat colours and
fine stripes (an edge detector repeated everywhere), `block2` stripe textures in several
directions and colours, deeper blocks larger and more varied structures (on ShapesNet: pieces of
outlines, corners, dots arranged in patterns).

**Measured:** a *simple* pattern - a flat colour, one stripe - puts nearly all its energy into a few
spatial frequencies; a complex one spreads it. `frequency_concentration` is the share of the
energy held by the strongest 1% of the 2-D Fourier coefficients (median over the 16 filters)."""),
    code("""simple = {name: float(np.median(frequency_concentration(images))) for name, images in patterns.items()}
for name, share in simple.items():
    print(f"{name:14s} energy in the strongest 1% of frequencies: {share:.2f}")
assert simple[blocks[0]] > simple[blocks[-1]] + 0.2"""),
    md("""### What the regularisers do

Plain gradient ascent also rewards pixel-level noise: the network responds a little to it, so it
grows along with the pattern. Same filters with and without the preset, and the pixel-to-pixel
roughness (`high_frequency_energy`: about 1 for white noise, near 0 for smooth images):"""),
    code("""layer = blocks[-2]
plain = visualize_filters(model, layer, range(8), steps=30, size=size, preprocess=card.preprocess)
smooth = visualize_filters(model, layer, range(8), steps=30, size=size, preprocess=card.preprocess,
                           preset="filters")
image_grid(np.concatenate([plain, smooth]), ncols=8, suptitle=f"{layer}: plain (top), blur + jitter (bottom)")
plt.show()
rough = np.median(high_frequency_energy(plain)), np.median(high_frequency_energy(smooth))
print("roughness plain %.2f, regularised %.2f" % rough)
assert rough[1] < 0.7 * rough[0]"""),
    md("""## (c) Explore

How does a pattern emerge? `maximize_filters` returns the raw result (the mean activation at every
step) and can call a function every few steps: here we keep a snapshot every 10 steps of one
`block2` filter."""),
    code("""snapshots = []
result = maximize_filters(model, blocks[1], [0], steps=40, size=size, preprocess=card.preprocess,
                          preset="filters", progress=False,
                          callback=lambda step, x: snapshots.append((step, x[0].copy())))
image_grid(deprocess_images(np.stack([x for _, x in snapshots])), titles=[f"step {s}" for s, _ in snapshots])
plt.show()
print("mean activation: start %.3g, end %.3g" % (result.history[0, 0], result.final[0]))
assert result.final[0] > 2 * result.history[0, 0]"""),
    md("""The explorer: pick a layer, a filter, the number of steps, and switch regularisers on and off
(jitter, L2 decay towards grey, Gaussian blur, total variation, greying the weakest pixels). Each
pattern takes a fraction of a second on ShapesNet, a few seconds on VGG16."""),
    code("""explorer = filter_explorer(model, preprocess=card.preprocess, size=size)
explorer"""),
    md("""Things to try: a filter with 5 steps vs 100 steps; blur on and off on a `block4` filter; the
same filter number in `block3_conv1` and `block3_conv2`.

Next: **03 · DeepVis** - the same engine, aimed at a whole class (*flamingo*, *school bus*) instead
of a single filter."""),
]


if __name__ == "__main__":
    write_notebook(NB01, "01_vgg16_activations")
    write_notebook(NB02, "02_convnet_filters")
