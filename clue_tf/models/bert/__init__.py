"""BERT (Google's Chinese BERT, CLUE's RoBERTa, UER's miniatures): config, encoder, heads, names."""
