"""Chinese Pegasus (UER): a pre-LN encoder-decoder on keras-hub layers, HF weight names."""
