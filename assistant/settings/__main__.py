"""``python -m assistant.settings`` prints the README's settings table."""

from assistant.settings import settings_table

print(settings_table())
