"""ALBERT for Chinese (Google's albert_*_zh, brightmart's albert_zh): config, encoder, names."""
