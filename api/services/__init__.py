"""What the routes call: answers that span the worker group, and the reports' life cycle."""
