"""The fetch codec writes and reads exactly what aiokafka's own FetchRequest/Response v11 classes do."""

import random
from io import BytesIO

import aiokafka
import pytest
from aiokafka.protocol.fetch import FetchRequest, FetchRequest_v11, FetchResponse_v11
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from servicekit import fetchcodec


@pytest.fixture(autouse=True)
def generic():
    """Each test starts and ends with aiokafka's own encoding in place."""
    fetchcodec.uninstall()
    yield
    fetchcodec.uninstall()


def generic_encode(request: FetchRequest_v11) -> bytes:
    return FetchRequest_v11.SCHEMA.encode([request.__dict__[name] for name in FetchRequest_v11.SCHEMA.names])


def generic_decode(raw: bytes) -> FetchResponse_v11:
    data = BytesIO(raw)
    return FetchResponse_v11(*[field.decode(data) for field in FetchResponse_v11.SCHEMA.fields])


def topic_names(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(["OrderCreated", "PaymentSucceeded.dlq", "t", "ünïcode-тема", "x" * 200]) + f"-{n}"
            for n in range(count)]


def request_of(rng: random.Random) -> FetchRequest_v11:
    topics = [(name, [(p, rng.choice([-1, 0, 7]), rng.choice([0, 1, rng.randrange(2**62)]), rng.choice([-1, 0, 5]),
                       rng.choice([1048576, 1, 2**31 - 1]))
                      for p in rng.sample(range(200), rng.randrange(0, 40))])
              for name in topic_names(rng, rng.randrange(0, 12))]
    forgotten = [(name, rng.sample(range(100), rng.randrange(0, 9))) for name in topic_names(rng, rng.randrange(0, 4))]
    return FetchRequest_v11(-1, rng.choice([0, 100, 500, 30000]), rng.choice([0, 1, 1024]),
                            rng.choice([52428800, 1, 2**31 - 1]), rng.choice([0, 1]),
                            rng.choice([0, 1, 2**31 - 1, -1]), rng.choice([-1, 0, 1, 42]), topics, forgotten,
                            rng.choice(["", "rack-a", "стійка"]))


@pytest.mark.parametrize("seed", range(300))
def test_a_request_is_the_same_bytes(seed: int):
    request = request_of(random.Random(seed))
    assert fetchcodec.encode_request(request) == generic_encode(request)


def test_requests_the_client_builds_are_the_same_bytes():
    # As the fetcher builds them: FetchRequest(...).build(FetchRequest_v11).
    for rack in ("", "eu-1"):
        for isolation in (0, 1):
            topics = [("OrderCreated", [(0, 17, 1048576), (2, 0, 1048576)]), ("PaymentFailed", [(1, 5, 99)])]
            request = FetchRequest(100, 1, 52428800, isolation, topics, rack_id=rack).build(FetchRequest_v11)
            assert fetchcodec.encode_request(request) == generic_encode(request)


def test_nulls_and_odd_values_are_encoded_as_aiokafka_encodes_them():
    request = FetchRequest_v11(-1, 100, 1, 2, 0, 0, -1, None, None, None)
    assert fetchcodec.encode_request(request) == generic_encode(request)
    request = FetchRequest_v11(-1, 100, 1, 2, 0, 0, -1, [(None, None), ("t", [])], [("f", None), (None, [])], 7)
    assert fetchcodec.encode_request(request) == generic_encode(request)


def test_a_value_struct_cannot_pack_fails_as_aiokafka_fails():
    request = FetchRequest_v11(-1, 100, 1, 2, 0, 0, -1, [("t", [(0, -1, 2**63, -1, 1)])], [], "")
    with pytest.raises(ValueError) as quick:
        fetchcodec.encode_request(request)
    with pytest.raises(ValueError) as generic:
        generic_encode(request)
    assert str(quick.value) == str(generic.value)


def records(rng: random.Random, count: int, size: int) -> bytes:
    if count == 0:
        return b""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=2**30)
    for offset in range(count):
        builder.append(offset, timestamp=1_700_000_000_000 + offset, key=rng.choice([None, b"k", b"order-1"]),
                       value=rng.randbytes(size), headers=[("event_type", b"OrderCreated")])
    return bytes(builder.build())


def response_of(rng: random.Random) -> FetchResponse_v11:
    topics = []
    for name in topic_names(rng, rng.randrange(0, 10)):
        partitions = []
        for p in rng.sample(range(100), rng.randrange(0, 30)):
            error = rng.choice([0, 0, 0, 1, 3, 6])
            transactions = [(rng.randrange(2**40), rng.randrange(2**40)) for _ in range(rng.randrange(1, 5))]
            aborted = rng.choice([None, [], transactions])
            message_set = rng.choice([b"", None, records(rng, rng.randrange(1, 4), rng.choice([0, 10, 5000]))])
            offsets = rng.choice([-1, 0, 12, 2**62]), rng.choice([-1, 0, 12]), rng.choice([-1, 0, 3])
            partitions.append((p, error, *offsets, aborted, rng.choice([-1, 0, 2]), message_set))
        topics.append((name, partitions))
    return FetchResponse_v11(rng.choice([0, 100]), rng.choice([0, 0, 15]), rng.choice([0, 1, 2**31 - 1]), topics)


def same(decoded: FetchResponse_v11, expected: FetchResponse_v11) -> None:
    assert type(decoded) is FetchResponse_v11
    assert decoded == expected
    # The same containers too: the fetcher unpacks tuples and iterates lists.
    for (topic, partitions), (_, expected_partitions) in zip(decoded.topics or [], expected.topics or [], strict=True):
        assert type(topic) is str and type(partitions) is type(expected_partitions)
        for part, expected_part in zip(partitions or [], expected_partitions or [], strict=True):
            assert type(part) is tuple and [type(v) for v in part] == [type(v) for v in expected_part]
            assert part[5] is None or all(type(a) is tuple for a in part[5])


@pytest.mark.parametrize("seed", range(300))
def test_an_answer_is_read_as_aiokafka_reads_it(seed: int):
    raw = response_of(random.Random(seed)).encode()
    expected = generic_decode(raw)
    same(fetchcodec.decode_response(FetchResponse_v11, raw), expected)


def test_an_answer_is_read_from_where_the_header_ended_and_left_just_past_it():
    raw = b"\x00\x00\x00\x07" + response_of(random.Random(1)).encode() + b"trailing"
    quick, generic = BytesIO(raw), BytesIO(raw)
    quick.seek(4), generic.seek(4)
    decoded = fetchcodec.decode_response(FetchResponse_v11, quick)
    expected = FetchResponse_v11.decode(generic)
    same(decoded, expected)
    assert quick.tell() == generic.tell() == len(raw) - len(b"trailing")


def test_large_record_sets_and_many_partitions():
    rng = random.Random(7)
    big = records(rng, 50, 20_000)
    topics = [(f"topic-{t}", [(p, 0, 1000, 1000, 0, None, -1, big if p == 0 else b"") for p in range(60)])
              for t in range(8)]
    raw = FetchResponse_v11(0, 0, 0, topics).encode()
    same(fetchcodec.decode_response(FetchResponse_v11, raw), generic_decode(raw))


@pytest.mark.parametrize("cut", [1, 5, 13, 40, 100, 1000])
def test_a_truncated_answer_fails_as_aiokafka_fails(cut: int):
    raw = response_of(random.Random(3)).encode()
    raw = raw[: max(len(raw) - cut, 0)]
    try:
        expected: object = generic_decode(raw)
    except Exception as exc:
        expected = exc
    try:
        decoded: object = fetchcodec.decode_response(FetchResponse_v11, raw)
    except Exception as exc:
        decoded = exc
    if isinstance(expected, Exception):
        assert type(decoded) is type(expected) and str(decoded) == str(expected)
    else:
        same(decoded, expected)  # type: ignore[arg-type]


def test_installed_only_on_the_verified_aiokafka(monkeypatch: pytest.MonkeyPatch):
    assert aiokafka.__version__ == fetchcodec.VERIFIED_AIOKAFKA
    assert fetchcodec.install() and fetchcodec.installed()
    request = request_of(random.Random(5))
    assert request.encode() == generic_encode(request)
    raw = response_of(random.Random(5)).encode()
    same(FetchResponse_v11.decode(raw), generic_decode(raw))
    fetchcodec.uninstall()
    assert not fetchcodec.installed()
    assert "encode" not in FetchRequest_v11.__dict__ and "decode" not in FetchResponse_v11.__dict__
    monkeypatch.setattr(aiokafka, "__version__", "0.15.0")
    assert not fetchcodec.install() and not fetchcodec.installed()
