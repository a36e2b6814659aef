"""helpers.plotting: channel grids label each tile with its channel index, in the right tile."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from helpers import plotting  # noqa: E402


def test_each_tile_carries_its_channel_index_inside_its_own_tile():
    act = np.random.default_rng(0).uniform(0, 1, (5, 7, 10)).astype(np.float32)   # 5x7 tiles
    fig = plotting.channel_grid(act, channels=[9, 3, 4, 0, 8], ncols=3, title="conv")
    (ax,) = fig.axes
    texts = {t.get_text(): t.get_position() for t in ax.texts}
    assert set(texts) == {"9", "3", "4", "0", "8"}
    # tile i sits at row i // 3, column i % 3 of the mosaic; tiles are 7 wide, 5 high, 1-pixel gaps
    for i, name in enumerate(["9", "3", "4", "0", "8"]):
        r, c = divmod(i, 3)
        x, y = texts[name]
        assert c * 8 - 0.5 <= x < c * 8 + 7 - 0.5 and r * 6 - 0.5 <= y < r * 6 + 5 - 0.5, (name, x, y)
    plt.close(fig)
    fig = plotting.channel_grid(act, ncols=4, labels=False)
    assert len(fig.axes[0].texts) == 0
    plt.close(fig)


def test_activation_grids_title_each_row_with_the_layer_and_label_the_tiles():
    act = np.random.default_rng(1).uniform(0, 1, (2, 4, 4, 6)).astype(np.float32)
    fig = plotting.activation_grids({"block1_conv1": act, "block2_conv1": act[:, :2, :2]}, index=1, max_channels=4)
    assert [ax.get_title(loc="left").split(":")[0] for ax in fig.axes] == ["block1_conv1 4x4x6", "block2_conv1 2x2x6"]
    assert [[t.get_text() for t in ax.texts] for ax in fig.axes] == [["0", "1", "2", "3"]] * 2
    plt.close(fig)
