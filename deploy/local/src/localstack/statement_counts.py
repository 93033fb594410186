"""SQL statements per purchase, by service and by the work they were sent for, read from each
service's `/metrics` (`db_statements_total`, servicekit/statements.py) before and after a run."""

from collections import defaultdict
from collections.abc import Mapping, Sequence

import httpx
from prometheus_client.parser import text_string_to_metric_families

Counts = dict[tuple[str, str], float]

# Works that send less than this many statements per purchase are summed as "the rest".
SHOWN_FROM = 0.5


async def sample(services: Mapping[str, str | Sequence[str]]) -> Counts:
    """Each service's counts, by work; a service run as several replicas (a list of URLs, each
    replica serving its own /metrics) counts the sum of them."""
    counts: Counts = defaultdict(float)
    async with httpx.AsyncClient(timeout=10) as client:
        for name, urls in services.items():
            for url in [urls] if isinstance(urls, str) else urls:
                try:
                    text = (await client.get(f"{url}/metrics")).raise_for_status().text
                except httpx.HTTPError:
                    continue  # a replica away: its share shows nothing rather than the bench failing
                for family in text_string_to_metric_families(text):
                    if family.name != "db_statements":
                        continue
                    for metric in family.samples:
                        if metric.name == "db_statements_total":
                            counts[(name, metric.labels["work"])] += metric.value
    return dict(counts)


def table(before: Counts, after: Counts, purchases: int) -> list[str]:
    """Statements per completed purchase: each service's total, then its works from the largest."""
    if not purchases:
        return ["  no purchase completed"]
    per: dict[str, dict[str, float]] = defaultdict(dict)
    for (service, work), value in after.items():
        spent = value - before.get((service, work), 0.0)
        if spent > 0:
            per[service][work] = spent / purchases
    lines = [f"  {'service':14s} {'per purchase':>12s}   by work (≥ {SHOWN_FROM:g} each)"]
    for service in sorted(per, key=lambda s: -sum(per[s].values())):
        works = sorted(per[service].items(), key=lambda item: -item[1])
        shown = [f"{work} {n:.1f}" for work, n in works if n >= SHOWN_FROM]
        rest = sum(n for _, n in works if n < SHOWN_FROM)
        if rest:
            shown.append(f"the rest {rest:.1f}")
        lines.append(f"  {service:14s} {sum(per[service].values()):12.1f}   {'; '.join(shown)}")
    lines.append(f"  {'all':14s} {sum(sum(w.values()) for w in per.values()):12.1f}")
    return lines


def per_purchase(before: Counts, after: Counts, purchases: int) -> dict[str, dict[str, float]]:
    """The same figures for the bench's JSON result."""
    result: dict[str, dict[str, float]] = defaultdict(dict)
    for (service, work), value in after.items():
        spent = value - before.get((service, work), 0.0)
        if spent > 0 and purchases:
            result[service][work] = round(spent / purchases, 2)
    return dict(result)
