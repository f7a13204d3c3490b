# Frontdesk developer recipes. Each is one line; logic lives in Rust or .ci/run.

default: test

# The embedded gateway: SQLite under data/, demo tenants (frontdesk.toml turns demo mode on).
run:
    cargo run --release -p voice-gateway

# The README's test command (PostgreSQL suites run when FRONTDESK_TEST_POSTGRES_URL is set).
test:
    cargo test --workspace

# Everything CI does: (re)start PostgreSQL and Redis, fmt, clippy, tests against both backends.
ci:
    bash .ci/run

lint:
    cargo fmt --all --check && cargo clippy --workspace --all-targets -- -D warnings

# Fails when a domain crate depends (even transitively) on sqlx, axum, reqwest, fred or tokio-tungstenite.
layering:
    .ci/layering

fmt:
    cargo fmt --all

# Licenses, banned crates and sources (offline: advisories need the network).
deny:
    cargo deny --offline check licenses bans sources

# Job throughput and enqueue latency on SQLite and PostgreSQL; rewrites docs/benchmarks.md.
bench-jobs:
    FRONTDESK_TEST_POSTGRES_URL=${FRONTDESK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} cargo bench -p worker --bench jobs

# A 100,000-variant inventory sync through the Lightspeed and Google Sheets fakes; rewrites docs/benchmarks.md.
bench-inventory:
    cargo bench -p inventory-sync --bench sync

# Page views over a 100,000-variant workbook (figures printed; copied into docs/benchmarks.md by hand).
bench-inventory-page:
    cargo bench -p inventory-sync --bench page

# Availability and concurrent-commit timings on SQLite and PostgreSQL; rewrites docs/benchmarks.md.
bench-booking:
    FRONTDESK_TEST_POSTGRES_URL=${FRONTDESK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} cargo bench -p voice-gateway --bench booking

# The phone path from outside: gateway CPU per request at saturation and p99 of 100 paced calls,
# SQLite and PostgreSQL; FRONTDESK_BENCH_BEFORE_BIN=path/to/older/voice-gateway adds a before column.
bench-calls:
    cargo build --release -p voice-gateway -p adminctl && cargo run --release -q -p adminctl -- bench-calls --postgres ${FRONTDESK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} --write-docs docs/benchmarks.md

# Language-model turns through a fake OpenAI server: the gateway CPU a model turn adds, and paced calls'
# p99 beside 100 calls waiting 1 s on the model, SQLite and PostgreSQL; rewrites docs/benchmarks.md.
bench-model:
    cargo build --release -p voice-gateway -p adminctl && cargo run --release -q -p adminctl -- bench-model --postgres ${FRONTDESK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} --write-docs docs/benchmarks.md

# Print an operator token for curl (needs FRONTDESK_ADMIN_JWT_SECRET).
token scope="admin":
    cargo run --release -q -p adminctl -- token --scope {{scope}}

# The knowledge evaluation: labelled questions against both demo shops' documents (fixtures/knowledge/),
# offline (BM25, and BM25 + hashing vectors), then through the real embedder when FRONTDESK_OPENAI_API_KEY is set.
eval-knowledge:
    cargo test -p frontdesk-rag --test eval -- --nocapture && if [ -n "${FRONTDESK_OPENAI_API_KEY:-}" ]; then cargo test -p frontdesk-openai --test it real_embeddings_eval -- --ignored --nocapture; else echo "The real-embedder run needs FRONTDESK_OPENAI_API_KEY (optional: FRONTDESK_OPENAI_BASE_URL, _EMBEDDING_MODEL, _EMBEDDING_DIMENSIONS)."; fi

# Retrieval latency, CPU and memory for a 5,000-chunk tenant.
bench-knowledge:
    cargo bench -p frontdesk-rag --bench retrieve

# Screenshots of the owner's and operator's main pages at desktop and phone widths (headless Chromium over seeded
# demo data) into docs/screenshots/, then shrunk with pngquant when it is installed.
screenshots:
    cargo test -p voice-gateway --test it -- browser::screenshots --ignored --nocapture && if command -v pngquant >/dev/null; then pngquant --force --skip-if-larger --ext .png --speed 1 docs/screenshots/*.png || [ $? -ge 98 ]; else echo "pngquant not installed (apt-get install pngquant): the PNGs are left full-colour"; fi

# The owner's and operator's pages over one shop with 10,000 calls and 5,000 bookings and 1,000 shops, rendered in
# process: p50/p95/p99 and CPU per render, SQLite and PostgreSQL (figures printed; copied into docs/benchmarks.md by hand).
bench-pages:
    FRONTDESK_TEST_POSTGRES_URL=${FRONTDESK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test} cargo bench -p voice-gateway --bench pages

# The realtime voice bridge between a fake Twilio Media Stream and a fake model: added latency per frame, 100 calls
# against real time, memory and CPU per call, speech-stopped → first-audio with a model answering in 300 ms
# (figures printed; copied into docs/benchmarks.md by hand).
bench-realtime:
    cargo bench -p frontdesk-voice-bridge --bench bridge
