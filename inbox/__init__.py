"""The self-filling communication log: read a freelancer's mail (IMAP, read-only) and the mail
forwarded to their private logging address (SMTP/LMTP), and turn each message into what an
interaction needs.

Pure modules, no Django models yet:

- :mod:`inbox.message`: one raw message -> :class:`~inbox.message.ParsedMessage`.
- :mod:`inbox.tone`: a tone suggestion (positive, neutral, tense, hostile) for a message's text.
- :mod:`inbox.imap`: a read-only IMAP reader with incremental, bounded fetching.
- :mod:`inbox.receiver`: the SMTP/LMTP server core of the forwarding address.
"""
