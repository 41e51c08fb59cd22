"""Wufei sandbox: a local Telegram Bot API server with a web chat, for development and tests.

Nothing here talks to Telegram or the internet. See ``sandbox/README.md``.
"""

from .faults import Fault, Faults
from .limits import Limits
from .server import SandboxServer
from .world import Chat, SandboxError, StoredMessage, VirtualUser

__all__ = ["SandboxServer", "Limits", "Faults", "Fault", "VirtualUser", "Chat", "StoredMessage", "SandboxError"]
