"""crypt(3) through libxcrypt, against OpenSSL, Debian's mkpasswd and Drepper's published
vectors; the scheme a guest already uses; shadow helpers."""

from __future__ import annotations

import subprocess

import pytest

from gosc.guest import shadow
from gosc.guest.shadow import Method
from gosc.guest.skeletons import FAMILIES, copy_skeleton

CASES = [
    ("VMware1!", "abcdefgh"),
    ("pässwörd ünïcode", "0123456789abcdef"),
    ("x" * 100, "longsaltlongsaltlong"),
    ("with:colon and space", "a.b/c"),
]


def openssl(*args: str) -> str:
    """openssl passwd, the password (last argument) fed on stdin so "" works too."""
    *opts, pw = args
    return subprocess.run(
        ["openssl", "passwd", *opts, "-stdin"], input=pw + "\n", capture_output=True, text=True, check=True
    ).stdout.strip()


def mkpasswd(method: str, pw: str) -> str:
    """Debian's mkpasswd (package whois), as a guest's administrator makes a hash."""
    return subprocess.run(
        ["mkpasswd", "-m", method, "-s"], input=pw, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.parametrize("pw, salt", CASES)
def test_sha512_matches_openssl(pw, salt):
    assert shadow.hash_password(pw, salt) == openssl("-6", "-salt", salt, pw)


@pytest.mark.parametrize("pw, salt", CASES)
def test_sha256_matches_openssl(pw, salt):
    assert shadow.hash_password(pw, salt, method=Method.SHA256) == openssl("-5", "-salt", salt, pw)


@pytest.mark.parametrize("pw, salt", [("VMware1!", "ab12"), ("long" * 10, "12345678")])
def test_md5_hashes_from_openssl_verify(pw, salt):
    hashed = openssl("-1", "-salt", salt, pw)
    assert shadow.check(pw, hashed) == (True, "match")
    assert not shadow.verify(pw + "x", hashed)


def test_drepper_vectors_with_rounds():
    assert shadow.hash_password("Hello world!", "saltstringsaltstring", rounds=10000) == (
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/"
        "YTBmSK6H9qs/y3RnOaw5v."
    )
    assert shadow.hash_password("Hello world!", "saltstring") == (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
    )
    assert shadow.hash_password("Hello world!", "saltstringsaltstring", method=Method.SHA256, rounds=10000) == (
        "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"
    )


@pytest.mark.parametrize(
    "method, prefix",
    [
        ("yescrypt", "$y$"),
        ("gost-yescrypt", "$gy$"),
        ("bcrypt", "$2b$"),
        ("sha512crypt", "$6$"),
        ("sha256crypt", "$5$"),
        ("md5crypt", "$1$"),
    ],
)
def test_hashes_a_guest_makes_verify(method, prefix):
    hashed = mkpasswd(method, "VMware1!")
    assert hashed.startswith(prefix)
    assert shadow.check("VMware1!", hashed) == (True, "match")
    assert shadow.check("VMware1?", hashed) == (False, "password does not match")


def test_verify_refuses_what_is_no_password():
    assert shadow.check("x", "!$6$a$b") == (False, "account is locked or has no usable password")
    assert shadow.check("x", "*") == (False, "account is locked or has no usable password")
    assert not shadow.verify("x", "")
    assert not shadow.verify("x", "$6$rounds=abc$salt$hash")
    ok, why = shadow.check("x", "$zz$abc$def")
    assert not ok and "$zz$" in why and "not supported" in why


@pytest.mark.parametrize("method", list(Method))
def test_new_hashes_in_every_scheme_verify_with_the_guests_tools(method):
    hashed = shadow.hash_password("pw-1", method=method)
    assert hashed.startswith(method.value) and shadow.verify("pw-1", hashed)
    # Python's own crypt module (3.11) is a second reader of the same hash.
    code = "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])"
    out = subprocess.run(
        ["/usr/bin/python3", "-W", "ignore", "-c", code, "pw-1", hashed], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"


def test_random_salt_differs():
    a, b = shadow.hash_password("pw"), shadow.hash_password("pw")
    assert a != b and shadow.verify("pw", a) and shadow.verify("pw", b)


def test_method_for_keeps_the_guests_scheme():
    assert shadow.method_for("$y$j9T$abc$def", None) is Method.YESCRYPT
    assert shadow.method_for("!", "ENCRYPT_METHOD YESCRYPT\n") is Method.YESCRYPT
    assert shadow.method_for(None, "# ENCRYPT_METHOD MD5\nENCRYPT_METHOD SHA256\n") is Method.SHA256
    assert shadow.method_for("*", "ENCRYPT_METHOD DES\n") is Method.SHA512
    assert shadow.method_for("$2b$05$abc", None) is Method.BCRYPT


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "windows"])
def test_skeleton_accounts(tmp_path, family):
    root = copy_skeleton(family, tmp_path / "r", [])
    for user, uid in (("root", 0), ("vmuser", 1000)):
        acct = shadow.read_account(root, user)
        assert acct is not None and acct.uid == uid and acct.hash and acct.hash.startswith("$6$")
        assert shadow.verify("VMware1!", acct.hash)
    assert shadow.read_account(root, "nobody-here") is None


def test_set_and_expire(tmp_path):
    root = copy_skeleton("debian", tmp_path / "r", [])
    shadow.set_password(root, "root", "N3w-pass", salt="fixedsalt")
    acct = shadow.read_account(root, "root")
    assert acct and shadow.verify("N3w-pass", acct.hash or "") and acct.last_change == str(shadow.days_since_epoch())
    shadow.expire_password(root, "root")
    assert shadow.read_account(root, "root").last_change == "0"  # type: ignore[union-attr]
    vm = shadow.read_account(root, "vmuser")
    assert vm and shadow.verify("VMware1!", vm.hash or "")  # other lines untouched
    with pytest.raises(KeyError):
        shadow.update_shadow("root:x:1::::::\n", "ghost", last_change=0)
