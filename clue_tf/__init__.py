"""clue-tf: Chinese pretrained language models for TensorFlow 2 and Keras 3.

Importing the package is cheap; TensorFlow is imported by the modules that need it.
"""

__version__ = "0.4.0"
