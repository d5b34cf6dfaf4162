"""Stream processing: the pure uptime engine and the Faust application around it."""
