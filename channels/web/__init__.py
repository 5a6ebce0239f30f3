"""The web channel: the JSON API and the citizen chat page."""
