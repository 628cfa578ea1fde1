"""Password-scoring peer: the Python `zxcvbn` package on the same corpus, the
same way (a warm-up pass, then one timed pass). Prints JSON."""
import json
import sys
import time

from zxcvbn import zxcvbn

corpus = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
inputs = ["ada.lovelace@example.com", "Ada Lovelace", "ada", "lovelace", "example"]
for password in corpus:
    zxcvbn(password, user_inputs=inputs, max_length=256)
micros = []
started = time.perf_counter()
for password in corpus:
    one = time.perf_counter()
    zxcvbn(password, user_inputs=inputs, max_length=256)
    micros.append((time.perf_counter() - one) * 1e6)
seconds = time.perf_counter() - started
micros.sort()
at = lambda q: micros[round((len(micros) - 1) * q)]  # noqa: E731
print(json.dumps({"count": len(micros), "p50_us": at(0.5), "p99_us": at(0.99), "max_us": at(1.0),
                  "per_second": len(micros) / seconds}))
