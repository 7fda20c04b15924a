//! A recorded frame turned into the item a live connection yields, with the
//! same decoding as [`crate::MarketStreams`], so a replay of a recording
//! (`mbx replay`) prints exactly what the live stream printed.

use mbx_domain::feed::{RawEvent, StreamItem};

use crate::wire::{self, TypedFrame};

/// The item a market-stream connection delivers for the frame `text`: a
/// typed event, or a raw item (with the decoding error, if any); `None` for
/// a control reply, which a connection keeps to itself.
///
/// ```
/// use mbx_domain::feed::StreamItem;
///
/// let frame = r#"{"stream":"bnbbtc@aggTrade","data":{"e":"aggTrade","E":1,"s":"BNBBTC","a":2,"p":"0.001","q":"100","f":3,"l":4,"T":1,"m":true,"M":true}}"#;
/// let Some(StreamItem::Event { stream, .. }) = mbx_adapters_ws::recorded::item_of_frame(frame) else {
///     panic!("not an event");
/// };
/// assert_eq!(stream.as_deref(), Some("bnbbtc@aggTrade"));
/// assert!(mbx_adapters_ws::recorded::item_of_frame(r#"{"result":null,"id":1}"#).is_none());
/// ```
pub fn item_of_frame(text: &str) -> Option<StreamItem> {
    match wire::decode_market_typed(text) {
        Ok(TypedFrame::Event { stream, event }) => Some(StreamItem::Event {
            stream: stream.as_deref().map(str::to_owned),
            event,
        }),
        Ok(TypedFrame::Unrecognized { stream, payload }) => Some(StreamItem::Raw(RawEvent {
            stream: stream.as_deref().map(str::to_owned),
            payload: payload.to_owned(),
            error: None,
        })),
        Ok(TypedFrame::Reply(_)) => None,
        Err(error) => {
            let (stream, payload) = match wire::split_combined(text) {
                Some((stream, payload)) => (Some(stream.to_owned()), payload),
                None => (None, text),
            };
            Some(StreamItem::Raw(RawEvent {
                stream,
                payload: payload.to_owned(),
                error: Some(error.to_string()),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_broken_frames_come_back_raw() {
        let Some(StreamItem::Raw(raw)) =
            item_of_frame(r#"{"stream":"x@new","data":{"e":"somethingNew","E":1}}"#)
        else {
            panic!("not raw");
        };
        assert_eq!(
            (raw.stream.as_deref(), raw.payload.as_str(), raw.error),
            (Some("x@new"), r#"{"e":"somethingNew","E":1}"#, None)
        );
        let Some(StreamItem::Raw(raw)) = item_of_frame("not json") else {
            panic!("not raw");
        };
        assert_eq!(raw.payload, "not json");
        assert!(raw.error.is_some());
    }
}
