"""Pretraining data: masked-LM, span-corruption and gap-sentence records in Google's TFRecord
schema, made in one process (Google-exact or per file) or as an Apache Beam pipeline.
"""
