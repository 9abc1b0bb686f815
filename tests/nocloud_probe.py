"""Run under Debian's /usr/bin/python3: what cloud-init's NoCloud datasource reads from a
``cidata`` volume.  Not a test module.

argv: an ISO image (as ``gosc spec convert --iso`` writes it).  cloud-init's own
DataSourceNoCloud code runs: it looks for devices of TYPE=iso9660 and LABEL=cidata,
"mounts" the one found and reads meta-data, user-data and network-config from it.  Only
the block-device layer is replaced: the device is the image, its label is read from its
volume descriptor (isoinfo -d), and mounting it extracts its files (isoinfo -x), so no
loop device or mount privilege is needed.  stdout: JSON of what the datasource holds.
"""

import json
import logging
import os
import subprocess
import sys
import tempfile

from cloudinit import dmi, helpers, util
from cloudinit.sources import DataSourceNoCloud as nocloud

logging.disable(logging.CRITICAL)
ISO = sys.argv[1]


def volume_label(iso):
    out = subprocess.run(["isoinfo", "-d", "-i", iso], capture_output=True, text=True, check=True).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Volume id:")), "")


def find_devs_with(criteria=None, **_):
    if criteria == "TYPE=iso9660":
        return [ISO]
    if criteria and criteria.startswith("LABEL=") and criteria[6:] == volume_label(ISO):
        return [ISO]
    return []


def mount_cb(device, callback, data=None, **_):
    with tempfile.TemporaryDirectory() as mp:
        listing = subprocess.run(["isoinfo", "-R", "-f", "-i", device], capture_output=True, text=True, check=True)
        for path in listing.stdout.split():
            body = subprocess.run(["isoinfo", "-R", "-i", device, "-x", path], capture_output=True, check=True)
            with open(os.path.join(mp, path.lstrip("/")), "wb") as f:
                f.write(body.stdout)
        return callback(mp, data)


util.find_devs_with = find_devs_with
util.mount_cb = mount_cb
util.get_cmdline = lambda: ""
dmi.read_dmi_data = lambda key: None

with tempfile.TemporaryDirectory() as cloud_dir:
    paths = helpers.Paths({"cloud_dir": cloud_dir, "run_dir": cloud_dir})
    ds = nocloud.DataSourceNoCloud({}, None, paths)
    found = ds.get_data()
    print(
        json.dumps(
            {
                "found": found,
                "seed": ds.seed if found else None,
                "metadata": ds.metadata if found else None,
                "hostname": ds.get_hostname().hostname if found else None,
                "instance_id": ds.get_instance_id() if found else None,
                "network_config": ds.network_config if found else None,
                "userdata_raw": ds.get_userdata_raw().decode() if found else None,
            },
            default=str,
        )
    )
