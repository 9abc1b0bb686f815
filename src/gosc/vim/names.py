"""What a string from a client may contain, and how entity names are stored.

Every string gosc keeps may come back in a SOAP answer, so none may hold a character
XML 1.0 cannot carry (one such VM name once made every pyVmomi client's parser fail on
every listing).  Names (entity names, customization spec names) are stricter still: no
control character at all, as they are shown in lists, paths and logs.

Entity names are stored escaped as vCenter stores them: ``/`` as ``%2f``, ``\\`` as
``%5c``, and a ``%`` that does not start one of those escapes (or ``%25``) as ``%25``;
inventory paths are built from the escaped names, so a name never splits a path.
"""

from __future__ import annotations

import re

from .faults import invalid_argument

MAX_NAME = 80  # vCenter's limit on inventory names (characters as given)

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Names: no C0 or C1 control character (TAB, LF, CR and DEL included) either.
_NOT_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ESCAPE = re.compile(r"%(?:2[fF]|5[cC]|25)|[%/\\]")
_ESCAPES = {"%": "%25", "/": "%2f", "\\": "%5c"}


def _describe(match: re.Match[str]) -> str:
    return f"U+{ord(match.group()):04X} at position {match.start()}"


def xml_problem(text: str) -> str | None:
    """Why ``text`` cannot travel in XML 1.0, or None."""
    m = _NOT_XML.search(text)
    return f"the value contains a character XML cannot carry ({_describe(m)})" if m else None


def check_name(name: str | None, path: str, *, max_length: int = MAX_NAME) -> None:
    """``InvalidArgument`` at ``path`` unless ``name`` is 1 to ``max_length`` characters
    with no control character and nothing XML cannot carry."""
    if not name or len(name) > max_length:
        raise invalid_argument(path, f"a name must have 1 to {max_length} characters")
    m = _NOT_IN_NAME.search(name)
    if m:
        raise invalid_argument(path, f"a name must not contain control characters ({_describe(m)})")


def escape(name: str) -> str:
    """The stored form of an entity name (idempotent; escapes come out lower-case, so
    ``a%2Fb``, ``a%2fb`` and ``a/b`` are one name)."""
    return _ESCAPE.sub(lambda m: m.group().lower() if len(m.group()) == 3 else _ESCAPES[m.group()], name)


def entity_name(name: str | None, path: str) -> str:
    """A new entity name from a client: checked, then escaped for storing."""
    check_name(name, path)
    assert name is not None
    return escape(name)
