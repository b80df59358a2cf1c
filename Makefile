# errorhub — the README's two commands are `make up` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
STREAM_PY := envs/stream/.venv/bin/python
PYTEST := $(PY) -m pytest
LOGHUB := ../shared/data/loghub2k
GA := ../shared/eval/loghub_ga.py

.PHONY: setup up down status test test-unit test-integration test-stream lint eval bench

setup:            ## install everything (apt, uv, environments, jars, local secrets)
	scripts/bootstrap.sh

up: setup         ## start the whole local stack on embedded defaults
	.venv/bin/errorhub up
	.venv/bin/errorhub status

down:             ## stop the local stack
	.venv/bin/errorhub down

status:
	.venv/bin/errorhub status

test: setup       ## every test: unit, integration (real services), stream env, browser
	$(PYTEST) -m "not flink"
	$(MAKE) test-stream

test-unit:        ## the fast suite: no services, seconds
	$(PYTEST) -m "not integration" -q

test-integration:
	$(PYTEST) -m "integration and not flink"

test-stream:      ## Flink and Beam tests, in the stream environment (never in parallel)
	$(STREAM_PY) -m pytest tests/stream -p no:cacheprovider

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

eval:             ## grouping quality: Loghub-2k GA and the labelled traceback corpus; PII recall
	python3 $(GA) --cmd '.venv/bin/errorhub cluster {input} -o {output}' $(LOGHUB)/*.csv
	$(PY) -m eval.tracebacks.score
	$(PY) -m eval.pii

eval-corpus:      ## regenerate the traceback corpus by running faulty Python/Node/Java/Rust/C programs
	$(PY) -m eval.tracebacks.generate

bench-warehouse:
	$(PY) -m bench.warehouse_bench
bench-engine:
	$(PY) -m bench.engine_bench
bench-broker:
	$(PY) -m bench.broker_bench
bench-ingest:
	$(PY) -m bench.ingest_bench
bench-dagster:
	$(PY) -m bench.dagster_bench
bench-stream:
	$(STREAM_PY) -m bench.stream_bench
bench: bench-engine bench-warehouse bench-broker bench-ingest bench-dagster bench-stream
