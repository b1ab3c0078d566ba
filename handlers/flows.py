"""Import every flow and keyword module so that they register themselves."""

from handlers import chat, mydata, onboarding, opinion, plan  # noqa: F401  # noqa: F401

chat.install_placeholders()
