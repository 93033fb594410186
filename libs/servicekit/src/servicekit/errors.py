"""How a failure is classified decides what happens to the message or request."""


class Rejected(Exception):
    """The message can never succeed (a business rule says no): dead-letter it."""


class NotYet(Exception):
    """A fact this message depends on has not arrived yet: retry later."""
