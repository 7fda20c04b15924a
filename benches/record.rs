//! Recording and replaying market frames: `mbx record`'s writer (every
//! frame as a JSON record, zstd, hourly files, manifest) against a plain
//! NDJSON write of the same records without compression, and reading back
//! (`mbx replay`'s reader; the sandbox's replay source with the matching
//! engine applying each trade and diff) against a plain NDJSON read, all in
//! the same run.
//!
//! Frames: a realistic mix, four `@trade` frames per `@depth@100ms` diff
//! with 20 + 20 levels, each a distinct trade ID and update ID.
//!
//! Run: `cargo bench -p mbx-benches --bench record`. Figures: BENCHMARKS.md.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mbx_benches::frames::{TRADE, depth_update};
use mbx_client::record::RecordingWriter;
use mbx_client::replay::Recording;
use mbx_domain::model::{Depth, Level};
use mbx_domain::recording::{Manifest, Record};
use mbx_sandbox::engine::{Commission, Engine};
use mbx_sandbox::market::{Market, default_symbols};
use mbx_sandbox::replay::{Replay, ReplayConfig, Speed};

const FRAMES: usize = 20_000;
const T0: i64 = 1_732_550_400_000;

/// The records of a recording: a snapshot, then the frames.
fn records() -> Vec<Record> {
    let price = |n: i64| format!("96{:03}.{:02}000000", 800 + n / 100, n % 100);
    let snapshot = Record::Snapshot {
        at: T0,
        symbol: "BTCUSDT".to_owned(),
        depth: Depth {
            last_update_id: 61_234_567_889,
            bids: (0..100)
                .map(|n| Level(price(5000 - n).parse().unwrap(), "0.5".parse().unwrap()))
                .collect(),
            asks: (0..100)
                .map(|n| Level(price(5001 + n).parse().unwrap(), "0.5".parse().unwrap()))
                .collect(),
        },
    };
    let depth = depth_update(20);
    let mut records = vec![snapshot];
    for n in 0..FRAMES {
        let at = T0 + n as i64;
        let text = if n % 5 == 4 {
            // Each diff follows the previous one.
            let id = 61_234_567_890 + (n / 5) as u64 * 23;
            depth
                .replace("61234567890", &id.to_string())
                .replace("61234567912", &(id + 22).to_string())
        } else {
            let trade = TRADE.replace("4398046511", &(4_398_046_511 + n as u64).to_string());
            format!(r#"{{"stream":"btcusdt@trade","data":{trade}}}"#)
        };
        records.push(Record::Frame { at, text });
    }
    records
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mbx-bench-record-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn manifest() -> Manifest {
    Manifest::new(
        "ws://127.0.0.1:1".to_owned(),
        vec!["btcusdt@trade".to_owned(), "btcusdt@depth@100ms".to_owned()],
        vec!["BTCUSDT".to_owned()],
        T0,
    )
}

fn write_recording(dir: &Path, records: &[Record]) {
    let _ = std::fs::remove_dir_all(dir);
    let mut writer = RecordingWriter::create(dir, manifest()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    writer.finish(T0 + FRAMES as i64).unwrap();
}

fn write_plain(path: &Path, records: &[Record]) {
    let mut file = BufWriter::new(File::create(path).unwrap());
    for record in records {
        serde_json::to_writer(&mut file, record).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.flush().unwrap();
}

fn record(c: &mut Criterion) {
    let records = records();
    let dir = scratch("write");
    let mut group = c.benchmark_group("record_frames");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("mbx_recorder_zstd", |b| {
        b.iter(|| write_recording(&dir.join("rec"), black_box(&records)))
    });
    std::fs::create_dir_all(&dir).unwrap();
    group.bench_function("plain_ndjson_write", |b| {
        b.iter(|| write_plain(&dir.join("plain.ndjson"), black_box(&records)))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn replay(c: &mut Criterion) {
    let records = records();
    let dir = scratch("read");
    write_recording(&dir.join("rec"), &records);
    let plain = dir.join("plain.ndjson");
    write_plain(&plain, &records);
    let compressed: u64 = std::fs::read_dir(dir.join("rec"))
        .unwrap()
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum();
    eprintln!(
        "{} records: {} bytes compressed (manifest included), {} bytes plain",
        records.len(),
        compressed,
        std::fs::metadata(&plain).unwrap().len()
    );

    let mut group = c.benchmark_group("replay_frames");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("mbx_reader_zstd", |b| {
        b.iter(|| {
            let recording = Recording::open(&dir.join("rec")).unwrap();
            black_box(recording.records().filter(Result::is_ok).count())
        })
    });
    group.bench_function("sandbox_replay_into_engine_max", |b| {
        b.iter_batched(
            || {
                let config = ReplayConfig {
                    dir: dir.join("rec"),
                    speed: Speed::Max,
                    looped: false,
                    start_now: true,
                };
                let mut replay = Replay::open(config).unwrap();
                replay.start(T0);
                let market = Market::replaying(T0, default_symbols());
                let commission = Commission {
                    maker: "0.001".parse().unwrap(),
                    taker: "0.001".parse().unwrap(),
                };
                (replay, Engine::new(market, commission))
            },
            |(mut replay, mut engine)| {
                let mut events = Vec::new();
                while let Some(event) = replay.next_due(T0) {
                    engine.apply_replay(&event, T0, &mut events);
                    events.clear();
                }
                black_box(replay.applied())
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("plain_ndjson_read", |b| {
        b.iter(|| {
            let mut count = 0;
            let mut line = String::new();
            let mut file = BufReader::new(File::open(&plain).unwrap());
            while file.read_line(&mut line).unwrap() > 0 {
                if serde_json::from_str::<Record>(&line).is_ok() {
                    count += 1;
                }
                line.clear();
            }
            black_box(count)
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, record, replay);
criterion_main!(benches);
