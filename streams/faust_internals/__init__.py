"""Every crossing into faust-streaming's and aiokafka's internals, and nowhere else in the product.

Both libraries are pinned in ``pyproject.toml``. Every symbol below is pinned by
``tests/streams/faust_internals/test_canaries.py``, which fails on an upgrade that renames it, stops
calling it, or changes what the product relies on. To upgrade, run that module against the new
version, read each failure against the module named here, then move the pins there and in
``pyproject.toml`` together.

``transport`` (the worker's Faust transport: its consumer, fetching thread and producer):
  - faust ``Consumer._new_consumer_thread``, overridden: the consumer fetches through its own thread.
  - faust ``AIOKafkaConsumerThread._fetch_records``, overridden, reading ``Consumer._buffered_partitions``
    and ``Consumer._is_changelog_tp``: only records Faust will deliver are taken (``fetching``).
  - aiokafka ``Fetcher.fetched_records`` reads an empty partition set as every partition: the set
    handed to it is never empty (``fetching``).
  - faust ``Consumer._new_offset``, overridden, reading and trimming ``_acked``, ``_acked_index``,
    ``_gap`` and ``_committed_offset``: commit positions from the set of finished offsets (``commits``).
  - faust ``Producer.send_soon``, ``Producer.flush`` and ``Transport.create_producer``, public but
    relied on to carry the profiles' changelog records and to run before each commit: a commit waits
    for every record sent before it, and for those the states' and history's outboxes sent through
    their own producers (``commits``).
``probe``: aiokafka ``conn.create_conn``, which its clients bootstrap with: a first contact that can
  tell wrong credentials (``SaslAuthenticationFailed``) from an untrusted certificate or nothing
  listening, where aiokafka's clients only log the cause.
``recovery``: faust ``Recovery._recovery_started_at``, ``_active_events_received_at`` and
  ``signal_recovery_start``: a table recovery that stalls is started again.
``storage``: faust's RocksDB ``Store._dbs``, ``_iteritems``, ``partition_path`` and ``offset_key``:
  store reads by partition, raw items for the watermark, database paths for the report processes, and
  the changelog offset each database keeps under ``offset_key``, read at start. ``Store._db_for_partition``
  and ``set_persisted_offset``: the history table's records are written to the partition's database
  as Faust's ``_set`` would, and the states' and history's changelog offsets kept per acknowledged
  batch as ``Collection._on_changelog_sent`` does per record, their records having left through a
  producer of their own.
``streams.state.tables`` overrides faust's public hooks ``Table.on_key_set`` and
  ``Collection.apply_changelog_batch``: the state table writes its own changelog records and folds them
  on recovery. Pinned here too, since Faust must keep calling them.
"""
