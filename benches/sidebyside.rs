//! promtext side by side with VictoriaMetrics' and Prometheus' parsers, as
//! `../shared/bench/README.md` describes: one process per parser and input, each reading the file
//! once, parsing it once untimed (counting), then timing K whole-body parses and printing one
//! `key=value` line; rounds alternate the three programs (order rotated) and the table gives the
//! median of the per-round ratios.
//!
//! - `cargo bench --bench sidebyside` — the driver: writes the generated inputs to
//!   `target/sidebyside/`, runs `SIDEBYSIDE_ROUNDS` rounds (default 9, at least 7, odd) over every
//!   input, checks that the three parsers' counts agree and prints a markdown table. Without
//!   `../shared` (which holds the peers' programs and the real captures) it prints a note and
//!   stops.
//! - `cargo bench --bench sidebyside -- --one FILE [-k K]` — promtext's side of one measurement:
//!   the line `bin/vmbench` prints, with `parser=promtext`.
//!
//! The measured work is the peers': parse with the default settings, and read every sample's
//! name, every label's name and (unescaped) value, and the value.
//!
//! The three processes of a round run on one CPU (`taskset`, when the machine has it; rounds
//! rotate over the CPUs; `SIDEBYSIDE_PIN=0` turns it off): on a VM whose vCPUs differ in speed
//! (one sharing its core with a busy neighbour), a round's ratio otherwise depends on which vCPU
//! each process happened to land on.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use promtext::Event;
use promtext_gen::{GenConfig, generate};

/// What one parse of a body counted: the keys `bin/vmbench` prints.
#[derive(Default, Debug, Clone, PartialEq)]
struct Counts {
    samples: u64,
    pairs: u64,
    pairs_ex: u64,
    lv_bytes: u64,
    name_bytes: u64,
    value_sum: f64,
    errors: u64,
}

/// One parse with every sample's name, labels and value read.
fn walk(body: &[u8]) -> Counts {
    let mut c = Counts::default();
    for event in promtext::parse(body) {
        match event {
            Ok(Event::Sample(s)) => {
                c.samples += 1;
                c.name_bytes += s.name().len() as u64;
                for label in s.labels() {
                    c.pairs += 1;
                    if label.name != "le" && label.name != "quantile" {
                        c.pairs_ex += 1;
                        c.lv_bytes += label.value.len() as u64;
                    }
                }
                let v = s.value();
                if v.is_finite() {
                    c.value_sum += v;
                }
            }
            Ok(_) => {}
            Err(_) => c.errors += 1,
        }
    }
    c
}

fn one(file: &Path, k: usize) {
    let body = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let counts = walk(&body);
    let mut times = Vec::with_capacity(k);
    for _ in 0..k {
        let t = Instant::now();
        black_box(walk(black_box(&body)));
        times.push(t.elapsed().as_nanos() as u64);
    }
    times.sort_unstable();
    println!(
        "parser=promtext bytes={} k={k} median_ns={} min_ns={} samples={} pairs={} pairs_ex={} lv_bytes={} name_bytes={} value_sum={:e} errors={} sink=0",
        body.len(),
        times[k / 2],
        times[0],
        counts.samples,
        counts.pairs,
        counts.pairs_ex,
        counts.lv_bytes,
        counts.name_bytes,
        counts.value_sum,
        counts.errors
    );
}

/// The keys of one program's line.
#[derive(Debug)]
struct Line {
    median_ns: f64,
    counts: Counts,
}

fn parse_line(out: &str) -> Option<Line> {
    let mut c = Counts::default();
    let mut median_ns = None;
    for kv in out.split_whitespace() {
        let (k, v) = kv.split_once('=')?;
        let int = || v.parse::<u64>().ok();
        match k {
            "median_ns" => median_ns = v.parse::<f64>().ok(),
            "samples" => c.samples = int()?,
            "pairs" => c.pairs = int()?,
            "pairs_ex" => c.pairs_ex = int()?,
            "lv_bytes" => c.lv_bytes = int()?,
            "name_bytes" => c.name_bytes = int()?,
            "value_sum" => c.value_sum = v.parse().ok()?,
            "errors" => c.errors = int()?,
            _ => {}
        }
    }
    Some(Line {
        median_ns: median_ns?,
        counts: c,
    })
}

fn agree(a: &Counts, b: &Counts) -> bool {
    let close = (a.value_sum - b.value_sum).abs() <= 1e-9 * a.value_sum.abs().max(1.0);
    Counts {
        value_sum: 0.0,
        ..a.clone()
    } == Counts {
        value_sum: 0.0,
        ..b.clone()
    } && close
}

fn run(cmd: &mut Command) -> Line {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_line(&text).unwrap_or_else(|| panic!("{cmd:?}: unexpected output {text:?}"))
}

/// The round whose ratio is the median of `ratios` (an odd count).
fn median_round(ratios: &[f64]) -> usize {
    let mut order: Vec<usize> = (0..ratios.len()).collect();
    order.sort_by(|&a, &b| ratios[a].total_cmp(&ratios[b]));
    order[order.len() / 2]
}

/// The inputs: every real capture, the Prometheus text-format corpus files, generated bodies.
fn inputs(shared: &Path, out: &Path) -> Vec<(String, PathBuf)> {
    let mut list = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared.join("corpus/envoy"))
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.sort();
    for f in files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "prom"))
    {
        list.push((
            format!("real `{}`", f.file_name().unwrap().to_string_lossy()),
            f,
        ));
    }
    for name in [
        "promtestdata.txt",
        "promtestdata.nometa.txt",
        "alltypes.237mfs.prom.txt",
        "alltypes.237mfs.nometa.prom.txt",
    ] {
        let f = shared.join("corpus/prometheus").join(name);
        if f.is_file() {
            list.push((format!("Prometheus `{name}`"), f));
        }
    }
    std::fs::create_dir_all(out).expect("target/sidebyside");
    let generated: [(&str, &str, GenConfig); 6] = [
        (
            "gen envoy 1 MiB",
            "envoy_1mib.prom",
            GenConfig::envoy().seed(1).target_bytes(1 << 20),
        ),
        (
            "gen envoy 16 MiB",
            "envoy_16mib.prom",
            GenConfig::envoy().seed(7).target_bytes(16 << 20),
        ),
        (
            "gen istio 1 MiB",
            "istio_1mib.prom",
            GenConfig::istio().seed(1).target_bytes(1 << 20),
        ),
        (
            "gen istio 16 MiB",
            "istio_16mib.prom",
            GenConfig::istio().seed(7).target_bytes(16 << 20),
        ),
        (
            "gen envoy 1 MiB, escaped label values",
            "envoy_escapes_1mib.prom",
            GenConfig::envoy()
                .seed(1)
                .target_bytes(1 << 20)
                .escape_rate(0.05),
        ),
        (
            "gen many series per family 1 MiB",
            "many_series_1mib.prom",
            GenConfig::envoy_many_series().seed(1).target_bytes(1 << 20),
        ),
    ];
    for (label, file, cfg) in generated {
        let path = out.join(file);
        std::fs::write(&path, generate(&cfg).text).expect("write a generated body");
        list.push((label.to_string(), path));
    }
    for (label, file, text) in [
        (
            "Go client shape 1 MiB",
            "go_client_1mib.prom",
            go_client(1 << 20),
        ),
        (
            "timestamped 1 MiB",
            "timestamped_1mib.prom",
            timestamped(1 << 20),
        ),
        (
            "UTF-8 label values 1 MiB",
            "utf8_values_1mib.prom",
            utf8_values(1 << 20),
        ),
    ] {
        let path = out.join(file);
        std::fs::write(&path, text).expect("write a generated body");
        list.push((label.to_string(), path));
    }
    list
}

/// A small deterministic generator (xorshift) for the shapes below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a Go client library serves (not Envoy): HELP and TYPE for every family, gauges and
/// counters with shortest-round-trip floats (up to 17 digits), summaries with `NaN`
/// quantiles, a few labels.
fn go_client(bytes: usize) -> String {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = String::new();
    let mut f = 0;
    while out.len() < bytes {
        f += 1;
        let kind = rng.next() % 3;
        let name = format!(
            "app_subsystem_{f}_{}",
            ["seconds", "bytes", "ratio"][kind as usize]
        );
        out.push_str(&format!(
            "# HELP {name} Time spent on the work of subsystem {f}, as seen by the process.\n"
        ));
        if kind == 2 {
            out.push_str(&format!("# TYPE {name} summary\n"));
            for q in ["0", "0.25", "0.5", "0.75", "1"] {
                let v = if rng.next() % 4 == 0 {
                    "NaN".to_string()
                } else {
                    format!("{}", rng.unit() * 1e-3)
                };
                out.push_str(&format!("{name}{{quantile=\"{q}\"}} {v}\n"));
            }
            out.push_str(&format!("{name}_sum {}\n", rng.unit() * 100.0));
            out.push_str(&format!("{name}_count {}\n", rng.next() % 100_000));
        } else {
            out.push_str(&format!("# TYPE {name} gauge\n"));
            for s in 0..1 + rng.next() % 6 {
                let v = rng.unit() * 10f64.powi((rng.next() % 12) as i32);
                out.push_str(&format!(
                    "{name}{{instance=\"10.0.{}.{s}:8080\",job=\"app\"}} {v}\n",
                    f % 256
                ));
            }
        }
    }
    out
}

/// Samples with millisecond timestamps (federation, pushgateway-style exporters).
fn timestamped(bytes: usize) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::new();
    let mut f = 0;
    while out.len() < bytes {
        f += 1;
        let name = format!("http_requests_{f}_total");
        out.push_str(&format!("# TYPE {name} counter\n"));
        for code in ["200", "404", "500"] {
            out.push_str(&format!(
                "{name}{{method=\"GET\",code=\"{code}\"}} {} {}\n",
                rng.next() % 1_000_000_000,
                1_733_500_000_000 + rng.next() % 100_000
            ));
        }
    }
    out
}

/// An application's counters whose label values are people's words (cities, shops, titles):
/// about half of the series hold characters of two, three or four bytes.
fn utf8_values(bytes: usize) -> String {
    const CITIES: [&str; 8] = [
        "München",
        "São Paulo",
        "Zürich",
        "Kraków",
        "東京",
        "Paris",
        "Berlin",
        "Québec",
    ];
    const STORES: [&str; 6] = [
        "Café Zentral",
        "Bäckerei Müller",
        "main",
        "outlet-2",
        "北口店",
        "Crème & Brûlée 🍰",
    ];
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut out = String::new();
    let mut f = 0;
    while out.len() < bytes {
        f += 1;
        let name = format!("shop_orders_{f}_total");
        out.push_str(&format!("# TYPE {name} counter\n"));
        for s in 0..2 + rng.next() % 6 {
            let city = CITIES[(rng.next() % CITIES.len() as u64) as usize];
            let store = STORES[(rng.next() % STORES.len() as u64) as usize];
            out.push_str(&format!(
                "{name}{{city=\"{city}\",store=\"{store}\",channel=\"web-{s}\"}} {}\n",
                rng.next() % 100_000
            ));
        }
    }
    out
}

fn driver() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared");
    let (vm, prom) = (
        shared.join("bench/bin/vmbench"),
        shared.join("bench/bin/promparsebench"),
    );
    if !vm.is_file() || !prom.is_file() {
        eprintln!(
            "note: {} is absent (the peers' programs and the real captures live there); skipping",
            shared.display()
        );
        return;
    }
    let rounds: usize = std::env::var("SIDEBYSIDE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9)
        .max(7)
        | 1;
    let only = std::env::var("SIDEBYSIDE_ONLY").ok();
    let me = std::env::current_exe().expect("current exe");
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin = std::env::var("SIDEBYSIDE_PIN").map_or(true, |v| v != "0")
        && Command::new("taskset")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    // The program on `cpu` (with `taskset`) or wherever the scheduler puts it.
    let on = |cpu: usize, program: &Path| {
        if pin {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpu.to_string()).arg(program);
            c
        } else {
            Command::new(program)
        }
    };
    let out = root.join("target/sidebyside");
    let mut rows = Vec::new();
    for (label, path) in inputs(&shared, &out) {
        if only.as_deref().is_some_and(|o| !label.contains(o)) {
            continue;
        }
        let bytes = std::fs::metadata(&path)
            .map(|m| m.len())
            .unwrap_or(1)
            .max(1);
        // About 32 MiB parsed per process, at least 5 and at most 2,000 parses.
        let k = ((32u64 << 20) / bytes).clamp(5, 2000).to_string();
        let (mut pt, mut vmt, mut prt) = (Vec::new(), Vec::new(), Vec::new());
        let (mut r_vm, mut r_prom) = (Vec::new(), Vec::new());
        let mut samples = 0;
        for round in 0..rounds {
            let mut lines: [Option<Line>; 3] = [None, None, None];
            let cpu = round % cpus;
            for slot in 0..3 {
                let which = (slot + round) % 3;
                let line = match which {
                    0 => run(on(cpu, &me).args(["--one"]).arg(&path).args(["-k", &k])),
                    1 => run(on(cpu, &vm).args(["-k", &k]).arg(&path)),
                    _ => run(on(cpu, &prom)
                        .args(["-mode", "labels", "-k", &k])
                        .arg(&path)),
                };
                lines[which] = Some(line);
            }
            let [Some(p), Some(v), Some(q)] = lines else {
                unreachable!()
            };
            for (peer, l) in [("VictoriaMetrics", &v), ("Prometheus", &q)] {
                assert!(
                    agree(&p.counts, &l.counts),
                    "{label}: counts differ from {peer}: promtext {:?}, {peer} {:?}",
                    p.counts,
                    l.counts
                );
            }
            samples = p.counts.samples;
            r_vm.push(v.median_ns / p.median_ns);
            r_prom.push(q.median_ns / p.median_ns);
            pt.push(p.median_ns);
            vmt.push(v.median_ns);
            prt.push(q.median_ns);
        }
        let mbs = |ns: f64| bytes as f64 / ns * 1e3;
        // Each peer's speeds are those of its median round, so that a row's speeds give its
        // ratio (medians of the speeds taken apart can come from different rounds).
        let (v, q) = (median_round(&r_vm), median_round(&r_prom));
        let row = format!(
            "| {label} | {} | {samples} | {:.0} | {:.0} | **{:.2}** | {:.0} | {:.1} |",
            bytes,
            mbs(pt[v]),
            mbs(vmt[v]),
            r_vm[v],
            mbs(prt[q]),
            r_prom[q],
        );
        eprintln!("{row}");
        rows.push(row);
    }
    let placement = if pin {
        format!("each round's processes on one CPU, rounds rotating over {cpus}")
    } else {
        "processes where the scheduler put them".to_string()
    };
    println!(
        "\n{rounds} rounds, K parses per process (about 32 MiB), {placement}; each ratio is the median of the per-round ratios, the speeds beside it those of that round\n"
    );
    println!(
        "| input | bytes | samples | promtext MB/s | VictoriaMetrics MB/s | promtext ÷ VM | Prometheus (labels) MB/s | promtext ÷ Prometheus |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--one") {
        let file = PathBuf::from(args.get(at + 1).expect("--one FILE"));
        let k = args
            .iter()
            .position(|a| a == "-k")
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        one(&file, k);
        return;
    }
    // `cargo bench` passes `--bench`; a filter or other flags are not used.
    driver();
}
