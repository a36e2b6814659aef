"""ipywidgets explorers, one submodule per topic (activations, filters, deepvis, cam, rnn)."""
