"""Model architectures per family (BERT, ALBERT, T5 v1.1, Pegasus): configs, Keras models, heads,
weight names, family records.
"""
