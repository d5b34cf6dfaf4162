"""storemon: restaurant store uptime over business hours, computed incrementally from a ping stream."""
