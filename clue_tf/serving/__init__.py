"""SavedModel export of the exact serving path, and batch prediction from it."""
