"""A parse worker: `python -m agent.repomap.worker` reads marshal((root, items)) on stdin and
writes each file's result on stdout as it goes: 4-byte length, marshal of
parse_files(root, [item]) (see parse._Stream).

A plain subprocess rather than multiprocessing: spawn/forkserver re-import the parent's
__main__ (any script without a main guard would run again in every worker), and fork is unsafe
because warm() runs in a thread.
"""

import marshal
import sys

from agent.repomap.parse import parse_files

if __name__ == "__main__":
    payload = sys.stdin.buffer.read()
    if payload:  # empty: the parent started us early, then found nothing worth our while
        root, items = marshal.loads(payload)
        out = sys.stdout.buffer
        for item in items:  # one result per file, as it is done: the parent may stop us early
            data = marshal.dumps(parse_files(root, [item]))
            out.write(len(data).to_bytes(4, "big") + data)
            out.flush()
