"""The self-filling communication log: read a freelancer's mail (IMAP, read-only) and the mail
forwarded to their private logging address (SMTP/LMTP), and log each message with a client as
an interaction, without typing.

- :mod:`inbox.message`: one raw message -> :class:`~inbox.message.ParsedMessage` (pure).
- :mod:`inbox.tone`: a tone suggestion (positive, neutral, tense, hostile) for a text (pure).
- :mod:`inbox.imap`: a read-only IMAP reader with incremental, bounded fetching.
- :mod:`inbox.receiver`: the SMTP/LMTP server core of the forwarding address.
- :mod:`inbox.matching`: whose a message is (a freelancer's address book).
- :mod:`inbox.pipeline`: messages to MailMessage rows and interactions, once each.
- :mod:`inbox.sync`: the sync of one mailbox; :mod:`inbox.tasks`, ``manage.py sync_mail``.
- :mod:`inbox.forwarding`: the forwarding address and .eml uploads; ``manage.py receive_mail``.
- :mod:`inbox.senders`: "Who is this?"; :mod:`inbox.notices`: telling about a failing mailbox.
- :mod:`inbox.dovecot`: a throw-away local Dovecot for the tests and ``manage.py bench_mail``.
"""
