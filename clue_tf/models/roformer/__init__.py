"""RoFormer: BERT with rotary positions inside attention (Zhuiyi's chinese_roformer, HF RoFormerModel)."""
