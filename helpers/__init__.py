"""Helpers for the course notebooks (what convnets learn, why RNNs exist).

Importing the package quietens TensorFlow's start-up log lines (oneDNN, absl)
so that students do not see them in every notebook; set TF_CPP_MIN_LOG_LEVEL
yourself before importing to override.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")

__all__ = ["DATA_DIR"]
