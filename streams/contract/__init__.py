"""The topic contract other producers follow, as JSON Schema files shipped with the package."""
