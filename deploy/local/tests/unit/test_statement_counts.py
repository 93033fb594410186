"""The bench's table of SQL statements per purchase."""

from localstack import statement_counts


def test_statements_per_purchase_by_service_and_work_the_small_ones_summed():
    before = {("orders", "event OfferOpened"): 100.0, ("orders", "relay"): 10.0}
    after = {("orders", "event OfferOpened"): 1100.0, ("orders", "relay"): 210.0, ("orders", "worker clock"): 20.0,
             ("payments", "event OrderCreated"): 300.0}
    lines = statement_counts.table(before, after, 100)
    assert lines[1].split()[:2] == ["orders", "12.2"]
    assert "event OfferOpened 10.0; relay 2.0; the rest 0.2" in lines[1]
    assert lines[2].split()[:2] == ["payments", "3.0"]
    assert lines[-1].split() == ["all", "15.2"]
    assert statement_counts.per_purchase(before, after, 100)["orders"] == {
        "event OfferOpened": 10.0, "relay": 2.0, "worker clock": 0.2}


def test_a_run_with_no_purchase_says_so():
    assert statement_counts.table({}, {("orders", "relay"): 5.0}, 0) == ["  no purchase completed"]
