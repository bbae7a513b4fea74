"""What Discord refuses, so the local server refuses it too: message, embed and component limits, application
command rules, the interaction deadlines. Each check records its errors in a ``Form``, which answers as Discord
does (400, code 50035 "Invalid Form Body" and the nested ``errors`` object)."""

from sandbox.limits.commands import check_command, check_commands, require_valid_command, require_valid_commands
from sandbox.limits.components import check_components
from sandbox.limits.deadlines import InteractionDeadlines
from sandbox.limits.form import Form, invalid_form_body
from sandbox.limits.messages import check_message, require_valid_message

__all__ = [
    "Form",
    "InteractionDeadlines",
    "check_command",
    "check_commands",
    "check_components",
    "check_message",
    "invalid_form_body",
    "require_valid_command",
    "require_valid_commands",
    "require_valid_message",
]
