"""gosc.formats.specxml: the ConfigRoot shape, read hardened and written as vCenter lays it out."""

from __future__ import annotations

import pytest

from gosc.formats import specxml
from gosc.formats.specxml import SpecXmlError, XmlArray, XmlObject


def test_text_round_trips_exactly() -> None:
    script = '\n#!/bin/sh\r\necho "a & b" <in >out\n\t  \n'
    tree = XmlObject("vim.X", {"scriptText": script, "empty": "", "list": XmlArray("string[]", ["", " x "])})
    text = specxml.render(tree)
    assert "<empty/>" in text and '<e id="0"/>' in text
    assert specxml.parse(text) == tree


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        (
            "<ConfigRoot><_type>t</_type><a><_length>2</_length><_type>s[]</_type><e id='0'>x</e></a></ConfigRoot>",
            "ConfigRoot.a: _length is 2 but 1 element(s) follow",
        ),
        (
            "<ConfigRoot><_type>t</_type><a><_length>1</_length><_type>s[]</_type><e id='1'>x</e></a></ConfigRoot>",
            "element 0 has id '1'",
        ),
        ("<ConfigRoot><_type>t</_type><a>text<b>1</b></a></ConfigRoot>", "ConfigRoot.a: text mixed with elements"),
        ("<ConfigRoot><_type>t</_type><a>1</a><a>2</a></ConfigRoot>", "ConfigRoot.a: unexpected or repeated"),
        ('<!DOCTYPE ConfigRoot SYSTEM "http://example.com/x.dtd"><ConfigRoot/>', "DOCTYPE"),
        ("<ConfigRoot><_type>t</_type><a>&xxe;</a></ConfigRoot>", "not well-formed XML: undefined entity"),
    ],
)
def test_malformed_documents_say_where(doc: str, says: str) -> None:
    with pytest.raises(SpecXmlError) as e:
        specxml.parse(doc)
    assert says in str(e.value)


def test_limits() -> None:
    with pytest.raises(SpecXmlError, match="larger than"):
        specxml.parse("<ConfigRoot>" + " " * specxml.MAX_BYTES + "</ConfigRoot>")
    many = "<ConfigRoot><_type>t</_type><a><_length>0</_length><_type>s[]</_type>" + "<e>x</e>" * specxml.MAX_ELEMENTS
    with pytest.raises(SpecXmlError, match="too many elements"):
        specxml.parse(many + "</a></ConfigRoot>")
