"""clue-tf: Chinese pretrained language models for TensorFlow 2 and Keras 3.

Importing the package is cheap; TensorFlow is imported by the modules that need it. Its C++
start-up notices (CUDA probes, a failed cuInit on a machine without a GPU, oneDNN) are hidden
unless TF_CPP_MIN_LOG_LEVEL is set (0 shows them) or TensorFlow was imported first.
"""

import os as _os
import sys as _sys

if "tensorflow" not in _sys.modules:
    _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.8.0"
