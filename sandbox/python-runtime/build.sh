#!/usr/bin/env bash
# Builds the "guest site": real pydantic and a pydantic-core compiled for wasm32-wasip2 as a shared library,
# with their pure-Python dependencies, for componentize-py to bundle into every Python build (`-p <site>`).
# pydantic-core publishes no WebAssembly wheel, so its Rust sources are compiled here, against the libc.so,
# libpython3.14.so and sysconfig data that componentize-py itself links guests with (unpacked from its
# binary), using only rustup's stable toolchain and its rust-lld.
#
# Idempotent: the result carries a stamp with the versions; a run that finds a matching stamp does nothing.
# Non-interactive. The first run takes about 6 minutes on 2 cores (cargo), later runs under a second.
#   BERTH_TOOLS   tools folder (default: $HOME/.cache/berth-tools); needs $BERTH_TOOLS/venv with componentize-py
#   output        $BERTH_TOOLS/guest-site        (stamp: $BERTH_TOOLS/guest-site/.berth-guest-site)
#   work files    $BERTH_TOOLS/guest-site-build  (sources, cargo target dir, unpacked libraries)
set -euo pipefail
TOOLS=${BERTH_TOOLS:-$HOME/.cache/berth-tools}
VENV=$TOOLS/venv
OUT=$TOOLS/guest-site
W=$TOOLS/guest-site-build
# Pins. pydantic 2.14.4 requires pydantic-core 2.50.5 exactly; the host venv's pydantic (tests) is the same.
PYDANTIC=2.14.4
PYDANTIC_CORE=2.50.5
ANNOTATED_TYPES=0.8.0
TYPING_EXTENSIONS=4.16.0
TYPING_INSPECTION=0.4.5
ZSTANDARD=0.25.0
COMPONENTIZE_PY=0.25.1
STAMP="pydantic $PYDANTIC pydantic-core $PYDANTIC_CORE annotated-types $ANNOTATED_TYPES typing-extensions $TYPING_EXTENSIONS typing-inspection $TYPING_INSPECTION componentize-py $COMPONENTIZE_PY target wasm32-wasip2"
say() { printf '[guest-site] %s\n' "$*" >&2; }

if [ -f "$OUT/.berth-guest-site" ] && [ "$(cat "$OUT/.berth-guest-site")" = "$STAMP" ]; then
  say "pydantic $PYDANTIC for the guest is ready in $OUT"
  exit 0
fi
CPY_SO=$(ls "$VENV"/lib/python3*/site-packages/componentize_py/componentize_py*.so 2>/dev/null | head -n 1 || true)
if [ -z "$CPY_SO" ]; then
  say "componentize-py is not installed in $VENV; install it first (tests/tools/setup.sh or berth up)"
  exit 1
fi
if ! "$VENV/bin/componentize-py" --version 2>/dev/null | grep -q "$COMPONENTIZE_PY"; then
  say "componentize-py in $VENV is not $COMPONENTIZE_PY; the libraries pydantic-core links against must match it"
  exit 1
fi
command -v rustup >/dev/null || { say "rustup is needed to compile pydantic-core (https://rustup.rs)"; exit 1; }
say "building pydantic $PYDANTIC (pydantic-core $PYDANTIC_CORE for wasm32-wasip2) into $OUT; this takes a few minutes once"
T0=$(date +%s)
mkdir -p "$W"
cd "$W"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  say "adding the wasm32-wasip2 Rust target"
  rustup target add wasm32-wasip2 >&2
fi

# 1. The shared libraries componentize-py links guests against are zstd frames inside its binary: libc.so
#    (wasi-libc for wasip2) and libpython3.14.so to link against, and the stdlib archive for
#    _sysconfigdata__wasi_wasm32-wasi.py (pyo3 reads the extension suffix and pointer width from it).
if [ ! -f pylib/_sysconfigdata__wasi_wasm32-wasi.py ] || [ ! -f libs/libc.so ] || [ ! -f libs/libpython3.14.so ]; then
  [ -x unpack-venv/bin/python ] || python3 -m venv unpack-venv
  unpack-venv/bin/pip install -q --disable-pip-version-check "zstandard==$ZSTANDARD"
  rm -rf pylib libs && mkdir -p pylib libs
  unpack-venv/bin/python - "$CPY_SO" <<'EOF'
import io, sys, tarfile, zstandard
data = open(sys.argv[1], "rb").read()
found = set()
i = 0
while (i := data.find(b"\x28\xb5\x2f\xfd", i)) >= 0:
    try:
        out = zstandard.ZstdDecompressor().decompressobj().decompress(data[i:i + 60_000_000])
    except zstandard.ZstdError:
        out = b""
    i += 4
    if out[:4] == b"\0asm":
        if b"component-type:wasip2__wasi_libc" in out:
            open("libs/libc.so", "wb").write(out); found.add("libc.so")
        elif b"Py_InitializeFromConfig" in out and len(out) > 5_000_000:
            open("libs/libpython3.14.so", "wb").write(out); found.add("libpython3.14.so")
    elif out[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(out)) as tar:
            for m in tar.getmembers():
                if m.name.startswith("_sysconfigdata__wasi") and m.isfile():
                    open("pylib/" + m.name, "wb").write(tar.extractfile(m).read()); found.add("sysconfig")
missing = {"libc.so", "libpython3.14.so", "sysconfig"} - found
if missing:
    sys.exit(f"cannot find {', '.join(sorted(missing))} inside {sys.argv[1]}; is it componentize-py 0.25.1?")
EOF
fi

# 2. pydantic-core's sources (the sdist, from the package index).
SRC=$W/src/pydantic_core-$PYDANTIC_CORE
if [ ! -f "$SRC/Cargo.toml" ]; then
  rm -rf sdist src && mkdir -p sdist src
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-binary :all: --no-deps -d sdist "pydantic-core==$PYDANTIC_CORE"
  tar xzf "sdist/pydantic_core-$PYDANTIC_CORE.tar.gz" -C src
fi

# 3. Compile as a position-independent wasm shared library (a dylink.0 module componentize-py links).
#    Stable Rust, no build-std: the release profile's fat LTO generates std's code again with the crate's
#    relocation model, so std comes out position-independent too.
#    --shared/--experimental-pic make the dylink.0 module; import-dynamic leaves the Python and libc
#    symbols as imports for componentize-py's linker; -L libs resolves -lc to componentize-py's libc.so.
SYSROOT=$(rustc --print sysroot)
HOST=$(rustc -vV | sed -n 's/^host: //p')
RUST_LLD=$SYSROOT/lib/rustlib/$HOST/bin/rust-lld
[ -x "$RUST_LLD" ] || { say "rust-lld not found at $RUST_LLD (rustup's toolchain ships it)"; exit 1; }
export PYO3_CROSS=1 PYO3_CROSS_LIB_DIR=$W/pylib PYO3_CROSS_PYTHON_VERSION=3.14 PYO3_BUILD_EXTENSION_MODULE=1
export CARGO_TARGET_DIR=$W/target
export RUSTFLAGS="-C relocation-model=pic -C link-self-contained=no -C linker=$RUST_LLD -C link-arg=--shared -C link-arg=--experimental-pic -C link-arg=--unresolved-symbols=import-dynamic -L $W/libs"
unset RUSTC_WRAPPER CARGO_BUILD_TARGET
(cd "$SRC" && nice -n 10 cargo rustc --locked --release --lib --crate-type cdylib --target wasm32-wasip2 >&2)
SO=$CARGO_TARGET_DIR/wasm32-wasip2/release/_pydantic_core.wasm

# 4. The site: pure-Python packages from the index, pydantic_core's Python part from the sdist (without
#    the stub-only _pydantic_core/ folder, which would shadow the extension), and the extension.
rm -rf "$OUT.new" && mkdir -p "$OUT.new"
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --no-compile --target "$OUT.new" \
  "pydantic==$PYDANTIC" "annotated-types==$ANNOTATED_TYPES" "typing-extensions==$TYPING_EXTENSIONS" \
  "typing-inspection==$TYPING_INSPECTION"
cp -r "$SRC/python/pydantic_core" "$OUT.new/"
rm -rf "$OUT.new/pydantic_core/_pydantic_core"
cp "$SO" "$OUT.new/pydantic_core/_pydantic_core.cpython-314-wasm32-wasi.so"
rm -rf "$OUT.new/bin"
printf '%s' "$STAMP" >"$OUT.new/.berth-guest-site"
rm -rf "$OUT" && mv "$OUT.new" "$OUT"
say "pydantic $PYDANTIC for the guest ready in $OUT ($(( $(date +%s) - T0 )) s)"
