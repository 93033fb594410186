"""Which address the public rate limit counts: the visitor's, not a proxy's, and not a forged one."""

import pytest
from gateway.ratelimit import client_address, parse_networks

INGRESS = parse_networks("10.0.0.0/8, 127.0.0.1")


@pytest.mark.parametrize(
    "peer, forwarded, trusted, expected",
    [
        ("203.0.113.7", None, (), "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", (), "203.0.113.7"),  # nobody trusted: the header is ignored
        ("10.1.2.3", "198.51.100.1", INGRESS, "198.51.100.1"),
        ("10.1.2.3", "1.2.3.4, 198.51.100.1", INGRESS, "198.51.100.1"),  # the visitor wrote 1.2.3.4 themself
        ("10.1.2.3", "198.51.100.1, 10.9.9.9", INGRESS, "198.51.100.1"),  # two hops of our own proxies
        ("203.0.113.7", "198.51.100.1", INGRESS, "203.0.113.7"),  # an untrusted peer cannot forward
        ("10.1.2.3", "garbage, 10.9.9.9", INGRESS, "garbage"),
        ("10.1.2.3", None, INGRESS, "10.1.2.3"),
        (None, None, (), "unknown"),
    ],
)
def test_client_address(peer, forwarded, trusted, expected):
    assert client_address(peer, forwarded, trusted) == expected


def test_bad_network_spec_is_refused_at_startup():
    with pytest.raises(ValueError):
        parse_networks("10.0.0.0/33")
