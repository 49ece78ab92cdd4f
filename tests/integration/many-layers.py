#!/usr/bin/env python3
"""many-layers.py N OUT: an OCI image layout archive of N layers, layer i adding
/layers/i (and the first a /bin/busybox taken from BUSYBOX), for images.bats'
test of more lowerdirs than one mount option string holds."""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

n, out = int(sys.argv[1]), sys.argv[2]
busybox = os.environ.get("BUSYBOX", "/bin/busybox")


def layer(i):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        if i == 0:
            t.add(busybox, arcname="bin/busybox")
            for name in ("sh", "ls", "cat"):
                ti = tarfile.TarInfo("bin/" + name)
                ti.type, ti.linkname = tarfile.SYMTYPE, "busybox"
                t.addfile(ti)
        data = b"%d\n" % i
        ti = tarfile.TarInfo("layers/%d" % i)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    gz = gzip.compress(tar, mtime=0)
    return tar, gz


blobs, diff_ids, descs = {}, [], []
for i in range(n):
    tar, gz = layer(i)
    d = "sha256:" + hashlib.sha256(gz).hexdigest()
    blobs[d] = gz
    diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d,
                  "size": len(gz)})
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "config": {"Cmd": ["/bin/sh", "-c", "ls /layers | wc -l"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
cd = "sha256:" + hashlib.sha256(config).hexdigest()
blobs[cd] = config
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": cd, "size": len(config)},
                       "layers": descs}).encode()
md = "sha256:" + hashlib.sha256(manifest).hexdigest()
blobs[md] = manifest
index = json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
     "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "many:%d" % n}}]}).encode()
with tarfile.open(out, "w") as t:
    def put(name, data):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    put("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    put("index.json", index)
    for d, data in blobs.items():
        put("blobs/sha256/" + d[7:], data)
