#!/usr/bin/env python3
"""hostile-tar.py CASE OUT OUTSIDE: writes a layer tarball that tries to write to
OUTSIDE (a directory of the test's own) by the trick CASE names; images.bats checks
that husk refuses each and writes nothing."""
import io
import sys
import tarfile

case, out, outside = sys.argv[1], sys.argv[2], sys.argv[3]


def add(t, name, kind=tarfile.REGTYPE, data=b"pwned\n", link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    ti.linkname = link
    if kind == tarfile.REGTYPE:
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    else:
        t.addfile(ti)


with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "ok", data=b"fine\n")  # an honest entry first: it must not stay behind
    if case == "absolute":
        add(t, outside + "/pwned")
    elif case == "dotdot":
        add(t, "a/../../../../../../../../.." + outside + "/pwned")
    elif case == "symlink":  # a link out, then a file through it
        add(t, "lnk", tarfile.SYMTYPE, link=outside)
        add(t, "lnk/pwned")
    elif case == "relsymlink":  # a relative link climbing out of the layer
        add(t, "up", tarfile.SYMTYPE, link="../../../../../../../../.." + outside)
    elif case == "hardlink":  # a hard link to a file outside
        add(t, "hl", tarfile.LNKTYPE, link=outside + "/victim")
    elif case == "hardlink-dotdot":
        add(t, "hl", tarfile.LNKTYPE, link="../../../../../../../.." + outside + "/victim")
    elif case == "symlink-then-dir":  # a symlink replaced by a directory mid-archive
        add(t, "d", tarfile.SYMTYPE, link=outside)
        add(t, "d", tarfile.DIRTYPE)
        add(t, "d/pwned")
    else:
        sys.exit("unknown case " + case)
