"""NEZHA: BERT with functional relative positions on keys and values (Huawei's TF1 release)."""
