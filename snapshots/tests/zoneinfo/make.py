#!/usr/bin/env python3
"""Writes zoneinfo.zip: the zones the conformance corpus loads, from a
zoneinfo directory (default: Debian's /usr/share/zoneinfo), stored
uncompressed with fixed dates as Go's $GOROOT/lib/time/zoneinfo.zip is.
See README.md."""
import pathlib, sys, zipfile

ZONES = """Africa/Casablanca America/Los_Angeles America/New_York America/Sao_Paulo
America/St_Johns Asia/Kathmandu Asia/Kolkata Asia/Tokyo Australia/Sydney EST5EDT
Etc/GMT+5 Europe/Dublin Europe/London Europe/Paris Pacific/Chatham""".split()

source = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/zoneinfo")
out = pathlib.Path(__file__).resolve().parent / "zoneinfo.zip"
with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    for name in ZONES:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        z.writestr(info, (source / name).read_bytes())
version = (source / "tzdata.zi").read_text().splitlines()[0].removeprefix("# version ") if (source / "tzdata.zi").exists() else "?"
print(f"{out}: {len(ZONES)} zones from {source} ({version})")
