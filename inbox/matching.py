"""Whose is this message? A freelancer's address book, and the rule that places a message.

- A message is **outbound** when it comes from one of the freelancer's own addresses, and
  belongs to the client of its first recipient (To, then Cc) who is known.
- It is **inbound** when it comes from a known address: one of a client's contacts
  (case-insensitive) or anyone at one of a client's email domains.
- Otherwise nobody is known and it is not logged (see inbox.pipeline for what is kept).

A contact's own address wins over a domain; when two clients know the same address, the one
added first wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from clients.email_domains import domain_of

Direction = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class Party:
    """A known address: whose client it is, and which contact (None: matched by its domain)."""

    client_id: int
    contact_id: int | None


@dataclass(frozen=True, slots=True)
class Match:
    direction: Direction
    client_id: int
    contact_id: int | None
    address: str  # the client's address that placed it


@dataclass(frozen=True)
class AddressBook:
    """Everything the matching needs for one freelancer, read once per sync run."""

    own: frozenset[str]
    contacts: dict[str, Party]
    domains: dict[str, int]
    ignored: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        own: Iterable[str],
        contacts: Iterable[tuple[str, int, int]],
        domains: Iterable[tuple[str, int]],
        ignored: Iterable[str] = (),
    ) -> AddressBook:
        """From (address, client id, contact id) and (domain, client id) rows, oldest first."""
        by_address: dict[str, Party] = {}
        for address, client_id, contact_id in contacts:
            by_address.setdefault(address.strip().lower(), Party(client_id, contact_id))
        by_domain: dict[str, int] = {}
        for domain, client_id in domains:
            by_domain.setdefault(domain.strip().lower(), client_id)
        return cls(
            own=frozenset(a.strip().lower() for a in own if a.strip()),
            contacts=by_address,
            domains=by_domain,
            ignored=frozenset(a.strip().lower() for a in ignored),
        )

    def is_own(self, address: str) -> bool:
        return address.lower() in self.own

    def party(self, address: str) -> Party | None:
        """The client this address is with, if any (never one of the freelancer's own)."""
        address = address.lower()
        if address in self.own:
            return None
        found = self.contacts.get(address)
        if found is not None:
            return found
        client_id = self.domains.get(domain_of(address))
        return Party(client_id, None) if client_id is not None else None

    def place(self, sender: str | None, recipients: Iterable[str]) -> Match | None:
        """Inbound, outbound or nobody's (None); see the module docstring."""
        if not sender:
            return None
        if self.is_own(sender):
            for address in recipients:
                party = self.party(address)
                if party is not None:
                    return Match("out", party.client_id, party.contact_id, address.lower())
            return None
        party = self.party(sender)
        if party is None:
            return None
        return Match("in", party.client_id, party.contact_id, sender.lower())

    def place_with(self, client_id: int, sender: str | None, recipients: Iterable[str]) -> Match:
        """The message is with `client_id` (an upload on its page): which way, which contact."""
        recipients = list(recipients)
        outbound = bool(sender) and self.is_own(sender or "")
        for address in recipients if outbound else [sender or ""]:
            party = self.party(address)
            if party is not None and party.client_id == client_id:
                return Match("out" if outbound else "in", client_id, party.contact_id, address)
        return Match("out" if outbound else "in", client_id, None, "")
