//! Criterion benchmarks: `World::apply` per operation, exploration
//! (transitions per second; the visited set's bytes per state are printed
//! once), fuzzing with every invariant, and `check` over the scenario
//! library. Figures and the command are in `docs/performance.md`.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use std::path::{Path, PathBuf};

use bits::Profile;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use explore::fuzz::{fuzz, FuzzConfig};
use explore::models::{helper_tokens, HelperTokens};
use explore::search::{explore, Config, Level};
use explore::Model;

/// The allocator the `bitsim` binary uses, so that the figures are the
/// binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn model() -> explore::WorldModel {
    match helper_tokens(Profile::Win10_1607, None, HelperTokens::default()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("model: {e}");
            std::process::exit(2)
        }
    }
}

fn silent(_: Level) {}

fn apply(c: &mut Criterion) {
    let m = model();
    let world = m.initial();
    let ops = m.enabled_ops(&world);
    let mut g = c.benchmark_group("apply");
    g.throughput(Throughput::Elements(ops.len() as u64));
    g.bench_function("every enabled op of the initial world", |b| {
        b.iter_batched(
            || world.clone(),
            |w| {
                for op in &ops {
                    let mut w = w.clone();
                    m.apply(&mut w, op);
                }
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

fn exploration(c: &mut Criterion) {
    let m = model();
    let config = Config {
        depth: 5,
        threads: 1,
        shard: None,
    };
    let report = explore(&m, &config, &silent);
    println!(
        "explore depth 5: {} states, {} transitions, visited set {} bytes ({:.1} bytes/state), frontier at most {} bytes",
        report.states,
        report.transitions,
        report.visited_bytes,
        report.visited_bytes as f64 / report.states as f64,
        report.frontier_bytes
    );
    let mut g = c.benchmark_group("explore");
    g.sample_size(10);
    g.throughput(Throughput::Elements(report.transitions));
    g.bench_function("helper-tokens win10-1607 depth 5, one thread", |b| {
        b.iter(|| explore(&m, &config, &silent));
    });
    g.finish();
}

fn fuzzing(c: &mut Criterion) {
    let m = model();
    let config = FuzzConfig {
        seed: 1,
        cases: 64,
        steps: 24,
        shard: None,
    };
    let ops = fuzz(&m, &config).ops;
    let mut g = c.benchmark_group("fuzz");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ops));
    g.bench_function("64 cases of up to 24 ops, every invariant", |b| {
        b.iter(|| fuzz(&m, &config));
    });
    g.finish();
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

fn check(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(p).ok()?)))
        .collect();
    let mut g = c.benchmark_group("check");
    g.sample_size(10);
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("the scenario library", |b| {
        b.iter(|| {
            let mut passed = 0;
            for (name, text) in &texts {
                if let Ok(s) = runner::load(name, text) {
                    if let Ok(runs) = runner::run(&s, name, text, None) {
                        passed += usize::from(runs.iter().all(runner::Run::passed));
                    }
                }
            }
            passed
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = apply, exploration, fuzzing, check
}
criterion_main!(benches);
