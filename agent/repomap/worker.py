"""A parse worker: `python -m agent.repomap.worker` reads marshal((root, items)) on stdin and
writes marshal(results) on stdout (see core.parse_files).

A plain subprocess rather than multiprocessing: spawn/forkserver re-import the parent's
__main__ (any script without a main guard would run again in every worker), and fork is unsafe
because warm() runs in a thread.
"""

import marshal
import sys

from agent.repomap.core import parse_files

if __name__ == "__main__":
    payload = sys.stdin.buffer.read()
    if payload:  # empty: the parent started us early, then found nothing worth our while
        root, items = marshal.loads(payload)
        sys.stdout.buffer.write(marshal.dumps(parse_files(root, items)))
