//! Bookmark pagination.
//!
//! Pinterest pages with an opaque `bookmark`: each page carries the bookmark
//! of the next one, and `null` at the end. [`Cursor`] is that rule as a pure
//! state machine; the async [`PageStream`]/[`ItemStream`] and the blocking
//! iterators ([`blocking::Pages`](crate::blocking::Pages),
//! [`blocking::Items`](crate::blocking::Items)) drive it.
//!
//! A cursor stops on a `null` or empty bookmark, and on a bookmark it has
//! already seen (a server bug that would otherwise loop forever).

use std::collections::HashSet;
use std::pin::Pin;

use futures_core::Stream;

use crate::client::Client;
use crate::error::Result;
use crate::operation::Paginated;

/// One page: its items and the bookmark of the next page.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` at the end.
    pub bookmark: Option<String>,
    /// The bookmark this page was requested with (`None` for the first
    /// page): where to start again to see this page once more.
    pub requested_with: Option<String>,
}

impl<T> Page<T> {
    /// A page of `items` followed by `bookmark`.
    pub fn new(items: Vec<T>, bookmark: Option<String>) -> Self {
        Page { items, bookmark, requested_with: None }
    }
}

/// Why a cursor stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The last page had a `null` (absent) bookmark: the normal end.
    End,
    /// The last page had an empty-string bookmark.
    EmptyBookmark,
    /// The server sent a bookmark it had sent before.
    RepeatedBookmark,
    /// A request failed; the error was handed out.
    Failed,
}

#[derive(Debug, Clone)]
enum State {
    Start,
    Next(String),
    Done(StopReason),
}

/// The bookmark state machine.
#[derive(Debug, Clone)]
pub struct Cursor {
    state: State,
    seen: HashSet<String>,
    pages: u64,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor::new()
    }
}

impl Cursor {
    /// A cursor before the first page.
    pub fn new() -> Self {
        Cursor { state: State::Start, seen: HashSet::new(), pages: 0 }
    }

    /// The bookmark to request next: `Some(None)` for the first page,
    /// `Some(Some(b))` afterwards, `None` when finished.
    pub fn next_request(&self) -> Option<Option<&str>> {
        match &self.state {
            State::Start => Some(None),
            State::Next(b) => Some(Some(b)),
            State::Done(_) => None,
        }
    }

    /// Records the bookmark a page came back with.
    pub fn advance(&mut self, bookmark: Option<String>) {
        self.pages += 1;
        self.state = match bookmark {
            None => State::Done(StopReason::End),
            Some(b) if b.is_empty() => State::Done(StopReason::EmptyBookmark),
            Some(b) if !self.seen.insert(b.clone()) => {
                tracing::warn!(pages = self.pages, "the server repeated a bookmark; stopping pagination");
                State::Done(StopReason::RepeatedBookmark)
            }
            Some(b) => State::Next(b),
        };
    }

    /// Marks the cursor as failed: no more requests.
    pub fn fail(&mut self) {
        self.state = State::Done(StopReason::Failed);
    }

    /// Why it stopped, once it has.
    pub fn stop_reason(&self) -> Option<StopReason> {
        match self.state {
            State::Done(r) => Some(r),
            _ => None,
        }
    }

    /// Pages received so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }
}

/// Fetches the next page of `op` according to `cursor`; `None` when done.
/// Both the async streams and the blocking iterators call this.
pub(crate) async fn next_page<O>(client: &Client, op: &mut O, cursor: &mut Cursor) -> Option<Result<Page<O::Item>>>
where
    O: Paginated + Sync,
{
    let bookmark = cursor.next_request()?.map(str::to_owned);
    op.set_bookmark(bookmark);
    match client.execute(&*op).await {
        Ok(output) => {
            let page = O::into_page(output);
            cursor.advance(page.bookmark.clone());
            Some(Ok(page))
        }
        Err(e) => {
            cursor.fail();
            Some(Err(e))
        }
    }
}

/// A stream of pages.
pub type PageStream<'c, T> = Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send + 'c>>;
/// A stream of items across pages.
pub type ItemStream<'c, T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'c>>;

/// Streams the pages of `op`, starting at its current bookmark state.
pub fn pages<'c, O>(client: &'c Client, op: O) -> PageStream<'c, O::Item>
where
    O: Paginated + Send + Sync + 'c,
    O::Item: Send + 'c,
    O::Output: Send,
{
    Box::pin(futures_util::stream::unfold((op, Cursor::new()), move |(mut op, mut cursor)| async move {
        let page = next_page(client, &mut op, &mut cursor).await?;
        Some((page, (op, cursor)))
    }))
}

/// Streams the items of every page of `op`.
pub fn items<'c, O>(client: &'c Client, op: O) -> ItemStream<'c, O::Item>
where
    O: Paginated + Send + Sync + 'c,
    O::Item: Send + 'c,
    O::Output: Send,
{
    use futures_util::StreamExt as _;
    Box::pin(pages(client, op).flat_map(|page| {
        let items: Vec<Result<O::Item>> = match page {
            Ok(p) => p.items.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(items)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_walks_and_stops() {
        let mut c = Cursor::new();
        assert_eq!(c.next_request(), Some(None));
        c.advance(Some("b1".into()));
        assert_eq!(c.next_request(), Some(Some("b1")));
        c.advance(Some("b2".into()));
        c.advance(None);
        assert_eq!(c.next_request(), None);
        assert_eq!(c.stop_reason(), Some(StopReason::End));
        assert_eq!(c.pages(), 3);
    }

    #[test]
    fn cursor_stops_on_empty_and_repeated_bookmarks() {
        let mut c = Cursor::new();
        c.advance(Some(String::new()));
        assert_eq!(c.stop_reason(), Some(StopReason::EmptyBookmark));
        let mut c = Cursor::new();
        c.advance(Some("a".into()));
        c.advance(Some("b".into()));
        c.advance(Some("a".into()));
        assert_eq!(c.next_request(), None);
        assert_eq!(c.stop_reason(), Some(StopReason::RepeatedBookmark));
        let mut c = Cursor::new();
        c.fail();
        assert_eq!(c.next_request(), None);
    }
}
