#!/bin/sh
# Build native/build/libpowhash.so: the PoW hash library shared/pow loads through bun:ffi.
#
# Runs from the root package's postinstall and from `bun run build:native`. POSIX sh only.
#
#   sources   native/src/*.c (ours) plus, compiled straight from node_modules/multi-hashing/src,
#             the sphlib X11 primitives (MIT-style), sph_sha2 and the Tarsnap-derived scrypt
#             (BSD 2-clause) that the benchmark and tests use as references. Their node-gyp
#             addon is never built.
#   flags     -O2 (-O3 for our SIMD kernels), always -fno-strict-aliasing: multi-hashing's scrypt
#             is silently miscompiled without it (shared/spec/hashing.md section 6). No
#             -march=native: wider kernels get their own -m flags and are picked at run time.
#   exports   only ph_* (native/exports.map).
#   skip      nothing is rebuilt when the library is newer than every input and the flags match.
#   no cc     prints how to get one and exits 0; shared/pow then falls back to Bun's TinyCC.
#   failure   exit 1, except during a package install's postinstall (exit 0 with a warning).
#
# Environment: CC (compiler), POWHASH_JOBS (parallel compiles, default: CPU count),
# POWHASH_OUT (output directory, default native/build), POWHASH_EXTRA_CFLAGS (appended to
# every compile, e.g. for a test build), POWHASH_FORCE=1 (rebuild even if up to date).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SRC="$HERE/src"
MH="$ROOT/node_modules/multi-hashing/src"
OUT="${POWHASH_OUT:-$HERE/build}"
EXTRA="${POWHASH_EXTRA_CFLAGS:-}"
LIB_NAME=libpowhash.so
case "$(uname -s)" in Darwin) LIB_NAME=libpowhash.dylib ;; esac
LIB="$OUT/$LIB_NAME"

say() { printf 'powhash: %s\n' "$*"; }

# A failed build must not fail a package install (the runtime falls back to TinyCC with a
# warning), but `bun run build:native` should fail loudly.
fail() {
  say "$1"
  if [ "${npm_lifecycle_event:-}" = postinstall ]; then
    say "continuing the install without it: hashing will use the slower TinyCC fallback."
    say "  Fix the error above, then run: bun run build:native"
    exit 0
  fi
  exit 1
}

# ---------------------------------------------------------------- compiler
CC_BIN=""
for c in ${CC:-} cc gcc clang; do
  if command -v "$c" >/dev/null 2>&1; then CC_BIN=$c; break; fi
done
if [ -z "$CC_BIN" ]; then
  say "no C compiler found (looked for \$CC, cc, gcc, clang); the native hash library was NOT built."
  say "  Hashing still works through Bun's built-in TinyCC, but X11 is ~5x and scrypt ~40x slower."
  say "  Install a compiler and rebuild, e.g. on Debian/Ubuntu:"
  say "    apt-get install -y gcc && bun run build:native"
  exit 0
fi
if [ ! -f "$MH/sha3/sph_blake.c" ] || [ ! -f "$MH/scryptn.c" ]; then
  fail "missing $MH (the multi-hashing package, used for its C sources only); run the package install first (bun install / npm install), then bun run build:native."

fi

# ---------------------------------------------------------------- sources
SPH="blake bmw groestl jh keccak skein luffa cubehash shavite simd echo sha2"
OWN="cpu sha256 share scrypt x11 refs cubehash-sse2"
X86=0
case "$("$CC_BIN" -dumpmachine 2>/dev/null)" in x86_64* | amd64*) X86=1 ;; esac

BASE="-O2 -fno-strict-aliasing -fPIC -fvisibility=hidden -std=gnu11"
DEFS=""
if [ "$X86" = 1 ]; then
  # Every kernel flag must be accepted, or none of the x86 kernels are built.
  probe="$OUT/.probe.c"
  mkdir -p "$OUT"
  printf 'int ph_probe;\n' >"$probe"
  if "$CC_BIN" -mavx2 -mavx512f -msse4.1 -msha -maes -c "$probe" -o "$OUT/.probe.o" 2>/dev/null; then
    DEFS="-DPH_X86_KERNELS"
  else
    say "warning: $CC_BIN lacks -mavx2/-mavx512f/-msha/-maes; building the portable scrypt only."
    X86=0
  fi
  rm -f "$probe" "$OUT/.probe.o"
fi

FLAGS_ID="cc=$CC_BIN base=$BASE defs=$DEFS extra=$EXTRA"

# ---------------------------------------------------------------- up to date?
if [ "${POWHASH_FORCE:-0}" != 1 ] && [ -f "$LIB" ] && [ -f "$OUT/flags" ] &&
  [ "$(cat "$OUT/flags")" = "$FLAGS_ID" ]; then
  newer=$(find "$SRC" "$HERE/build.sh" "$HERE/exports.map" "$MH/sha3" "$MH/scryptn.c" "$MH/crypto/sha256.c" \
    -newer "$LIB" -type f 2>/dev/null | head -n 1)
  if [ -z "$newer" ]; then
    say "$LIB is up to date"
    exit 0
  fi
fi

# ---------------------------------------------------------------- compile
OBJ="$OUT/obj"
rm -rf "$OBJ"
mkdir -p "$OBJ"
JOBS="${POWHASH_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"
case "$JOBS" in '' | *[!0-9]*) JOBS=2 ;; esac
[ "$JOBS" -ge 1 ] || JOBS=1

# One line per object: "<object> <source> <extra flags>", slowest first so the jobs stay even.
LIST="$OBJ/list"
: >"$LIST"
add() { printf '%s %s %s\n' "$1" "$2" "$3" >>"$LIST"; }
if [ "$X86" = 1 ]; then
  add scrypt-sse2.o "$SRC/scrypt-sse2.c" "-O3 -Wall -Wextra"
  add scrypt-avx512.o "$SRC/scrypt-avx512.c" "-O3 -mavx512f -Wall -Wextra"
  add scrypt-avx2.o "$SRC/scrypt-avx2.c" "-O3 -mavx2 -Wall -Wextra"
  add sha256-shani.o "$SRC/sha256-shani.c" "-msse4.1 -msha -Wall -Wextra"
  add echo-aesni.o "$SRC/echo-aesni.c" "-O3 -maes -Wall -Wextra"
fi
for f in simd jh groestl cubehash echo shavite blake bmw sha2 skein keccak luffa; do
  add "sph_$f.o" "$MH/sha3/sph_$f.c" "-w"
done
add mh_scryptn.o "$MH/scryptn.c" "-w"
add mh_sha256.o "$MH/crypto/sha256.c" "-w"
for f in $OWN; do add "$f.o" "$SRC/$f.c" "-Wall -Wextra"; done

INC="-I$SRC -I$MH/sha3 -I$MH/crypto"
say "compiling $(wc -l <"$LIST" | tr -d ' ') files with $CC_BIN, $JOBS at a time"
start=$(date +%s)

# Job j compiles every JOBS-th line; each writes a .fail marker on error.
j=0
pids=""
while [ "$j" -lt "$JOBS" ]; do
  (
    n=0
    while read -r obj src flags; do
      if [ $((n % JOBS)) -eq "$j" ]; then
        # shellcheck disable=SC2086 # flag lists are meant to split
        if ! "$CC_BIN" $BASE $DEFS $flags $INC $EXTRA -c "$src" -o "$OBJ/$obj" 2>"$OBJ/$obj.log"; then
          cat "$OBJ/$obj.log" >&2
          : >"$OBJ/$obj.fail"
        elif [ -s "$OBJ/$obj.log" ]; then
          cat "$OBJ/$obj.log" >&2
        fi
      fi
      n=$((n + 1))
    done <"$LIST"
  ) &
  pids="$pids $!"
  j=$((j + 1))
done
for p in $pids; do wait "$p"; done

if ls "$OBJ"/*.fail >/dev/null 2>&1; then
  fail "compilation failed:$(for f in "$OBJ"/*.fail; do printf ' %s' "$(basename "$f" .fail)"; done)"
fi

# ---------------------------------------------------------------- link
case "$(uname -s)" in
Darwin) LINK="-dynamiclib -Wl,-exported_symbol,_ph_*" ;;
*) LINK="-shared -Wl,--version-script=$HERE/exports.map -Wl,-z,noexecstack" ;;
esac
tmp="$LIB.tmp.$$"
# shellcheck disable=SC2086
if ! "$CC_BIN" $LINK -o "$tmp" "$OBJ"/*.o; then
  rm -f "$tmp"
  fail "link failed"
fi
mv -f "$tmp" "$LIB" # atomic: a running process never maps a half-written file
printf '%s' "$FLAGS_ID" >"$OUT/flags"
say "built $LIB in $(($(date +%s) - start)) s"
