//! Market streams, live: the events of the streams asked for and notices
//! about the connections, until the session ends.

use std::ops::ControlFlow;

use mbx_domain::Error;
use mbx_domain::feed::StreamItem;
use mbx_domain::ports::MarketStreamSource;
use mbx_domain::stream::MarketEvent;

use crate::session::Session;

/// Follows `streams` until the session ends (each event counts one) or
/// `sink` breaks. `serverShutdown` is not handed on: it is the connection's
/// business, and the reconnect that follows is a notice.
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
    while let Some(item) = session.next(&mut feed).await {
        match &item {
            StreamItem::Event {
                event: MarketEvent::ServerShutdown(_),
                ..
            } => continue,
            StreamItem::Event { .. } | StreamItem::Raw(_) => session.count(1),
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
    use mbx_domain::feed::Notice;
    use mbx_domain::ports::MockMarketStreamSource;
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
