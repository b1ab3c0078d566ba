"""Import every flow and keyword module so that they register themselves."""

from handlers import chat, onboarding  # noqa: F401

chat.install_placeholders()
