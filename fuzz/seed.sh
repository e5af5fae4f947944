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
# Pod lists for the Kubernetes discovery target (two leading lines: label and field selectors).
mkdir -p "$seeds/k8s"
for f in ../tests/data/k8s/*.json; do
  { printf 'app in (reviews, details),!missing\nstatus.phase!=Failed\n'; cat "$f"; } > "$seeds/k8s/$(basename "$f")"
  { printf '\n\n'; cat "$f"; } > "$seeds/k8s/plain-$(basename "$f")"
done
for t in $(cargo +nightly fuzz list); do
  if [ "$t" = kubernetes ]; then
    ln -sfn k8s "$seeds/$t"
  else
    ln -sfn all "$seeds/$t"
  fi
  mkdir -p "corpus/$t"
done
echo "seeds: $(ls "$seeds/all" | wc -l) files"
