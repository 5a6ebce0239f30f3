"""The brain of Citizen Assistant: the turn pipeline, conversations, settings and CLI."""
