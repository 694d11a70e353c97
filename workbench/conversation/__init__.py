"""Follow-up questions: a ``Conversation`` of turns, each changing the current query, and conversation sets.

``session.Conversation`` (ask, undo, history) is what the CLI's ``chat``, the widgets and the chain
evaluation share; ``sets`` reads and checks the YAML format of conversation sets (chains of turns
with golds).
"""
