"""Every canary of the product's crossings into faust-streaming and aiokafka, in one place.

Each symbol ``streams.faust_internals`` lists is checked here: that the installed library is the one
the crossing was written against, that the symbol is still there, and that the library still calls
what the product overrides (an override nobody calls goes inert silently). An upgrade fails here
first; see ``streams.faust_internals`` for what to do.
"""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version
from typing import Any

import pytest
from aiokafka.client import AIOKafkaClient
from aiokafka.conn import AIOKafkaConnection, create_conn
from aiokafka.consumer.fetcher import Fetcher
from aiokafka.errors import SaslAuthenticationFailed, for_code
from faust.app.base import App
from faust.stores.rocksdb import Store
from faust.tables.base import Collection
from faust.tables.recovery import Recovery
from faust.topics import Topic
from faust.transport.base import Transport
from faust.transport.consumer import Consumer, ThreadDelegateConsumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from mode.utils.collections import ManagedUserDict

from connectors.kafka import KafkaConnection
from tests.conftest import REPO

# The versions every crossing was written and checked against. Moving a pin means moving it here as
# well as in pyproject.toml, after reading every canary below against the new version.
PINNED = {"faust-streaming": "0.15.3", "aiokafka": "0.14.0"}


def source(function: Any) -> str:
    return inspect.getsource(getattr(function, "fun", function))  # a mode ServiceTask wraps its function


@pytest.mark.parametrize("package", sorted(PINNED))
def test_the_installed_library_is_the_one_the_crossings_were_written_for(package: str) -> None:
    assert version(package) == PINNED[package]
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"{package}=={PINNED[package]}" in pins


def test_faust_makes_the_consumer_its_thread_and_the_producer_where_the_transport_overrides_them() -> None:
    assert "self.Consumer(" in source(Transport.create_consumer)
    assert "self.transport.create_producer(" in source(App._new_producer)
    assert "self._thread = self._new_consumer_thread()" in source(ThreadDelegateConsumer.__init__)
    assert "def transport(self, transport: TransportT)" in inspect.getsource(
        App
    )  # the setter create_app uses


def test_faust_still_asks_new_offset_for_each_commit_position() -> None:
    assert "self._new_offset(tp)" in source(Consumer._filter_committable_offsets)
    new_offset = source(Consumer._new_offset)
    for structure in (
        "self._acked[tp]",
        "self._gap[tp]",
        "self._committed_offset[tp]",
        "self._acked_index[tp]",
    ):
        assert structure in new_offset


def test_faust_flushes_its_producer_before_committing_and_sends_changelogs_through_send_soon() -> None:
    commit = source(Consumer._commit_offsets)
    assert commit.index("await self.app.producer.flush()") < commit.index("await self._commit(")
    assert "self.app.producer.send_soon(fut)" in source(Topic.send_soon)
    assert "self.changelog_topic.send_soon(" in source(Collection.send_changelog)


def test_faust_fetches_through_fetch_records_with_its_live_active_set() -> None:
    assert "self._get_active_partitions()" in source(Consumer._wait_next_records)
    delivered = "tp in active_partitions\n                    or tp in self._buffered_partitions"
    assert delivered in source(Consumer.getmany)
    assert "def _is_changelog_tp(" in inspect.getsource(Consumer)
    getmany = source(AIOKafkaConsumerThread.getmany)
    assert "self._fetch_records," in getmany and "active_partitions," in getmany
    assert "fetcher.fetched_records(\n                    active_partitions," in source(
        AIOKafkaConsumerThread._fetch_records
    )
    assert "self.rebalancing = True" in source(App.on_rebalance_start)
    assert "self.rebalancing = False" in source(App.on_rebalance_end)
    completed = source(Recovery.on_recovery_completed)
    resumed = completed.index("consumer.resume_partitions(")
    assert (
        resumed < completed.index("consumer.perform_seek()") < completed.index("self.app.on_rebalance_end()")
    )


def test_aiokafka_still_reads_an_empty_partition_set_as_every_partition() -> None:
    assert "if partitions and tp not in partitions:" in source(Fetcher.fetched_records)


def test_faust_starts_its_recovery_over_when_the_signal_is_set_while_it_waits() -> None:
    assert "signal_recovery_start in wait_result.done" in source(Recovery._wait)
    restart = source(Recovery._restart_recovery)
    assert "except RebalanceAgain" in restart
    assert "wait_for_stopped" in restart and "_seek_offsets" in restart and "resume_partitions" in restart
    recovery = inspect.getsource(Recovery)
    assert "_recovery_started_at: Optional[float]" in recovery
    assert "_active_events_received_at: MutableMapping[TP, float]" in recovery


def test_the_rocksdb_store_keeps_what_storage_reads() -> None:
    store = inspect.getsource(Store)
    assert "_dbs: MutableMapping[int, DB]" in store
    assert "def _iteritems(self)" in store and "def partition_path(self, partition: int)" in store
    assert Store.offset_key == b"__faust\0offset__"
    # The offset a database keeps is the decimal text storage.persisted_offset reads.
    assert "self.offset_key, str(offset).encode()" in source(Store.set_persisted_offset)


def test_the_rocksdb_store_writes_and_keeps_offsets_as_storage_does_for_the_history() -> None:
    # storage.write does what the driver's own write does, in the partition's database...
    assert "db = self._db_for_partition(partition)" in source(Store._set)
    assert "db.put(key, value)" in source(Store._set)
    assert "return self._dbs[partition]" in source(Store._db_for_partition)
    # ...and storage.keep_offset what Faust does once a changelog record is acknowledged.
    sent = source(Collection._on_changelog_sent)
    assert "self.data.set_persisted_offset(res.topic_partition, res.offset)" in sent


def test_faust_still_calls_the_table_hooks_the_state_table_overrides() -> None:
    assert "self.on_key_set(key, value)" in source(ManagedUserDict.__setitem__)
    assert "table.apply_changelog_batch(" in source(Recovery.flush_buffers)
    assert "to_key=" in source(Collection.apply_changelog_batch)


def test_aiokafka_still_bootstraps_with_create_conn_taking_the_security_options_the_probe_passes() -> None:
    parameters = inspect.signature(create_conn).parameters
    probe_passes = {"request_timeout_ms", *KafkaConnection(bootstrap="h:1").security_options()}
    probe_passes |= {"ssl_context", "sasl_mechanism", "sasl_plain_username", "sasl_plain_password"}
    assert probe_passes <= set(parameters)
    assert "await create_conn(" in source(AIOKafkaClient.bootstrap)
    # The broker answers a failed SASL authentication with error 58, which aiokafka raises as this class.
    assert "Errors.for_code(resp.error_code)" in source(AIOKafkaConnection._do_sasl_handshake)
    assert for_code(58) is SaslAuthenticationFailed
