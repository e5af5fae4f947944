#!/usr/bin/env bash
# Builds seed corpora for the fuzz targets: small slices of the shared corpora (when
# ../shared exists) and of generated Envoy/Istio/OpenMetrics expositions.
set -euo pipefail
cd "$(dirname "$0")"
seeds=seeds
rm -rf "$seeds"
mkdir -p "$seeds/all"
shared=../../shared
if [ -d "$shared/corpus" ]; then
  for f in "$shared"/corpus/envoy/*.prom "$shared"/corpus/prometheus/*.txt; do
    split -C 2048 -d -a 3 "$f" "$seeds/all/$(basename "$f")."
  done
  for d in "$shared"/conformance/openmetrics/*/; do
    [ -f "$d/metrics" ] && cp "$d/metrics" "$seeds/all/om_$(basename "$d")"
  done
else
  echo "note: ../shared is absent; seeding from the generator only"
fi
# The dev profile: CI's tests built it already (a release build would take minutes).
gen() { cargo run -q -p promtext-cli --manifest-path ../Cargo.toml -- gen "$@"; }
i=0
for args in "--profile envoy" "--profile istio" "--profile istio --escapes" "--profile envoy --openmetrics" "--profile istio --openmetrics"; do
  # shellcheck disable=SC2086
  gen $args --size 64KiB --seed 1 | split -C 2048 -d -a 3 - "$seeds/all/gen$i." || true
  i=$((i + 1))
done
# Pod lists for the Kubernetes discovery target (two leading lines: label and field selectors).
mkdir -p "$seeds/k8s"
for f in ../tests/data/k8s/*.json; do
  { printf 'app in (reviews, details),!missing\nstatus.phase!=Failed\n'; cat "$f"; } > "$seeds/k8s/$(basename "$f")"
  { printf '\n\n'; cat "$f"; } > "$seeds/k8s/plain-$(basename "$f")"
done
# Protobuf bodies for the protobuf targets: whole small bodies (classic and native histograms),
# and their first kilobytes (truncated families).
mkdir -p "$seeds/protobuf"
i=0
for args in "--profile envoy" "--profile istio" "--profile envoy --native-histograms" "--profile istio --native-histograms" "--profile envoy --summary"; do
  for size in 2KiB 16KiB; do
    # shellcheck disable=SC2086
    gen $args --format protobuf --size "$size" --seed 1 > "$seeds/protobuf/pb$i.$size" || true
    head -c 1024 "$seeds/protobuf/pb$i.$size" > "$seeds/protobuf/pb$i.$size.head"
  done
  i=$((i + 1))
done
# scrape_cache: a mode byte (bit 0 protobuf, bit 1 native histograms, bit 2 the first half
# scraped first), then a body: the protobuf seeds and generated text slices.
mkdir -p "$seeds/scrape_cache"
for f in "$seeds"/protobuf/*; do
  for mode in 1 3 7; do
    { printf "\\x$(printf %02x "$mode")"; cat "$f"; } > "$seeds/scrape_cache/$(basename "$f").$mode"
  done
done
for f in $(ls "$seeds/all" | grep '^gen' | head -n 24); do
  for mode in 0 4; do
    { printf "\\x$(printf %02x "$mode")"; cat "$seeds/all/$f"; } > "$seeds/scrape_cache/$f.$mode"
  done
done
# OpenMetrics 2.0: the bodies Prometheus' experimental parser accepts, whole and in slices.
mkdir -p "$seeds/om2"
if [ -d "$shared/conformance/openmetrics2" ]; then
  for f in "$shared"/conformance/openmetrics2/*.txt; do
    cp "$f" "$seeds/om2/$(basename "$f")"
    split -C 512 -d -a 3 "$f" "$seeds/om2/$(basename "$f")."
  done
fi
printf '# TYPE h histogram\nh{a="b"} {count:3,sum:2,schema:0,zero_threshold:1e-4,zero_count:0,negative_spans:[1:1],negative_buckets:[1],positive_spans:[0:2],positive_buckets:[1,1],bucket:[0.1:1,+Inf:3]} 5 st@1 # {t="x"} 0.05 1 # bad\n# EOF\n' > "$seeds/om2/composite"
for t in $(cargo +nightly fuzz list); do
  case "$t" in
    kubernetes) ln -sfn k8s "$seeds/$t" ;;
    protobuf_chunked) ln -sfn protobuf "$seeds/$t" ;;
    parse_openmetrics2) ln -sfn om2 "$seeds/$t" ;;
    # Their own directories.
    protobuf | decode | scrape_cache) ;;
    *) ln -sfn all "$seeds/$t" ;;
  esac
  mkdir -p "corpus/$t"
done
# decode: a mode byte (bits 0-1: gzip, zstd, br, identity; bits 2-3: the body size limit), a
# chunk-size byte, then the body: a few generated slices compressed with the tools at hand,
# whole and as concatenated members.
mkdir -p "$seeds/decode"
byte() { printf "\\x$(printf %02x "$1")"; }
n=0
for f in $(ls "$seeds/all" | grep '^gen' | head -n 12); do
  for limit in 0 1 2 3; do
    cut=$(( (n * 37) % 256 ))
    { byte $((0 | limit << 2)); byte $cut; gzip -c "$seeds/all/$f"; } > "$seeds/decode/gz$n.$limit"
    { byte $((0 | limit << 2)); byte $cut; gzip -c "$seeds/all/$f"; gzip -c "$seeds/all/$f"; } > "$seeds/decode/gz2_$n.$limit"
    if command -v zstd >/dev/null; then
      { byte $((1 | limit << 2)); byte $cut; zstd -q -c "$seeds/all/$f"; } > "$seeds/decode/zst$n.$limit"
    fi
    { byte $((2 | limit << 2)); byte $cut; cat "$seeds/all/$f"; } > "$seeds/decode/br$n.$limit"
    { byte $((3 | limit << 2)); byte $cut; cat "$seeds/all/$f"; } > "$seeds/decode/id$n.$limit"
  done
  n=$((n + 1))
done
echo "seeds: $(ls "$seeds/all" | wc -l) text files, $(ls "$seeds/om2" | wc -l) OpenMetrics 2.0 files, $(ls "$seeds/protobuf" | wc -l) protobuf files, $(ls "$seeds/k8s" | wc -l) pod lists, $(ls "$seeds/decode" | wc -l) decode files, $(ls "$seeds/scrape_cache" | wc -l) scrape-cache files"
