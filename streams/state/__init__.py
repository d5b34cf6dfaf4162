"""Per-store state: the RocksDB tables, their changelog records, and the profiles decoded from them."""
