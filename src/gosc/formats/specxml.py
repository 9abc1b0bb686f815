"""vCenter's customization spec export (``ConfigRoot``), read and written as a plain tree.

``CustomizationSpecManager.CustomizationSpecItemToXml`` writes, and the vSphere Client's
"Export"/"Import" of a customization specification exchange, this document:

    <ConfigRoot>
      <_type>vim.CustomizationSpecItem</_type>
      <info>
        <_type>vim.CustomizationSpecInfo</_type>
        <name>web</name>
        ...
      </info>
      <spec>
        <_type>vim.vm.customization.Specification</_type>
        <nicSettingMap>
          <_length>1</_length>
          <_type>vim.vm.customization.AdapterMapping[]</_type>
          <e id="0">
            <_type>vim.vm.customization.AdapterMapping</_type>
            ...

A data object is an element whose first child is ``_type`` (its vmodl name, dotted) and
whose other children are its set properties; an array holds ``_length``, ``_type`` (the
element type and ``[]``) and one ``e`` per element, ``id`` counting from 0; anything else
is a leaf whose text is the value (``<scriptText/>``: the empty string).

This module knows the shape only, not the types: it imports no vSphere code, so the tree
means nothing until gosc.customization.specxml maps it onto pyVmomi's types.  Reading is
hardened as the SOAP reader is: no DOCTYPE (hence no entities of any kind), a size, depth
and element limit, and every error names where in the document it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn, TypeAlias
from xml.parsers import expat

ROOT = "ConfigRoot"
MAX_BYTES = 4 << 20  # a spec with a 512 KiB script and cloud-init data is far below it
MAX_DEPTH = 32
MAX_ELEMENTS = 100_000


@dataclass
class XmlObject:
    """A data object: its vmodl type (``vim.vm.customization.LinuxPrep``) and properties."""

    type: str
    props: dict[str, Node] = field(default_factory=dict)


@dataclass
class XmlArray:
    """An array: its vmodl type (``string[]``) and its elements."""

    type: str
    items: list[Node] = field(default_factory=list)


Node: TypeAlias = XmlObject | XmlArray | str


class SpecXmlError(ValueError):
    """A document that is not a well-formed ConfigRoot; the message says where."""


@dataclass
class _Element:
    name: str
    path: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)
    children: list[tuple[_Element, Node]] = field(default_factory=list)


def _fail(message: str) -> NoReturn:
    raise SpecXmlError(message)


def _child_path(parent: _Element, name: str, attrs: dict[str, str]) -> str:
    if name == "e" and "id" in attrs:
        return f"{parent.path}[{attrs['id']}]"
    return f"{parent.path}.{name}"


def _node(el: _Element) -> Node:
    """What an element, its children already read, stands for."""
    text = "".join(el.text)
    if not el.children:
        return text
    if text.strip():
        _fail(f"{el.path}: text mixed with elements")
    first, first_node = el.children[0]
    if first.name == "_length":
        return _array(el)
    if first.name != "_type" or not isinstance(first_node, str) or not first_node.strip():
        _fail(f"{el.path}: a data object starts with its _type")
    obj = XmlObject(first_node.strip())
    for child, node in el.children[1:]:
        if child.name in obj.props or child.name.startswith("_") or child.name == "e":
            _fail(f"{child.path}: unexpected or repeated element <{child.name}>")
        obj.props[child.name] = node
    return obj


def _array(el: _Element) -> XmlArray:
    names = [c.name for c, _ in el.children]
    if names[:2] != ["_length", "_type"] or any(n != "e" for n in names[2:]):
        _fail(f"{el.path}: an array holds _length, _type and then <e> elements")
    length, type_ = el.children[0][1], el.children[1][1]
    if not isinstance(length, str) or not length.strip().isdigit():
        _fail(f"{el.path}._length: not a count")
    if not isinstance(type_, str) or not type_.strip().endswith("[]"):
        _fail(f"{el.path}._type: an array type ends in []")
    items = el.children[2:]
    if int(length) != len(items):
        _fail(f"{el.path}: _length is {int(length)} but {len(items)} element(s) follow")
    for i, (child, _) in enumerate(items):
        if child.attrs.get("id") != str(i):
            _fail(f"{el.path}: element {i} has id {child.attrs.get('id')!r}, not '{i}'")
    return XmlArray(type_.strip(), [node for _, node in items])


def parse(data: bytes | str, root_path: str = ROOT) -> XmlObject:
    """The ConfigRoot document as a tree (its root a data object); SpecXmlError if it is
    not one, naming where (``root_path`` names the root, e.g. ``item.spec.identity``).
    Leaf text is kept exactly (a script's leading newline matters)."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        _fail(f"the document is larger than {MAX_BYTES} bytes")
    if not raw.strip():
        _fail("the document is empty")
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse(what: str) -> NoReturn:
        _fail(f"{what} are not allowed in a customization spec document")

    parser.StartDoctypeDeclHandler = lambda *_: refuse("DOCTYPE declarations")
    parser.EntityDeclHandler = lambda *_: refuse("entity declarations")
    parser.UnparsedEntityDeclHandler = lambda *_: refuse("entity declarations")
    parser.ExternalEntityRefHandler = lambda *_: refuse("external entities")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Element] = []
    result: list[Node] = []
    count = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_ELEMENTS or len(stack) >= MAX_DEPTH:
            _fail("the document is nested too deeply or has too many elements")
        if not stack:
            if name != ROOT:
                _fail(f"the root element must be <{ROOT}>, not <{name}>")
            stack.append(_Element(name, root_path, dict(attrs)))
            return
        parent = stack[-1]
        stack.append(_Element(name, _child_path(parent, name, attrs), dict(attrs)))

    def end(name: str) -> None:
        el = stack.pop()
        node = _node(el)
        if stack:
            stack[-1].children.append((el, node))
        else:
            result.append(node)

    def text(value: str) -> None:
        stack[-1].text.append(value)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as e:
        _fail(f"not well-formed XML: {expat.errors.messages.get(e.code, str(e))} at line {e.lineno}, column {e.offset}")
    root = result[0] if result else None
    if not isinstance(root, XmlObject):
        _fail(f"<{ROOT}> must hold a data object (its _type first)")
    return root


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _write(name: str, node: Node, indent: str, out: list[str], attrs: str = "") -> None:
    if isinstance(node, str):
        out.append(f"{indent}<{name}{attrs}>{_escape(node)}</{name}>" if node else f"{indent}<{name}{attrs}/>")
        return
    out.append(f"{indent}<{name}{attrs}>")
    inner = indent + "  "
    if isinstance(node, XmlArray):
        out.append(f"{inner}<_length>{len(node.items)}</_length>")
        out.append(f"{inner}<_type>{_escape(node.type)}</_type>")
        for i, item in enumerate(node.items):
            _write("e", item, inner, out, f' id="{i}"')
    else:
        out.append(f"{inner}<_type>{_escape(node.type)}</_type>")
        for prop, value in node.props.items():
            _write(prop, value, inner, out)
    out.append(f"{indent}</{name}>")


def render(root: XmlObject) -> str:
    """The document for a tree, laid out as vCenter writes it (two-space indent)."""
    out: list[str] = []
    _write(ROOT, root, "", out)
    return "\n".join(out) + "\n"
