"""Stands in for `pipelines.beam.replay` in the job tests: prints its arguments and a few
progress lines, and exits with the code given by --exit-code (default 0)."""

import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    print("replay args: " + " ".join(args), flush=True)
    for i in range(3):
        print(f"replayed batch {i}", flush=True)
    code = int(args[args.index("--exit-code") + 1]) if "--exit-code" in args else 0
    if code:
        print("replay failed: boom", file=sys.stderr, flush=True)
    sys.exit(code)
