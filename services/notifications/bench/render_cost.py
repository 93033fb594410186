"""CPU per letter for putting it into words and for composing its message, over every kind and locale.

    python services/notifications/bench/render_cost.py [--rounds 5] [--profile render.pstats]

The letters are bench/letter_cases.py's (6 kinds × 7 locales × 8 cases). After one warm-up pass
(templates compiled, catalogs and locale data loaded once per process, as in a running service),
each round renders every letter (`rendering.render`: subject, text and HTML) and then composes
each rendered one as the sender does (`SmtpMailer.compose`, 8bit, then DATA's dot-stuffing), each
timed on the CPU clock (time.process_time). Prints µs per letter for both, per round and the best
and the median. `--profile FILE` writes a cProfile of one more round of both (its shares matter,
not its seconds).
"""

import argparse
import cProfile
import importlib.util
import statistics
import time
from pathlib import Path

from notifications.adapters.smtp import SmtpMailer, _dot_stuffed
from notifications.rendering import render

_spec = importlib.util.spec_from_file_location("letter_cases", Path(__file__).with_name("letter_cases.py"))
assert _spec is not None and _spec.loader is not None
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile")
    args = parser.parse_args()
    letters = [letter for _, letter in cases.letters()]
    mailer = SmtpMailer(host="mail", port=25, sender="Online school <no-reply@school.example>")

    def render_all() -> list:
        return [cases.outgoing(letter, render(letter)) for letter in letters]

    def compose_all(emails: list) -> None:
        for email in emails:
            _dot_stuffed(mailer.compose(email, eight_bit=True))

    emails = render_all()
    compose_all(emails)
    rendering: list[float] = []
    composing: list[float] = []
    for _ in range(args.rounds):
        start = time.process_time()
        emails = render_all()
        rendering.append((time.process_time() - start) / len(letters) * 1e6)
        start = time.process_time()
        compose_all(emails)
        composing.append((time.process_time() - start) / len(letters) * 1e6)
    print(f"{len(letters)} letters a round, {args.rounds} rounds; µs of CPU per letter")
    for name, figures in (("rendering", rendering), ("composing", composing)):
        print(f"  {name}: best {min(figures):.0f}, median {statistics.median(figures):.0f}, "
              f"rounds {' '.join(f'{f:.0f}' for f in figures)}")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        compose_all(render_all())
        profiler.disable()
        profiler.dump_stats(args.profile)
        print(f"profile written to {args.profile}")


if __name__ == "__main__":
    main()
