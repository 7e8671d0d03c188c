"""Peak resident memory of a command, per mapping: runs the command, samples
/proc/PID/smaps every 0.1 s and prints the Rss of each mapping (files by name, anonymous
mappings together) at the sample with the largest total. A sampled peak can miss a short spike:
compare its total with `/usr/bin/time -v`'s maximum resident set size.

    python3 tools/smaps_peak.py build/examples/mnmt-translate -b 4 -m MODEL.gguf all.en
"""

import collections
import re
import subprocess
import sys
import time

MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")


def sample(pid):
    """Rss in kB per mapping name, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/smaps", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    rss = collections.Counter()
    name = None
    for line in text.splitlines():
        if MAPPING.match(line):
            parts = line.split()
            name = parts[5].rsplit("/", 1)[-1] if len(parts) > 5 else "[anon]"
        elif line.startswith("Rss:") and name is not None:
            rss[name] += int(line.split()[1])
    return rss


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    best = collections.Counter()
    while proc.poll() is None:
        rss = sample(proc.pid)
        if rss is None:
            break
        if sum(rss.values()) > sum(best.values()):
            best = rss
        time.sleep(0.1)
    print(f"peak sample: {sum(best.values())} kB (exit status {proc.wait()})")
    for name, kb in best.most_common():
        if kb:
            print(f"{kb:9d} kB  {name}")


if __name__ == "__main__":
    main()
