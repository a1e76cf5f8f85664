"""What a stateful model declares (backoffice.states moves it): its machine, and its events'
messages by code, declared once by each app and rendered in the reader's language when an
event is read (an event stores a code and its parameters, never text)."""

from collections.abc import Callable, Mapping

# An event's message: a text with %(name)s placeholders, or a function of the parameters
# (for what must be formatted when read: money, a list of reasons).
Message = str | Callable[[dict], str]
EVENTS: dict[str, Message] = {}


def timeline_events(messages: Mapping[str, Message]) -> None:
    """Declare the messages of an app's event codes (lazy texts: rendered when read)."""
    clash = set(messages) & set(EVENTS)
    if clash:
        raise ValueError(f"timeline event codes declared twice: {sorted(clash)}")
    EVENTS.update(messages)


def render(code: str, params: dict | None = None) -> str:
    """An event's text in the active language: its message with its parameters; a parameter
    that is itself {"code": …, "params": …} (a reason, a check that failed) is rendered too,
    a list of them joined by "; "."""
    params = {key: _rendered(value) for key, value in (params or {}).items()}
    message = EVENTS.get(code)
    if message is None:
        return code
    if callable(message):
        return message(params)
    try:
        return str(message) % params
    except (KeyError, TypeError, ValueError):  # an event of an older version, with other parameters
        return str(message)


def _rendered(value):
    if isinstance(value, dict) and "code" in value:
        return render(value["code"], value.get("params"))
    if isinstance(value, list) and value and all(isinstance(item, dict) and "code" in item for item in value):
        return "; ".join(render(item["code"], item.get("params")) for item in value)
    return value


def choice_label(model, field: str, value: str) -> str:
    """The label of `value` among the choices of `model`'s `field`, in the active language."""
    return str(dict(model._meta.get_field(field).flatchoices).get(value, value))


class StateMachine:
    """A model's allowed moves: {status: {statuses it may become}}, on the field `field`."""

    def __init__(self, transitions: Mapping[str, set], *, field: str = "status"):
        self.transitions = {str(source): frozenset(str(target) for target in targets)
                            for source, targets in transitions.items()}
        self.field = field

    def allows(self, source: str, target: str) -> bool:
        return str(target) in self.transitions.get(str(source), frozenset())

    def next(self, source: str) -> frozenset[str]:
        return self.transitions.get(str(source), frozenset())
