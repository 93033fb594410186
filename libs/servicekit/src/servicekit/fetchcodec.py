"""A quicker encoding of aiokafka's FetchRequest v11 and decoding of its FetchResponse v11.

A consumer with nothing to read still sends a fetch to the broker every fetch_max_wait (100 ms
on the local stack) naming every partition it reads, and parses the answer, which lists them all
again. aiokafka encodes and decodes both through its generic protocol classes, one method call
and one struct call per field of every partition: for an idle consumer of 156 partitions about
half of its busy time (docs/performance.md). This module does the same work with one
precompiled struct per partition.

It produces exactly what aiokafka's own classes produce: the same bytes for a request, and for an
answer the same FetchResponse_v11 object holding the same lists and tuples of the same values
(tests/unit/test_fetch_codec.py holds both against aiokafka's own, shape by shape). Whatever the
quick path does not expect (a value struct cannot pack, a truncated answer, bytes that are not
UTF-8) is handed to aiokafka's own code, so errors are aiokafka's too.

It is installed by replacing two methods of two aiokafka classes, `FetchRequest_v11.encode` and
`FetchResponse_v11.decode`, process-wide: only for the aiokafka version it was checked against
(another version may lay those classes out differently, and is left alone with a log line), and
only where `<PREFIX>_KAFKA_FETCH_CODEC` is not false (runtime.build_app).
"""

import logging
import struct
from io import BytesIO
from typing import Any

import aiokafka
from aiokafka.protocol.fetch import FetchRequest_v11, FetchResponse_v11

log = logging.getLogger("servicekit.fetchcodec")

# The one aiokafka release whose FetchRequest_v11 and FetchResponse_v11 this mirrors.
VERIFIED_AIOKAFKA = "0.14.0"

# Request: replica_id, max_wait_time, min_bytes, max_bytes, isolation_level (int8), session_id, session_epoch.
_REQUEST_HEAD = struct.Struct(">iiiibii")
# A requested partition: partition, current_leader_epoch, fetch_offset, log_start_offset, max_bytes.
_REQUEST_PARTITION = struct.Struct(">iiqqi")
# Answer: throttle_time_ms, error_code, session_id, then the count of topics.
_RESPONSE_HEAD = struct.Struct(">ihii")
# An answered partition up to its aborted transactions' count: partition, error_code, highwater,
# last_stable_offset, log_start_offset, count.
_RESPONSE_PARTITION = struct.Struct(">ihqqqi")
_ABORTED = struct.Struct(">qq")  # producer_id, first_offset
_REPLICA_AND_SIZE = struct.Struct(">ii")  # preferred_read_replica, the record set's size
_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")
_NULL_ARRAY = _INT32.pack(-1)
_NULL_STRING = _INT16.pack(-1)

_generic_encode = FetchRequest_v11.encode
_generic_decode = FetchResponse_v11.decode.__func__  # type: ignore[attr-defined]


def _string(value: Any) -> bytes:
    # As aiokafka's String("utf-8"): None is length -1, anything else is str() of it.
    if value is None:
        return _NULL_STRING
    encoded = str(value).encode("utf-8")
    return _INT16.pack(len(encoded)) + encoded


def _encode_quickly(request: FetchRequest_v11) -> bytes:
    fields = request.__dict__
    out = [_REQUEST_HEAD.pack(fields["replica_id"], fields["max_wait_time"], fields["min_bytes"],
                              fields["max_bytes"], fields["isolation_level"], fields["session_id"],
                              fields["session_epoch"])]
    topics = fields["topics"]
    if topics is None:
        out.append(_NULL_ARRAY)
    else:
        out.append(_INT32.pack(len(topics)))
        pack = _REQUEST_PARTITION.pack
        for topic, partitions in topics:
            out.append(_string(topic))
            if partitions is None:
                out.append(_NULL_ARRAY)
                continue
            out.append(_INT32.pack(len(partitions)))
            out.extend([pack(*partition) for partition in partitions])
    forgotten = fields["forgotten_topics_data"]
    if forgotten is None:
        out.append(_NULL_ARRAY)
    else:
        out.append(_INT32.pack(len(forgotten)))
        for topic, partitions in forgotten:
            out.append(_string(topic))
            if partitions is None:
                out.append(_NULL_ARRAY)
                continue
            out.append(struct.pack(f">i{len(partitions)}i", len(partitions), *partitions))
    out.append(_string(fields["rack_id"]))
    return b"".join(out)


def encode_request(request: FetchRequest_v11) -> bytes:
    """FetchRequest_v11.encode: the request's bytes, as aiokafka's schema writes them."""
    try:
        return _encode_quickly(request)
    except Exception:  # a value the quick path does not take: aiokafka's own encoding (and error)
        return _generic_encode(request)


class _Short(ValueError):
    """The answer ends before a field it announced."""


def _decode_quickly(raw: bytes, at: int) -> tuple[list[Any], int]:
    end = len(raw)
    throttle, error_code, session_id, topic_count = _RESPONSE_HEAD.unpack_from(raw, at)
    at += _RESPONSE_HEAD.size
    topics: list[Any] | None = None
    if topic_count != -1:
        topics = []
        partition_head, aborted_one, replica_and_size = (_RESPONSE_PARTITION.unpack_from, _ABORTED.unpack_from,
                                                        _REPLICA_AND_SIZE.unpack_from)
        for _ in range(topic_count):
            (length,) = _INT16.unpack_from(raw, at)
            at += 2
            topic = None
            if length >= 0:
                if at + length > end:
                    raise _Short
                topic = raw[at:at + length].decode("utf-8")
                at += length
            (partition_count,) = _INT32.unpack_from(raw, at)
            at += 4
            partitions: list[Any] | None = None
            if partition_count != -1:
                partitions = []
                for _ in range(partition_count):
                    partition, error, highwater, stable, log_start, aborted_count = partition_head(raw, at)
                    at += _RESPONSE_PARTITION.size
                    aborted: list[Any] | None = None
                    if aborted_count != -1:
                        aborted = []
                        for _ in range(aborted_count):
                            aborted.append(aborted_one(raw, at))
                            at += _ABORTED.size
                    replica, size = replica_and_size(raw, at)
                    at += _REPLICA_AND_SIZE.size
                    records = None
                    if size >= 0:
                        if at + size > end:
                            raise _Short
                        records = raw[at:at + size]
                        at += size
                    partitions.append((partition, error, highwater, stable, log_start, aborted, replica, records))
            topics.append((topic, partitions))
    return [throttle, error_code, session_id, topics], at


def decode_response(cls: type[FetchResponse_v11], data: BytesIO | bytes) -> FetchResponse_v11:
    """FetchResponse_v11.decode: the answer read from `data` (left just past it, as aiokafka leaves it)."""
    if isinstance(data, bytes):
        data = BytesIO(data)
    start = data.tell()
    try:
        # A BytesIO made of bytes hands back that same object, no copy.
        fields, at = _decode_quickly(data.getvalue(), start)
    except Exception:  # anything unexpected: aiokafka's own reading, from the start (and its error)
        data.seek(start)
        return _generic_decode(cls, data)
    data.seek(at)
    return cls(*fields)


def installed() -> bool:
    return FetchRequest_v11.__dict__.get("encode") is encode_request


def install() -> bool:
    """Use this codec for every FetchRequest/Response v11 of the process.

    False, changing nothing, where aiokafka is not the version it was checked against."""
    if installed():
        return True
    if aiokafka.__version__ != VERIFIED_AIOKAFKA:
        log.info("aiokafka %s, not %s: its own fetch encoding is kept", aiokafka.__version__, VERIFIED_AIOKAFKA)
        return False
    FetchRequest_v11.encode = encode_request  # type: ignore[method-assign]
    FetchResponse_v11.decode = classmethod(decode_response)  # type: ignore[method-assign, assignment]
    return True


def uninstall() -> None:
    """aiokafka's own encoding again (the tests compare the two): the inherited methods, as before install()."""
    if installed():
        del FetchRequest_v11.encode
        del FetchResponse_v11.decode
