"""Notifications: tell people through apprise when an incident opens, changes or resolves.

Takes incident files (two versions of each changed one), the config's channels and the sent
log; gives the messages to send and the log lines that make each one go out once. events
(what changed, routing, one message per incident), message (the words), ledger
(data/notified.log), send (apprise, with a deadline per delivery).
"""

from .events import Event, Message, changed, from_key, happened, messages, timed_events
from .message import Text, compose, plain_text
from .send import DEADLINE, Delivery, Outcome, deliver, url_problem

__all__ = [
    "DEADLINE",
    "Delivery",
    "Event",
    "Message",
    "Outcome",
    "Text",
    "changed",
    "compose",
    "deliver",
    "from_key",
    "happened",
    "messages",
    "plain_text",
    "timed_events",
    "url_problem",
]
