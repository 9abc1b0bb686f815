"""The VI/JSON path parses kept per raw path (server/vijson.py ``_Paths``): the same
answer as parsing afresh, and bounded in number and length whatever a client sends."""

from __future__ import annotations

from gosc.server.vijson import _Paths, path_segments

PATHS = [
    b"/sdk/vim25/9.0.0.0/ServiceInstance/ServiceInstance/serverClock",
    b"/sdk/vim25/9.0.0.0/Task/task-12/info",
    b"/sdk/vim25/9.0.0.0/Folder/group%2Fd1/childEntity",  # one segment, decoded after the split
    b"/sdk/vim25/9.0.0.0/Folder",
    b"/sdk/vim25/",
    b"/sdk/vim25",
    b"/sdk/vim25/9.0.0.0/a/b/c/d/e",
]


def test_a_kept_parse_is_the_parse() -> None:
    paths = _Paths()
    for raw in PATHS:
        first, again = paths.segments(raw), paths.segments(raw)
        assert first == again == path_segments(raw)
    assert paths.segments(PATHS[2])["moid"] == "group/d1"


def test_what_is_kept_stays_bounded() -> None:
    paths = _Paths()
    for n in range(_Paths.BOUND * 2 + 7):
        raw = b"/sdk/vim25/9.0.0.0/Task/task-%d/info" % n
        assert paths.segments(raw)["moid"] == f"task-{n}"
        assert len(paths._kept) <= _Paths.BOUND
    long = b"/sdk/vim25/9.0.0.0/Task/" + b"x" * _Paths.LONGEST + b"/info"
    before = len(paths._kept)
    assert paths.segments(long) == path_segments(long)
    assert long not in paths._kept and len(paths._kept) == before
