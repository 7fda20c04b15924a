//! Reading a recording back (`mbx replay`): the manifest, the records of
//! every file in order, and the frames as the items a live connection
//! would have yielded, so a replay prints what `mbx stream` printed.
//!
//! Records are read one at a time (memory stays flat whatever the
//! recording's size). A file cut short (a recorder killed without warning)
//! yields an error for its damaged tail and reading goes on with the next
//! file.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mbx_domain::Error;
use mbx_domain::feed::{Notice, StreamItem};
use mbx_domain::recording::{FORMAT, MANIFEST, Manifest, Record};
use mbx_domain::stream::MarketEvent;

use crate::session::Session;

/// A recording directory, opened.
#[derive(Debug, Clone)]
pub struct Recording {
    dir: PathBuf,
    manifest: Manifest,
}

fn read_error(path: &Path, err: &dyn std::fmt::Display) -> Error {
    Error::invalid_with_hint(
        format!("cannot read `{}`: {err}", path.display()),
        "give the directory `mbx record --out` wrote",
    )
}

impl Recording {
    /// Reads the manifest of the recording in `dir`.
    pub fn open(dir: &Path) -> Result<Recording, Error> {
        let path = dir.join(MANIFEST);
        let text = fs::read(&path).map_err(|err| read_error(&path, &err))?;
        let manifest: Manifest =
            serde_json::from_slice(&text).map_err(|err| read_error(&path, &err))?;
        if manifest.format != FORMAT {
            return Err(read_error(&path, &"not an mbx recording"));
        }
        Ok(Recording {
            dir: dir.to_owned(),
            manifest,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Every record of every file, in recording order.
    pub fn records(&self) -> Records {
        Records {
            files: self
                .manifest
                .files
                .iter()
                .map(|file| self.dir.join(&file.name))
                .collect::<Vec<_>>()
                .into_iter(),
            current: None,
            line: String::new(),
        }
    }
}

type Lines = BufReader<zstd::stream::read::Decoder<'static, BufReader<File>>>;

/// The records of a [`Recording`], one at a time.
pub struct Records {
    files: std::vec::IntoIter<PathBuf>,
    current: Option<(PathBuf, Lines)>,
    line: String,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("file", &self.current.as_ref().map(|(path, _)| path))
            .finish_non_exhaustive()
    }
}

impl Iterator for Records {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some((path, lines)) = self.current.as_mut() else {
                let path = self.files.next()?;
                let opened = File::open(&path)
                    .and_then(zstd::stream::read::Decoder::new)
                    .map_err(|err| read_error(&path, &err));
                match opened {
                    Ok(decoder) => self.current = Some((path, BufReader::new(decoder))),
                    Err(err) => return Some(Err(err)),
                }
                continue;
            };
            self.line.clear();
            match lines.read_line(&mut self.line) {
                Ok(0) => self.current = None,
                Ok(_) if !self.line.ends_with('\n') => {
                    // A last line without its end: the recorder stopped mid-write.
                    let err = read_error(path, &"the file ends in the middle of a record");
                    self.current = None;
                    return Some(Err(err));
                }
                Ok(_) => {
                    return Some(
                        serde_json::from_str(&self.line).map_err(|err| read_error(path, &err)),
                    );
                }
                Err(err) => {
                    let err = read_error(path, &err);
                    self.current = None;
                    return Some(Err(err));
                }
            }
        }
    }
}

/// Turns a recorded frame's text into the item a live connection yields
/// (the WebSocket adapter's decoding; `None` for a control reply). The
/// app passes the adapter's function, as this crate takes no adapter.
pub type Decode<'a> = &'a (dyn Fn(&str) -> Option<StreamItem> + Sync);

/// Plays `recording` to `sink` as [`crate::market_feed::follow`] would
/// have delivered it live: events and raw items decoded by `decode`
/// (`serverShutdown` hidden), and the recorded drops and reconnects as
/// notices. Snapshots are not market-stream items and are skipped. Each
/// event counts one in the session. A damaged record is returned to
/// `on_error` (print a warning), and the replay goes on.
pub fn follow(
    recording: &Recording,
    decode: Decode<'_>,
    session: &mut Session,
    mut on_error: impl FnMut(Error),
    mut sink: impl FnMut(StreamItem) -> ControlFlow<()>,
) {
    let streams = recording.manifest().streams.len();
    for record in recording.records() {
        if session.is_done() {
            break;
        }
        let item = match record {
            Err(err) => {
                on_error(err);
                continue;
            }
            Ok(Record::Frame { text, .. }) => match decode(&text) {
                Some(StreamItem::Event {
                    event: MarketEvent::ServerShutdown(_),
                    ..
                })
                | None => continue,
                Some(item) => {
                    session.count(1);
                    item
                }
            },
            Ok(Record::Connected { connection, .. }) => StreamItem::Notice(Notice::Connected {
                connection,
                streams,
            }),
            Ok(Record::Disconnected {
                connection, reason, ..
            }) => StreamItem::Notice(Notice::Disconnected {
                connection,
                reason,
                retry_in: Duration::ZERO,
            }),
            Ok(Record::Snapshot { .. }) => continue,
        };
        if sink(item).is_break() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use mbx_domain::feed::RawEvent;
    use mbx_domain::recording::FILE_SPAN_MS;

    use super::*;
    use crate::record::RecordingWriter;
    use crate::record::tests::temp_dir;
    use crate::session::Limits;

    fn recording(dir: &Path) {
        let manifest = Manifest::new("ws://127.0.0.1:1".into(), vec!["a".into()], vec![], 0);
        let mut writer = RecordingWriter::create(dir, manifest).unwrap();
        writer.connected(0, 1).unwrap();
        for (n, text) in ["one", "reply", "two"].into_iter().enumerate() {
            let at = n as i64 * FILE_SPAN_MS;
            writer
                .write(&Record::Frame {
                    at,
                    text: text.into(),
                })
                .unwrap();
        }
        writer.disconnected(0, 3 * FILE_SPAN_MS, "gone").unwrap();
        writer
            .write(&Record::Frame {
                at: 3 * FILE_SPAN_MS,
                text: "three".into(),
            })
            .unwrap();
        writer.finish(4 * FILE_SPAN_MS).unwrap();
    }

    fn raw(text: &str) -> Option<StreamItem> {
        (text != "reply").then(|| {
            StreamItem::Raw(RawEvent {
                stream: None,
                payload: text.to_owned(),
                error: None,
            })
        })
    }

    fn payloads(items: &[StreamItem]) -> Vec<String> {
        items
            .iter()
            .map(|item| match item {
                StreamItem::Raw(raw) => raw.payload.clone(),
                StreamItem::Notice(Notice::Connected { .. }) => "connected".into(),
                StreamItem::Notice(Notice::Disconnected { reason, .. }) => reason.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn frames_come_back_decoded_with_the_recorded_notices_and_the_count_holds() {
        let dir = temp_dir("follow");
        recording(&dir);
        let recording = Recording::open(&dir).unwrap();
        let mut seen = Vec::new();
        let mut session = Session::unbounded();
        follow(
            &recording,
            &raw,
            &mut session,
            |err| panic!("{err}"),
            |item| {
                seen.push(item);
                ControlFlow::Continue(())
            },
        );
        assert_eq!(
            payloads(&seen),
            ["connected", "one", "two", "gone", "three"]
        );

        let limits = Limits {
            count: Some(2),
            duration: None,
        };
        let mut session = Session::new(limits, std::future::pending());
        let mut seen = Vec::new();
        follow(
            &recording,
            &raw,
            &mut session,
            |err| panic!("{err}"),
            |item| {
                seen.push(item);
                ControlFlow::Continue(())
            },
        );
        assert_eq!(payloads(&seen), ["connected", "one", "two"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_cut_short_reports_its_tail_and_the_next_file_is_read() {
        let dir = temp_dir("cut");
        recording(&dir);
        let recording = Recording::open(&dir).unwrap();
        let first = dir.join(&recording.manifest().files[0].name);
        let bytes = fs::read(&first).unwrap();
        let mut file = File::create(&first).unwrap();
        file.write_all(&bytes[..bytes.len() - 3]).unwrap();
        drop(file);
        let mut errors = Vec::new();
        let mut seen = Vec::new();
        follow(
            &recording,
            &raw,
            &mut Session::unbounded(),
            |err| errors.push(err.to_string()),
            |item| {
                seen.push(item);
                ControlFlow::Continue(())
            },
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains(&recording.manifest().files[0].name),
            "{errors:?}"
        );
        assert!(payloads(&seen).ends_with(&["two".into(), "gone".into(), "three".into()]));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_without_a_recording_is_an_error_with_a_hint() {
        let dir = temp_dir("none");
        let err = Recording::open(&dir).unwrap_err();
        assert!(err.to_string().contains("manifest.json"), "{err}");
        assert!(err.hint().is_some());
    }
}
