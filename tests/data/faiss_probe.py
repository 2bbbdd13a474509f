"""What FAISS alone makes of damaged index files: `python faiss_probe.py GOOD BAD...`.

Prints one JSON object: for each BAD file, "loaded_same" (read, vectors identical to GOOD),
"loaded_different" (read without complaint, vectors differ: wrong answers would follow),
"refused" (FAISS raised) or "crashed" (the reading process died). Each file is read in a
forked child with a 4 GB address-space limit, so a corrupt header cannot take the machine down.
"""

import json
import os
import resource
import sys

import faiss
import numpy as np


def probe(good: np.ndarray, path: str) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    try:
        idx = faiss.read_index(path)
        vecs = idx.reconstruct_n(0, idx.ntotal)
    except Exception:
        return 2
    return 0 if vecs.shape == good.shape and np.array_equal(vecs, good) else 1


def main() -> None:
    g = faiss.read_index(sys.argv[1])
    good = g.reconstruct_n(0, g.ntotal)
    names = {0: "loaded_same", 1: "loaded_different", 2: "refused"}
    out = {}
    for path in sys.argv[2:]:
        pid = os.fork()
        if pid == 0:
            os._exit(probe(good, path))
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        out[path] = names.get(code, "crashed")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
