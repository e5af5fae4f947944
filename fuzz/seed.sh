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
gen() { cargo run -q --release -p promtext-cli --manifest-path ../Cargo.toml -- gen "$@"; }
i=0
for args in "--profile envoy" "--profile istio" "--profile istio --escapes" "--profile envoy --openmetrics" "--profile istio --openmetrics"; do
  # shellcheck disable=SC2086
  gen $args --size 64KiB --seed 1 | split -C 2048 -d -a 3 - "$seeds/all/gen$i." || true
  i=$((i + 1))
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
for t in $(cargo +nightly fuzz list); do
  case "$t" in
    protobuf | protobuf_chunked) ln -sfn protobuf "$seeds/$t" ;;
    *) ln -sfn all "$seeds/$t" ;;
  esac
  mkdir -p "corpus/$t"
done
echo "seeds: $(ls "$seeds/all" | wc -l) text files, $(ls "$seeds/protobuf" | wc -l) protobuf files"
