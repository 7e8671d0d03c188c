"""Peak resident memory of a command, per mapping: runs the command, samples
/proc/PID/smaps every 0.05 s and prints the Rss of each mapping at the sample with the largest
total: files by name, the heap, the stack, and each anonymous mapping of 64 kB or more on its own
line with its size (large buffers are mappings of their own, so the size names the buffer; see
docs/c-api.md#memory), the small ones together. A sampled peak can miss a short spike, so the
first line gives the kernel's own peak, `ru_maxrss` of the finished process (the figure
`/usr/bin/time -v` prints as "Maximum resident set size").

    python3 tools/smaps_peak.py [-o OUT] build/examples/mnmt-translate -b 4 -m MODEL.gguf all.en

The command's standard output goes to OUT (default: discarded).
"""

import collections
import os
import re
import subprocess
import sys
import time

MAPPING = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) ")


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
        m = MAPPING.match(line)
        if m:
            parts = line.split()
            size_kb = (int(m.group(2), 16) - int(m.group(1), 16)) // 1024
            if len(parts) > 5:
                name = parts[5].rsplit("/", 1)[-1]
            elif size_kb >= 64:
                # Several mappings of one size add up under one name.
                name = f"[anon {size_kb} kB]"
            else:
                name = "[anon, small]"
        elif line.startswith("Rss:") and name is not None:
            rss[name] += int(line.split()[1])
    return rss


def main():
    args = sys.argv[1:]
    out = subprocess.DEVNULL
    if args[:1] == ["-o"] and len(args) > 1:
        out = open(args[1], "wb")  # pylint: disable=consider-using-with
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    proc = subprocess.Popen(args, stdout=out)
    best = collections.Counter()
    while True:
        rss = sample(proc.pid)
        if rss is None or not rss:
            break
        if sum(rss.values()) > sum(best.values()):
            best = rss
        time.sleep(0.05)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(f"peak RSS (ru_maxrss): {usage.ru_maxrss} kB (exit status {code})")
    print(f"largest sample: {sum(best.values())} kB")
    for name, kb in best.most_common():
        if kb:
            print(f"{kb:9d} kB  {name}")
    if code != 0:
        sys.exit(code)


if __name__ == "__main__":
    main()
