"""Rasa custom actions: thin adapters that read the tracker, call one ``bot`` service, return events.

The SDK registers every ``Action`` subclass found in this package. ``python -m actions``
starts the bot server (action endpoint + shared encoder + widget) on port 5055.
"""
