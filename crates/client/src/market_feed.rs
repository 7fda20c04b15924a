//! Market streams, live: the events of the streams asked for and notices
//! about the connections, until the session ends; stream names checked
//! before connecting, and a notice when a stream stays silent longer than
//! its documented update interval allows.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::Duration;

use mbx_domain::Error;
use mbx_domain::feed::{Notice, StreamItem};
use mbx_domain::ports::{MarketData, MarketStreamSource};
use mbx_domain::stream::MarketEvent;
use mbx_domain::stream_name::{self, StreamName};
use tokio::time::Instant;

use crate::session::{Session, Wake};

/// Checks stream names before connecting: each must be a documented
/// stream name ([`stream_name::parse`]: known type, lowercase symbol) for a
/// symbol listed in `exchangeInfo` (one request, weight 20). Binance would
/// accept a well-formed name it cannot serve and stay silent for ever; here
/// a typo is an error naming the nearest valid name.
pub async fn check_streams(
    market: &dyn MarketData,
    names: &[String],
) -> Result<Vec<StreamName>, Error> {
    let mut parsed = Vec::with_capacity(names.len());
    for name in names {
        let stream = stream_name::parse(name).map_err(|err| match &err.suggestion {
            Some(suggestion) => {
                Error::invalid_with_hint(err.to_string(), format!("use `{suggestion}`"))
            }
            None => Error::invalid_with_hint(
                err.to_string(),
                "stream names are in web-socket-streams.md, e.g. `btcusdt@aggTrade`, `btcusdt@kline_1m`, `!miniTicker@arr`",
            ),
        })?;
        parsed.push(stream);
    }
    if parsed.iter().all(|stream| stream.symbol.is_none()) {
        return Ok(parsed);
    }
    let info = market.exchange_info(&[]).await?;
    let listed: Vec<String> = info
        .symbols
        .iter()
        .map(|symbol| symbol.symbol.to_lowercase())
        .collect();
    for (name, stream) in names.iter().zip(&parsed) {
        let Some(symbol) = &stream.symbol else {
            continue;
        };
        if !listed.iter().any(|listed| listed == symbol) {
            let nearest = stream_name::nearest(symbol, listed.iter().map(String::as_str));
            let kind = name.split_once('@').map_or("", |(_, kind)| kind);
            let reason = format!(
                "`{name}`: no symbol `{}` in exchangeInfo",
                symbol.to_uppercase()
            );
            return Err(match nearest {
                Some(nearest) => {
                    Error::invalid_with_hint(reason, format!("use `{nearest}@{kind}`"))
                }
                None => Error::invalid_with_hint(
                    reason,
                    "list the symbols with `mbx api GET /api/v3/exchangeInfo`",
                ),
            });
        }
    }
    Ok(parsed)
}

/// A silence worth a notice: twice the documented interval, and never
/// less than this (a quiet market sends less than its interval).
pub(crate) const MIN_SILENCE: Duration = Duration::from_secs(5);

/// When each interval-paced stream was last heard of.
pub(crate) struct Silence {
    /// Stream name → (threshold, last heard, already said).
    streams: HashMap<String, (Duration, Duration, Instant, bool)>,
}

impl Silence {
    pub(crate) fn new(streams: &[String], now: Instant) -> Silence {
        let streams = streams
            .iter()
            .filter_map(|name| {
                let every = stream_name::parse(name).ok()?.kind.update_interval()?;
                let threshold = (every * 2).max(MIN_SILENCE);
                Some((name.clone(), (threshold, every, now, false)))
            })
            .collect();
        Silence { streams }
    }

    pub(crate) fn heard(&mut self, stream: Option<&str>, now: Instant) {
        match stream {
            Some(stream) => {
                if let Some(entry) = self.streams.get_mut(stream) {
                    entry.2 = now;
                    entry.3 = false;
                }
            }
            // A raw connection carries one stream: any event is from it.
            None if self.streams.len() == 1 => {
                for entry in self.streams.values_mut() {
                    entry.2 = now;
                    entry.3 = false;
                }
            }
            None => {}
        }
    }

    /// When the next notice may be due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.streams
            .values()
            .filter(|entry| !entry.3)
            .map(|(threshold, _, last, _)| *last + *threshold)
            .min()
    }

    /// The notices due now, each once per silence.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<Notice> {
        let mut notices = Vec::new();
        for (name, (threshold, every, last, said)) in &mut self.streams {
            if !*said && now >= *last + *threshold {
                *said = true;
                notices.push(Notice::Silent {
                    stream: name.clone(),
                    silent_for: now - *last,
                    expected_every: *every,
                });
            }
        }
        notices.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        notices
    }
}

/// Follows `streams` until the session ends (each event, raw payload or
/// frame counts one; a frame and the event decoded from it count once) or
/// `sink` breaks. `serverShutdown` is not handed on: it is the connection's
/// business, and the reconnect that follows is a notice. A stream with a
/// documented update interval that stays silent for twice that (at least
/// 5 s) yields a [`Notice::Silent`], once per silence.
///
/// ```no_run
/// use std::ops::ControlFlow;
/// use mbx_client::market_feed::follow;
/// use mbx_client::session::{Limits, Session};
/// use mbx_domain::feed::StreamItem;
/// # async fn run(source: &dyn mbx_domain::ports::MarketStreamSource) -> Result<(), mbx_domain::Error> {
/// let mut session = Session::new(Limits { count: Some(10), duration: None }, std::future::pending());
/// follow(source, &["btcusdt@aggTrade".to_owned()], &mut session, |item| {
///     if let StreamItem::Event { event, .. } = item {
///         println!("{event:?}");
///     }
///     ControlFlow::Continue(())
/// })
/// .await?;
/// # Ok(())
/// # }
/// ```
pub async fn follow(
    source: &dyn MarketStreamSource,
    streams: &[String],
    session: &mut Session,
    mut sink: impl FnMut(StreamItem) -> ControlFlow<()>,
) -> Result<(), Error> {
    let mut feed = source.subscribe(streams).await?;
    let mut silence = Silence::new(streams, Instant::now());
    // With frames and events both delivered, a frame and its event count once.
    let mut after_frame = false;
    loop {
        let item = match session.wait(&mut feed, silence.next_due()).await {
            Wake::Item(Some(item)) => item,
            Wake::Item(None) | Wake::Done => break,
            Wake::Timer => {
                for notice in silence.due(Instant::now()) {
                    if sink(StreamItem::Notice(notice)).is_break() {
                        return Ok(());
                    }
                }
                continue;
            }
        };
        match &item {
            StreamItem::Event {
                event: MarketEvent::ServerShutdown(_),
                ..
            } => continue,
            StreamItem::Event { stream, .. } => {
                silence.heard(stream.as_deref(), Instant::now());
                if !after_frame {
                    session.count(1);
                }
                after_frame = false;
            }
            StreamItem::Raw(raw) => {
                silence.heard(raw.stream.as_deref(), Instant::now());
                if !after_frame {
                    session.count(1);
                }
                after_frame = false;
            }
            StreamItem::Frame(frame) => {
                silence.heard(frame.stream.as_deref(), Instant::now());
                session.count(1);
                after_frame = true;
            }
            _ => {}
        }
        if sink(item).is_break() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt as _;
    use mbx_domain::ports::{MockMarketData, MockMarketStreamSource};
    use mbx_domain::stream::{AggTrade, ServerShutdown};

    use super::*;
    use crate::session::Limits;

    fn trade(id: u64) -> StreamItem {
        StreamItem::Event {
            stream: Some("btcusdt@aggTrade".into()),
            event: MarketEvent::AggTrade(AggTrade {
                event_time: 1,
                symbol: "BTCUSDT".into(),
                agg_trade_id: id,
                price: "1".parse().unwrap(),
                quantity: "1".parse().unwrap(),
                first_trade_id: id,
                last_trade_id: id,
                trade_time: 1,
                buyer_is_maker: false,
            }),
        }
    }

    fn listing(symbols: &[&str]) -> mbx_domain::model::ExchangeInfo {
        let rows: Vec<String> = symbols
            .iter()
            .map(|symbol| {
                format!(
                    r#"{{"symbol":"{symbol}","status":"TRADING","baseAsset":"X","quoteAsset":"Y"}}"#
                )
            })
            .collect();
        serde_json::from_str(&format!(
            r#"{{"serverTime":0,"symbols":[{}]}}"#,
            rows.join(",")
        ))
        .unwrap()
    }

    async fn check(names: &[&str]) -> Result<usize, Error> {
        let mut market = MockMarketData::new();
        market
            .expect_exchange_info()
            .returning(|_| Ok(listing(&["BTCUSDT", "ETHUSDT"])));
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        check_streams(&market, &names)
            .await
            .map(|parsed| parsed.len())
    }

    #[tokio::test]
    async fn stream_names_are_checked_with_the_nearest_valid_name() {
        assert_eq!(
            check(&[
                "btcusdt@aggTrade",
                "ethusdt@kline_1m@+08:00",
                "!miniTicker@arr"
            ])
            .await,
            Ok(3)
        );
        let err = check(&["btcusdt@aggtrade"]).await.unwrap_err();
        assert_eq!(err.hint().unwrap().to_string(), "use `btcusdt@aggTrade`");
        let err = check(&["BTCUSDT@trade"]).await.unwrap_err();
        assert_eq!(err.hint().unwrap().to_string(), "use `btcusdt@trade`");
        let err = check(&["btcusdc@trade"]).await.unwrap_err();
        assert!(err.to_string().contains("no symbol `BTCUSDC`"), "{err}");
        assert_eq!(err.hint().unwrap().to_string(), "use `btcusdt@trade`");
        assert!(check(&["btcusdt@orderbook"]).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_stream_is_said_once_per_silence() {
        let mut source = MockMarketStreamSource::new();
        source.expect_subscribe().returning(|_| {
            // One ticker, then nothing for ever.
            let ticker = StreamItem::Raw(mbx_domain::feed::RawEvent {
                stream: Some("btcusdt@avgPrice".into()),
                payload: "{}".into(),
                error: None,
            });
            Ok(Box::pin(
                futures_util::stream::iter(vec![ticker]).chain(futures_util::stream::pending()),
            ))
        });
        let limits = Limits {
            count: None,
            duration: Some(Duration::from_secs(60)),
        };
        let mut session = Session::new(limits, std::future::pending());
        let mut notices = Vec::new();
        let names = ["btcusdt@avgPrice".to_owned(), "btcusdt@trade".to_owned()];
        follow(&source, &names, &mut session, |item| {
            if let StreamItem::Notice(notice) = item {
                notices.push(notice);
            }
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
        // The real-time trade stream is never said to be silent.
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(matches!(
            &notices[0],
            Notice::Silent { stream, expected_every, .. }
                if stream == "btcusdt@avgPrice" && *expected_every == Duration::from_secs(1)
        ));
    }

    #[tokio::test]
    async fn counts_events_not_notices_and_hides_server_shutdown() {
        let mut source = MockMarketStreamSource::new();
        source.expect_subscribe().times(1).returning(|streams| {
            assert_eq!(streams, ["btcusdt@aggTrade"]);
            let items = vec![
                StreamItem::Notice(Notice::Connected {
                    connection: 0,
                    streams: 1,
                }),
                trade(1),
                StreamItem::Event {
                    stream: None,
                    event: MarketEvent::ServerShutdown(ServerShutdown { event_time: 2 }),
                },
                trade(2),
                trade(3),
            ];
            Ok(Box::pin(futures_util::stream::iter(items)))
        });
        let limits = Limits {
            count: Some(2),
            duration: None,
        };
        let mut session = Session::new(limits, std::future::pending());
        let mut seen = Vec::new();
        follow(
            &source,
            &["btcusdt@aggTrade".into()],
            &mut session,
            |item| {
                seen.push(item);
                ControlFlow::Continue(())
            },
        )
        .await
        .unwrap();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(matches!(seen[0], StreamItem::Notice(_)));
        assert_eq!(seen[2], trade(2));
    }
}
