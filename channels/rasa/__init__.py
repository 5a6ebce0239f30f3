"""Rasa custom actions (rasa-sdk) for agencies that already run a Rasa assistant."""
