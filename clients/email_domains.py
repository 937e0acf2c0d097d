"""A client's email domains: mail from anyone at one of them belongs to that client.

Free-mail domains are refused: everyone at gmail.com is not one client. The list covers the
big providers and their country variants (yahoo.co.uk, hotmail.fr…); `is_free_mail` also
refuses any domain of a provider family in FREE_MAIL_FAMILIES ("gmx.at", "yandex.kz").
"""

from __future__ import annotations

import re

FREE_MAIL_DOMAINS = frozenset(
    """
    gmail.com googlemail.com outlook.com hotmail.com live.com msn.com passport.com
    yahoo.com ymail.com rocketmail.com icloud.com me.com mac.com aol.com aim.com
    proton.me protonmail.com protonmail.ch pm.me tutanota.com tutanota.de tuta.io tutamail.com
    gmx.de gmx.net gmx.com gmx.at gmx.ch web.de t-online.de freenet.de arcor.de posteo.de
    mailbox.org mail.com email.com zoho.com zohomail.com fastmail.com fastmail.fm hey.com
    yandex.ru yandex.com ya.ru mail.ru inbox.ru list.ru bk.ru rambler.ru qq.com 163.com
    126.com yeah.net sina.com naver.com hanmail.net daum.net rediffmail.com
    orange.fr wanadoo.fr free.fr laposte.net sfr.fr libero.it virgilio.it alice.it tiscali.it
    btinternet.com sky.com virginmedia.com talktalk.net ntlworld.com blueyonder.co.uk
    comcast.net verizon.net att.net sbcglobal.net bellsouth.net cox.net charter.net
    earthlink.net optonline.net shaw.ca rogers.com sympatico.ca telus.net bigpond.com
    optusnet.com.au xtra.co.nz seznam.cz centrum.cz wp.pl onet.pl o2.pl interia.pl
    kpnmail.nl ziggo.nl planet.nl telenet.be skynet.be bluewin.ch hushmail.com
    """.split()  # noqa: SIM905 - a list this long reads better as words
)
#: Providers with a domain per country: "<family>.<tld>" and "<family>.co.<tld>" are free mail.
FREE_MAIL_FAMILIES = frozenset({"yahoo", "hotmail", "outlook", "live", "gmx", "yandex", "aol"})

_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalise(domain: str) -> str:
    """ "@Acme.COM." -> "acme.com"."""
    return domain.strip().lstrip("@").rstrip(".").lower()


def is_free_mail(domain: str) -> bool:
    domain = normalise(domain)
    if domain in FREE_MAIL_DOMAINS:
        return True
    labels = domain.split(".")
    return labels[0] in FREE_MAIL_FAMILIES and len(labels) <= 3


def problem_with(domain: str) -> str | None:
    """Why `domain` cannot be a client's email domain, or None when it can."""
    domain = normalise(domain)
    if "@" in domain:
        return f"“{domain}” is an address: give only what comes after the @."
    if not _DOMAIN.match(domain):
        return f"“{domain}” is not a domain name such as acme.com."
    if is_free_mail(domain):
        return (
            f"{domain} is a free-mail domain shared by many people: add this client's "
            "addresses as contacts instead."
        )
    return None


def domain_of(address: str) -> str:
    """The domain of an email address, lower-cased ("" when there is none)."""
    return address.rpartition("@")[2].strip().lower()
