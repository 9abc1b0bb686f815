"""crypt(3) hashes against OpenSSL and Drepper's published vectors; shadow helpers."""

from __future__ import annotations

import subprocess

import pytest

from gosc.guest import shadow
from gosc.guest.skeletons import FAMILIES, copy_skeleton

CASES = [("VMware1!", "abcdefgh"), ("pässwörd ünïcode", "0123456789abcdef"),
         ("x" * 100, "longsaltlongsaltlong"), ("with:colon and space", "a.b/c")]


def openssl(*args: str) -> str:
    """openssl passwd, the password (last argument) fed on stdin so "" works too."""
    *opts, pw = args
    return subprocess.run(["openssl", "passwd", *opts, "-stdin"], input=pw + "\n", capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.mark.parametrize("pw, salt", CASES)
def test_sha512_matches_openssl(pw, salt):
    assert shadow.hash_password(pw, salt) == openssl("-6", "-salt", salt, pw)


@pytest.mark.parametrize("pw, salt", CASES)
def test_sha256_matches_openssl(pw, salt):
    assert shadow.sha_crypt(pw, salt, algo="sha256") == openssl("-5", "-salt", salt, pw)


@pytest.mark.parametrize("pw, salt", [("VMware1!", "ab12"), ("long" * 10, "12345678")])
def test_md5_matches_openssl(pw, salt):
    assert shadow.md5_crypt(pw, salt) == openssl("-1", "-salt", salt, pw)


def test_empty_password_matches_glibc():
    """OpenSSL 3 refuses empty passwords; glibc's crypt (system Python 3.11) does not."""
    code = "import crypt,sys; print(crypt.crypt('', '$6$s'), crypt.crypt('', '$5$s'), crypt.crypt('', '$1$x'))"
    out = subprocess.run(["/usr/bin/python3", "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [shadow.sha_crypt("", "s"), shadow.sha_crypt("", "s", algo="sha256"),
                                  shadow.md5_crypt("", "x")]


def test_drepper_vectors_with_rounds():
    assert shadow.sha_crypt("Hello world!", "saltstringsaltstring", rounds=10000) == (
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/"
        "YTBmSK6H9qs/y3RnOaw5v.")
    assert shadow.sha_crypt("Hello world!", "saltstring") == (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")
    assert shadow.sha_crypt("Hello world!", "saltstringsaltstring", algo="sha256", rounds=10000) == (
        "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA")
    # rounds below the minimum are raised to 1000 and written out
    assert shadow.sha_crypt("x", "s", rounds=10).startswith("$6$rounds=1000$s$")


def test_verify():
    for h in (openssl("-6", "VMware1!"), openssl("-5", "VMware1!"), openssl("-1", "VMware1!"),
              shadow.sha_crypt("VMware1!", "rrr", rounds=2000)):
        assert shadow.verify("VMware1!", h)
        assert not shadow.verify("VMware1?", h)
    ok, why = shadow.check("x", "$y$j9T$abc$def")
    assert not ok and "yescrypt" in why
    assert shadow.check("x", "!$6$a$b") == (False, "account is locked or has no usable password")
    assert not shadow.verify("x", "")
    assert not shadow.verify("x", "$6$rounds=abc$salt$hash")


def test_random_salt_differs():
    a, b = shadow.hash_password("pw"), shadow.hash_password("pw")
    assert a != b and shadow.verify("pw", a) and shadow.verify("pw", b)


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
