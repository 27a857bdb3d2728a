"""SavedModel export of the exact serving path: raw text in, labels (given as data) or features out."""
