//! Recording market streams to disk (`mbx record`): every frame exactly as
//! received with its local receive time, a REST depth snapshot per symbol
//! at the start and after every reconnect, in zstd-compressed NDJSON files
//! of one hour each, the recorded symbols' `exchangeInfo` (their filters)
//! taken at the start, and a manifest kept current
//! ([`mbx_domain::recording`] is the format).
//!
//! Memory stays bounded however long it runs: records go straight to the
//! compressor, and the manifest grows by one entry per hour and per gap.
//! The compressor is flushed with every summary (once a minute), so a
//! recorder killed without warning loses at most that minute.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mbx_domain::Error;
use mbx_domain::feed::{Notice, StreamItem};
use mbx_domain::model::ExchangeInfo;
use mbx_domain::ports::{MarketData, MarketStreamSource};
use mbx_domain::recording::{
    self, FILE_SPAN_MS, FileEntry, Gap, MANIFEST, Manifest, Record, data_file_name,
};
use tokio::time::Instant;

use crate::session::{Session, Wake};

/// zstd level: 3 is zstd's default, fast enough for a full market feed on
/// one core and several times smaller than the text.
const LEVEL: i32 = 3;

/// Writes a recording directory. Time always comes in as an argument (the
/// record's own `at`), so rotation is decided by the data, not by a clock.
pub struct RecordingWriter {
    dir: PathBuf,
    manifest: Manifest,
    current: Option<Segment>,
    /// Compressed bytes of the closed files.
    closed_bytes: u64,
}

impl std::fmt::Debug for RecordingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingWriter")
            .field("dir", &self.dir)
            .field("files", &self.manifest.files.len())
            .finish_non_exhaustive()
    }
}

struct Segment {
    encoder: zstd::stream::write::Encoder<'static, Counting<BufWriter<File>>>,
    /// `at / FILE_SPAN_MS` of its first record.
    hour: i64,
}

/// Counts the bytes that reach the file.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn file_error(path: &Path, err: &dyn std::fmt::Display) -> Error {
    Error::invalid_with_hint(
        format!("cannot write `{}`: {err}", path.display()),
        "check that the directory is writable and the disk is not full",
    )
}

impl RecordingWriter {
    /// Creates `dir` (if needed) and writes the manifest. A directory that
    /// already holds a recording is refused: nothing is overwritten.
    pub fn create(dir: &Path, manifest: Manifest) -> Result<RecordingWriter, Error> {
        fs::create_dir_all(dir).map_err(|err| file_error(dir, &err))?;
        if dir.join(MANIFEST).exists() {
            return Err(Error::invalid_with_hint(
                format!("`{}` already holds a recording", dir.display()),
                "record into a new directory (e.g. one named after the date)",
            ));
        }
        let writer = RecordingWriter {
            dir: dir.to_owned(),
            manifest,
            current: None,
            closed_bytes: 0,
        };
        writer.write_manifest()?;
        Ok(writer)
    }

    /// The manifest as it stands.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Compressed bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.closed_bytes
            + self
                .current
                .as_ref()
                .map_or(0, |segment| segment.encoder.get_ref().written)
    }

    /// Appends `record`, starting a new file when its hour (UTC) differs
    /// from the open file's. A record earlier than the open file's hour (a
    /// snapshot's answer time can precede frames read meanwhile) stays in
    /// the open file.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let at = record.at();
        let hour = at.div_euclid(FILE_SPAN_MS);
        if self
            .current
            .as_ref()
            .is_none_or(|segment| hour > segment.hour)
        {
            self.rotate(at, hour)?;
        }
        let mut line = serde_json::to_vec(record).map_err(|err| Error::invalid(err.to_string()))?;
        line.push(b'\n');
        let path = self.dir.clone();
        let segment = self.current.as_mut().ok_or(Error::Closed)?;
        segment
            .encoder
            .write_all(&line)
            .map_err(|err| file_error(&path, &err))?;
        if let Some(entry) = self.manifest.files.last_mut() {
            entry.records += 1;
            entry.last_at = entry.last_at.max(at);
        }
        if matches!(record, Record::Frame { .. }) {
            self.manifest.frames += 1;
        }
        Ok(())
    }

    /// Notes a connection that dropped at `at` (a gap opens).
    pub fn disconnected(&mut self, connection: usize, at: i64, reason: &str) -> Result<(), Error> {
        self.write(&Record::Disconnected {
            at,
            connection,
            reason: reason.to_owned(),
        })?;
        let open = self
            .manifest
            .gaps
            .iter()
            .any(|gap| gap.connection == connection && gap.to.is_none());
        if !open {
            self.manifest.gaps.push(Gap {
                connection,
                from: at,
                to: None,
                reason: reason.to_owned(),
            });
        }
        self.flush()
    }

    /// Notes a connection that is up at `at`; closes its gap if one is open
    /// (a reconnect). Returns whether it was a reconnect.
    pub fn connected(&mut self, connection: usize, at: i64) -> Result<bool, Error> {
        self.write(&Record::Connected { at, connection })?;
        let gap = self
            .manifest
            .gaps
            .iter_mut()
            .find(|gap| gap.connection == connection && gap.to.is_none());
        let reconnect = match gap {
            Some(gap) => {
                gap.to = Some(at);
                self.manifest.reconnects += 1;
                true
            }
            None => false,
        };
        if reconnect {
            self.flush()?;
        }
        Ok(reconnect)
    }

    /// Keeps the recorded symbols' `exchangeInfo` in
    /// [`recording::EXCHANGE_INFO`] and names it in the manifest.
    pub fn write_exchange_info(&mut self, info: &ExchangeInfo) -> Result<(), Error> {
        let path = self.dir.join(recording::EXCHANGE_INFO);
        let tmp = self.dir.join(format!("{}.tmp", recording::EXCHANGE_INFO));
        let text =
            serde_json::to_vec_pretty(info).map_err(|err| Error::invalid(err.to_string()))?;
        fs::write(&tmp, text).map_err(|err| file_error(&tmp, &err))?;
        fs::rename(&tmp, &path).map_err(|err| file_error(&path, &err))?;
        self.manifest.exchange_info = Some(recording::EXCHANGE_INFO.to_owned());
        self.write_manifest()
    }

    /// Makes everything written so far readable from the files (a zstd
    /// block boundary) and writes the manifest.
    pub fn flush(&mut self) -> Result<(), Error> {
        if let Some(segment) = self.current.as_mut() {
            segment
                .encoder
                .flush()
                .map_err(|err| file_error(&self.dir, &err))?;
        }
        self.manifest.bytes = self.bytes();
        self.write_manifest()
    }

    /// Closes the open file and finalises the manifest with `ended_at`.
    pub fn finish(mut self, ended_at: i64) -> Result<Manifest, Error> {
        self.close_segment()?;
        self.manifest.ended_at = Some(ended_at);
        self.manifest.bytes = self.closed_bytes;
        self.write_manifest()?;
        Ok(self.manifest)
    }

    fn rotate(&mut self, at: i64, hour: i64) -> Result<(), Error> {
        self.close_segment()?;
        let sequence = u32::try_from(self.manifest.files.len()).unwrap_or(u32::MAX);
        let name = data_file_name(sequence, at);
        let path = self.dir.join(&name);
        let file = File::create_new(&path).map_err(|err| file_error(&path, &err))?;
        let counting = Counting {
            inner: BufWriter::new(file),
            written: 0,
        };
        let encoder = zstd::stream::write::Encoder::new(counting, LEVEL)
            .map_err(|err| file_error(&path, &err))?;
        self.current = Some(Segment { encoder, hour });
        self.manifest.files.push(FileEntry {
            name,
            first_at: at,
            last_at: at,
            records: 0,
        });
        self.flush()
    }

    fn close_segment(&mut self) -> Result<(), Error> {
        if let Some(segment) = self.current.take() {
            let mut counting = segment
                .encoder
                .finish()
                .map_err(|err| file_error(&self.dir, &err))?;
            counting
                .flush()
                .map_err(|err| file_error(&self.dir, &err))?;
            self.closed_bytes += counting.written;
        }
        Ok(())
    }

    /// Written to a temporary file and renamed, so a reader never sees half
    /// a manifest.
    fn write_manifest(&self) -> Result<(), Error> {
        let path = self.dir.join(MANIFEST);
        let tmp = self.dir.join(format!("{MANIFEST}.tmp"));
        let text = serde_json::to_vec_pretty(&self.manifest)
            .map_err(|err| Error::invalid(err.to_string()))?;
        fs::write(&tmp, text).map_err(|err| file_error(&tmp, &err))?;
        fs::rename(&tmp, &path).map_err(|err| file_error(&path, &err))
    }
}

/// What to record, and where.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// The recording directory (created; must not hold a recording yet).
    pub dir: PathBuf,
    /// The WebSocket Streams base URL, for the manifest.
    pub host: String,
    /// The streams, Binance's names.
    pub streams: Vec<String>,
    /// How often a [`RecordOutput::Summary`] is emitted (and the files
    /// flushed): a minute in `mbx record`.
    pub summary_every: Duration,
    /// Levels per depth snapshot (`limit` of `GET /api/v3/depth`).
    pub snapshot_limit: u32,
}

/// What the recorder reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordOutput {
    /// The recording started: the manifest is written.
    Started {
        /// The symbols whose depth snapshots are taken.
        snapshot_symbols: Vec<String>,
    },
    /// Every `summary_every`, and once at the end.
    Summary(Summary),
    /// A depth snapshot could not be taken (the book of that symbol cannot
    /// be rebuilt from this point of the recording until the next one).
    SnapshotFailed {
        /// The symbol.
        symbol: String,
        /// Why.
        reason: String,
    },
    /// `GET /api/v3/exchangeInfo` failed at the start: the recording has
    /// no filters of its symbols (a replay serves loose ones).
    ExchangeInfoFailed {
        /// Why.
        reason: String,
    },
    /// A connection notice (connected, dropped, rotated).
    Notice(Notice),
}

/// How far a recording has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Frames recorded in total.
    pub frames: u64,
    /// Frames since the previous summary.
    pub frames_since: u64,
    /// Compressed bytes written.
    pub bytes: u64,
    /// Gaps (connections that dropped) so far.
    pub gaps: usize,
    /// Data files so far.
    pub files: usize,
}

fn now_ms() -> i64 {
    millis(SystemTime::now())
}

fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    })
}

/// Records `options.streams` from `source` (which must deliver frames:
/// [`StreamItem::Frame`]) until the session ends or the feed does, taking
/// depth snapshots through `market`. The files are closed and the manifest
/// finalised on every way out but a failure to write, which is returned
/// after closing what can be closed.
pub async fn record(
    source: &dyn MarketStreamSource,
    market: &dyn MarketData,
    options: &RecordOptions,
    session: &mut Session,
    mut report: impl FnMut(RecordOutput) -> ControlFlow<()>,
) -> Result<Manifest, Error> {
    let symbols = recording::snapshot_symbols(&options.streams);
    let manifest = Manifest::new(
        options.host.clone(),
        options.streams.clone(),
        symbols.clone(),
        now_ms(),
    );
    let mut writer = RecordingWriter::create(&options.dir, manifest)?;
    let mut feed = match source.subscribe(&options.streams).await {
        Ok(feed) => feed,
        Err(err) => {
            let _ = writer.finish(now_ms());
            return Err(err);
        }
    };
    if report(RecordOutput::Started {
        snapshot_symbols: symbols.clone(),
    })
    .is_break()
    {
        return writer.finish(now_ms());
    }
    let mut last_summary_frames = 0;
    let mut snapshots_taken = false;
    let mut next_summary = Instant::now() + options.summary_every;
    let result = loop {
        match session.wait(&mut feed, Some(next_summary)).await {
            Wake::Item(Some(StreamItem::Frame(frame))) => {
                let record = Record::Frame {
                    at: millis(frame.received_at),
                    text: frame.text,
                };
                if let Err(err) = writer.write(&record) {
                    break Err(err);
                }
                session.count(1);
            }
            Wake::Item(Some(StreamItem::Notice(notice))) => {
                let step = on_notice(
                    &mut writer,
                    market,
                    options,
                    &symbols,
                    &notice,
                    &mut snapshots_taken,
                    &mut report,
                )
                .await;
                match step {
                    Err(err) => break Err(err),
                    Ok(ControlFlow::Break(())) => break Ok(()),
                    Ok(ControlFlow::Continue(())) => {}
                }
                if report(RecordOutput::Notice(notice)).is_break() {
                    break Ok(());
                }
            }
            // Typed events and raw items are not recorded: the frames are.
            Wake::Item(Some(_)) => {}
            Wake::Item(None) | Wake::Done => break Ok(()),
            Wake::Timer => {
                next_summary = Instant::now() + options.summary_every;
                if let Err(err) = writer.flush() {
                    break Err(err);
                }
                let summary = summary(&writer, last_summary_frames);
                last_summary_frames = summary.frames;
                if report(RecordOutput::Summary(summary)).is_break() {
                    break Ok(());
                }
            }
        }
    };
    drop(feed);
    let last = summary(&writer, last_summary_frames);
    let finished = writer.finish(now_ms());
    match (result, finished) {
        (Err(err), _) | (Ok(()), Err(err)) => Err(err),
        (Ok(()), Ok(manifest)) => {
            let _ = report(RecordOutput::Summary(Summary {
                bytes: manifest.bytes,
                ..last
            }));
            Ok(manifest)
        }
    }
}

fn summary(writer: &RecordingWriter, previous_frames: u64) -> Summary {
    let manifest = writer.manifest();
    Summary {
        frames: manifest.frames,
        frames_since: manifest.frames - previous_frames,
        bytes: writer.bytes(),
        gaps: manifest.gaps.len(),
        files: manifest.files.len(),
    }
}

/// Connected: a snapshot per symbol when it is the first connection or a
/// reconnect (a rotation loses nothing and takes none). Disconnected: a gap.
async fn on_notice(
    writer: &mut RecordingWriter,
    market: &dyn MarketData,
    options: &RecordOptions,
    symbols: &[String],
    notice: &Notice,
    snapshots_taken: &mut bool,
    report: &mut impl FnMut(RecordOutput) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, Error> {
    match notice {
        Notice::Connected { connection, .. } => {
            let reconnect = writer.connected(*connection, now_ms())?;
            // The first connection of the recording, or any reconnect.
            if !*snapshots_taken {
                // The filters of every recorded symbol, once, at the start.
                let all = recording::stream_symbols(&options.streams);
                if !all.is_empty() {
                    match market.exchange_info(&all).await {
                        Ok(info) => writer.write_exchange_info(&info)?,
                        Err(err) => {
                            let failed = RecordOutput::ExchangeInfoFailed {
                                reason: err.to_string(),
                            };
                            if report(failed).is_break() {
                                return Ok(ControlFlow::Break(()));
                            }
                        }
                    }
                }
            }
            if reconnect || !*snapshots_taken {
                *snapshots_taken = true;
                for symbol in symbols {
                    match market.depth(symbol, Some(options.snapshot_limit)).await {
                        Ok(depth) => writer.write(&Record::Snapshot {
                            at: now_ms(),
                            symbol: symbol.clone(),
                            depth,
                        })?,
                        Err(err) => {
                            let failed = RecordOutput::SnapshotFailed {
                                symbol: symbol.clone(),
                                reason: err.to_string(),
                            };
                            if report(failed).is_break() {
                                return Ok(ControlFlow::Break(()));
                            }
                        }
                    }
                }
                writer.flush()?;
            }
        }
        Notice::Disconnected {
            connection, reason, ..
        } => writer.disconnected(*connection, now_ms(), reason)?,
        _ => {}
    }
    Ok(ControlFlow::Continue(()))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use futures_util::StreamExt as _;
    use mbx_domain::feed::ReceivedFrame;
    use mbx_domain::model::{Depth, Level};
    use mbx_domain::ports::{MockMarketData, MockMarketStreamSource};

    use super::*;
    use crate::replay::Recording;
    use crate::session::Limits;

    /// A fresh directory under the system's temporary directory.
    pub(crate) fn temp_dir(name: &str) -> PathBuf {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mbx-record-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn exchange_info() -> ExchangeInfo {
        serde_json::from_str(
            r#"{"timezone":"UTC","serverTime":1,"symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"1000000","tickSize":"0.01"}]}]}"#,
        )
        .unwrap()
    }

    fn manifest() -> Manifest {
        Manifest::new(
            "ws://127.0.0.1:1".into(),
            vec!["btcusdt@trade".into()],
            vec!["BTCUSDT".into()],
            0,
        )
    }

    fn frame(at: i64, n: u64) -> Record {
        Record::Frame {
            at,
            text: format!(
                r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","t":{n},"p":"1.10"}}}}"#
            ),
        }
    }

    #[test]
    fn a_new_file_every_hour_and_records_read_back_in_order() {
        let dir = temp_dir("rotation");
        let mut writer = RecordingWriter::create(&dir, manifest()).unwrap();
        let hour = FILE_SPAN_MS;
        // 10:59:59.999, 11:00:00.000, a late snapshot answer stamped 10:59,
        // then 13:00 (an hour with nothing in it gets no file).
        let times = [10 * hour - 1, 10 * hour, 10 * hour - 60_000, 12 * hour + 5];
        let mut written = Vec::new();
        for (n, at) in times.into_iter().enumerate() {
            let record = frame(at, n as u64);
            writer.write(&record).unwrap();
            written.push(record);
        }
        let manifest = writer.finish(12 * hour + 10).unwrap();
        let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "0000-19700101T09.ndjson.zst",
                "0001-19700101T10.ndjson.zst",
                "0002-19700101T12.ndjson.zst"
            ]
        );
        let records: Vec<u64> = manifest.files.iter().map(|f| f.records).collect();
        assert_eq!(records, [1, 2, 1]);
        assert_eq!(
            (manifest.frames, manifest.ended_at),
            (4, Some(12 * hour + 10))
        );
        let on_disk: Manifest =
            serde_json::from_slice(&fs::read(dir.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(on_disk, manifest);
        assert!(manifest.bytes > 0);
        let recording = Recording::open(&dir).unwrap();
        let read: Vec<Record> = recording.records().map(Result::unwrap).collect();
        assert_eq!(read, written);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_with_a_recording_is_not_overwritten() {
        let dir = temp_dir("twice");
        let writer = RecordingWriter::create(&dir, manifest()).unwrap();
        writer.finish(1).unwrap();
        let err = RecordingWriter::create(&dir, manifest()).unwrap_err();
        assert!(
            err.to_string().contains("already holds a recording"),
            "{err}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn gaps_open_at_a_drop_and_close_at_the_reconnect() {
        let dir = temp_dir("gaps");
        let mut writer = RecordingWriter::create(&dir, manifest()).unwrap();
        assert!(!writer.connected(0, 1).unwrap());
        writer.disconnected(0, 5, "reset").unwrap();
        // A second notice of the same drop opens no second gap.
        writer.disconnected(0, 6, "reset").unwrap();
        assert!(writer.connected(0, 9).unwrap());
        let manifest = writer.finish(10).unwrap();
        assert_eq!(manifest.reconnects, 1);
        assert_eq!(
            manifest.gaps,
            [Gap {
                connection: 0,
                from: 5,
                to: Some(9),
                reason: "reset".into()
            }]
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    fn depth(id: u64) -> Depth {
        Depth {
            last_update_id: id,
            bids: vec![Level("1.00".parse().unwrap(), "2".parse().unwrap())],
            asks: vec![Level("1.10".parse().unwrap(), "3".parse().unwrap())],
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_summary_every_interval_and_one_at_the_end() {
        let dir = temp_dir("summary");
        let items = futures_util::stream::iter(vec![StreamItem::Frame(ReceivedFrame {
            stream: None,
            text: "frame".into(),
            received_at: UNIX_EPOCH + Duration::from_millis(1),
        })])
        .chain(futures_util::stream::pending());
        let mut source = MockMarketStreamSource::new();
        source
            .expect_subscribe()
            .return_once(move |_| Ok(Box::pin(items)));
        let options = RecordOptions {
            dir: dir.clone(),
            host: "ws://127.0.0.1:1".into(),
            streams: vec!["btcusdt@trade".into()],
            summary_every: Duration::from_secs(60),
            snapshot_limit: 100,
        };
        let limits = Limits {
            count: None,
            duration: Some(Duration::from_secs(150)),
        };
        let mut session = Session::new(limits, std::future::pending());
        let mut summaries = Vec::new();
        record(
            &source,
            &MockMarketData::new(),
            &options,
            &mut session,
            |output| {
                if let RecordOutput::Summary(summary) = output {
                    summaries.push((summary.frames, summary.frames_since));
                }
                ControlFlow::Continue(())
            },
        )
        .await
        .unwrap();
        // At 60 s, at 120 s, and the last one when the session ends.
        assert_eq!(summaries, [(1, 1), (1, 0), (1, 0)]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn records_frames_and_a_snapshot_at_start_and_after_a_reconnect() {
        let dir = temp_dir("use-case");
        let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
        let items = vec![
            StreamItem::Notice(Notice::Connected {
                connection: 0,
                streams: 2,
            }),
            StreamItem::Frame(ReceivedFrame {
                stream: Some("btcusdt@trade".into()),
                text: "first".into(),
                received_at: at(1_000),
            }),
            StreamItem::Notice(Notice::Disconnected {
                connection: 0,
                reason: "reset by peer".into(),
                retry_in: Duration::from_millis(10),
            }),
            StreamItem::Notice(Notice::Connected {
                connection: 0,
                streams: 2,
            }),
            StreamItem::Frame(ReceivedFrame {
                stream: Some("btcusdt@depth".into()),
                text: "second".into(),
                received_at: at(2_000),
            }),
        ];
        let mut source = MockMarketStreamSource::new();
        source
            .expect_subscribe()
            .times(1)
            .return_once(move |_| Ok(Box::pin(futures_util::stream::iter(items))));
        let mut market = MockMarketData::new();
        let mut next_id = 10;
        market
            .expect_depth()
            .times(2)
            .returning(move |symbol, limit| {
                assert_eq!((symbol, limit), ("BTCUSDT", Some(100)));
                next_id += 10;
                Ok(depth(next_id))
            });
        market.expect_exchange_info().times(1).returning(|symbols| {
            assert_eq!(symbols, ["BTCUSDT"]);
            Ok(exchange_info())
        });
        let options = RecordOptions {
            dir: dir.clone(),
            host: "ws://127.0.0.1:1".into(),
            streams: vec!["btcusdt@trade".into(), "btcusdt@depth".into()],
            summary_every: Duration::from_secs(60),
            snapshot_limit: 100,
        };
        let mut session = Session::new(Limits::default(), std::future::pending());
        let mut outputs = Vec::new();
        let manifest = record(&source, &market, &options, &mut session, |output| {
            outputs.push(output);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
        assert_eq!(
            (manifest.frames, manifest.reconnects, manifest.gaps.len()),
            (2, 1, 1)
        );
        assert!(manifest.ended_at.is_some());
        // The filters, kept beside the data and named in the manifest.
        assert_eq!(
            manifest.exchange_info.as_deref(),
            Some(recording::EXCHANGE_INFO)
        );
        let kept: ExchangeInfo =
            serde_json::from_slice(&fs::read(dir.join(recording::EXCHANGE_INFO)).unwrap()).unwrap();
        assert_eq!(kept, exchange_info());
        assert!(matches!(
            outputs.last(),
            Some(RecordOutput::Summary(Summary {
                frames: 2,
                gaps: 1,
                ..
            }))
        ));
        let records: Vec<Record> = Recording::open(&dir)
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect();
        let kinds: Vec<String> = records
            .iter()
            .map(|record| match record {
                Record::Frame { text, .. } => format!("frame {text}"),
                Record::Snapshot { depth, .. } => format!("snapshot {}", depth.last_update_id),
                Record::Disconnected { .. } => "disconnected".into(),
                Record::Connected { .. } => "connected".into(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "connected",
                "snapshot 20",
                "frame first",
                "disconnected",
                "connected",
                "snapshot 30",
                "frame second"
            ]
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
