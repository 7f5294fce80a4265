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
use std::task::{Context, Poll};

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
pub enum EndReason {
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
    /// The next request: `None` asks for the first page.
    Next(Option<String>),
    Done(EndReason),
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
        Cursor::starting_at(None)
    }

    /// A cursor whose first request carries `bookmark` (`None`: the first page).
    pub fn starting_at(bookmark: Option<String>) -> Self {
        Cursor { state: State::Next(bookmark), seen: HashSet::new(), pages: 0 }
    }

    /// The bookmark to request next: `Some(None)` for the first page,
    /// `Some(Some(b))` afterwards, `None` when finished.
    pub fn next_request(&self) -> Option<Option<&str>> {
        match &self.state {
            State::Next(b) => Some(b.as_deref()),
            State::Done(_) => None,
        }
    }

    /// Records the bookmark a page came back with.
    pub fn advance(&mut self, bookmark: Option<String>) {
        self.pages += 1;
        self.state = match bookmark {
            None => State::Done(EndReason::End),
            Some(b) if b.is_empty() => State::Done(EndReason::EmptyBookmark),
            Some(b) if !self.seen.insert(b.clone()) => {
                tracing::warn!(pages = self.pages, "the server repeated a bookmark; stopping pagination");
                State::Done(EndReason::RepeatedBookmark)
            }
            Some(b) => State::Next(Some(b)),
        };
    }

    /// Marks the cursor as failed: no more requests.
    pub fn fail(&mut self) {
        self.state = State::Done(EndReason::Failed);
    }

    /// Why it stopped, once it has.
    pub fn end_reason(&self) -> Option<EndReason> {
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

/// Where a walk over items is: the bookmark of the page in progress and how
/// many of its items were handed out. Save it as you go (it is
/// serializable); after a crash, `stream_from(&checkpoint)` (or
/// `iter_from`) fetches that page again and skips what was already handed
/// out. Items added to or removed from that page in between shift what is
/// skipped, as with any cursor over live data.
///
/// ```no_run
/// # async fn demo(client: pinterest_sdk::Client) -> pinterest_sdk::Result<()> {
/// use futures_util::StreamExt;
/// use pinterest_sdk::paginate::Checkpoint;
/// let saved: Option<Checkpoint> = None; // read it from your database
/// let op = client.pins().list().page_size(250);
/// let mut pins = match &saved {
///     Some(checkpoint) => op.stream_from(checkpoint),
///     None => op.stream(),
/// };
/// while let Some(pin) = pins.next().await {
///     let pin = pin?;
///     // ... store the Pin, then:
///     let checkpoint = pins.checkpoint();
///     # let _ = (pin, checkpoint);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The bookmark the page in progress was requested with (`None`: the first page).
    pub bookmark: Option<String>,
    /// Items of that page already handed out.
    pub offset: usize,
}

impl Checkpoint {
    /// The start of a walk.
    pub fn start() -> Self {
        Checkpoint::default()
    }

    /// A checkpoint at `offset` items into the page requested with `bookmark`.
    pub fn new(bookmark: Option<String>, offset: usize) -> Self {
        Checkpoint { bookmark, offset }
    }
}

/// The items of the page in progress and the checkpoint bookkeeping, shared
/// by the async [`ItemStream`] and the blocking iterator.
#[derive(Debug)]
pub(crate) struct ItemBuffer<T> {
    items: std::vec::IntoIter<T>,
    requested_with: Option<String>,
    next: Option<String>,
    offset: usize,
    skip: usize,
}

impl<T> ItemBuffer<T> {
    /// Before the first page; `skip` items of it are dropped (a resume).
    pub(crate) fn new(checkpoint: &Checkpoint) -> Self {
        ItemBuffer {
            items: Vec::new().into_iter(),
            requested_with: checkpoint.bookmark.clone(),
            next: None,
            offset: 0,
            skip: checkpoint.offset,
        }
    }

    /// The next item of the page in progress.
    pub(crate) fn next_item(&mut self) -> Option<T> {
        let item = self.items.next()?;
        self.offset += 1;
        Some(item)
    }

    /// Starts handing out `page`.
    pub(crate) fn load(&mut self, page: Page<T>) {
        self.requested_with = page.requested_with;
        self.next = page.bookmark;
        self.items = page.items.into_iter();
        self.offset = 0;
        for _ in 0..std::mem::take(&mut self.skip) {
            if self.next_item().is_none() {
                break;
            }
        }
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        // A page handed out in full: the next one is where to go on.
        match &self.next {
            Some(next) if self.items.len() == 0 && self.offset > 0 => Checkpoint::new(Some(next.clone()), 0),
            _ => Checkpoint::new(self.requested_with.clone(), self.offset.max(self.skip)),
        }
    }
}

/// Fetches the next page of `op` according to `cursor`; `None` when done.
/// Both the async streams and the blocking iterators call this.
pub(crate) async fn next_page<O>(client: &Client, op: &mut O, cursor: &mut Cursor) -> Option<Result<Page<O::Item>>>
where
    O: Paginated + Sync,
{
    let bookmark = cursor.next_request()?.map(str::to_owned);
    op.set_bookmark(bookmark.clone());
    match client.execute(&*op).await {
        Ok(output) => {
            let mut page = O::into_page(output);
            page.requested_with = bookmark;
            cursor.advance(page.bookmark.clone());
            Some(Ok(page))
        }
        Err(e) => {
            cursor.fail();
            Some(Err(e))
        }
    }
}

/// A stream of pages, from the bookmark set on the operation.
#[must_use = "streams do nothing unless polled"]
pub struct PageStream<'c, T> {
    inner: Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send + 'c>>,
}

impl<T> std::fmt::Debug for PageStream<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageStream")
    }
}

impl<T> Stream for PageStream<'_, T> {
    type Item = Result<Page<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A stream of the items of every page, with a [`Checkpoint`] to resume from.
#[must_use = "streams do nothing unless polled"]
pub struct ItemStream<'c, T> {
    pages: PageStream<'c, T>,
    buffer: ItemBuffer<T>,
}

impl<T> std::fmt::Debug for ItemStream<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemStream").field("checkpoint", &self.buffer.checkpoint()).finish()
    }
}

// The items are never pinned: the stream moves them out of a `Vec`.
impl<T> Unpin for ItemStream<'_, T> {}

impl<T> ItemStream<'_, T> {
    /// Where the stream is: resume from here with `stream_from`.
    pub fn checkpoint(&self) -> Checkpoint {
        self.buffer.checkpoint()
    }
}

impl<T> Stream for ItemStream<'_, T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.buffer.next_item() {
                return Poll::Ready(Some(Ok(item)));
            }
            match this.pages.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.buffer.load(page),
            }
        }
    }
}

/// Streams the pages of `op`, starting at the bookmark set on it.
pub fn pages<'c, O>(client: &'c Client, op: O) -> PageStream<'c, O::Item>
where
    O: Paginated + Send + Sync + 'c,
    O::Item: Send + 'c,
    O::Output: Send,
{
    let cursor = Cursor::starting_at(op.bookmark().map(str::to_owned));
    let inner = futures_util::stream::unfold((op, cursor), move |(mut op, mut cursor)| async move {
        let page = next_page(client, &mut op, &mut cursor).await?;
        Some((page, (op, cursor)))
    });
    PageStream { inner: Box::pin(inner) }
}

/// Streams the items of every page of `op`, starting at the bookmark set on it.
pub fn items<'c, O>(client: &'c Client, op: O) -> ItemStream<'c, O::Item>
where
    O: Paginated + Send + Sync + 'c,
    O::Item: Send + 'c,
    O::Output: Send,
{
    let start = Checkpoint::new(op.bookmark().map(str::to_owned), 0);
    ItemStream { pages: pages(client, op), buffer: ItemBuffer::new(&start) }
}

/// Streams the items of `op` from `checkpoint`.
pub fn items_from<'c, O>(client: &'c Client, mut op: O, checkpoint: &Checkpoint) -> ItemStream<'c, O::Item>
where
    O: Paginated + Send + Sync + 'c,
    O::Item: Send + 'c,
    O::Output: Send,
{
    op.set_bookmark(checkpoint.bookmark.clone());
    ItemStream { pages: pages(client, op), buffer: ItemBuffer::new(checkpoint) }
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
        assert_eq!(c.end_reason(), Some(EndReason::End));
        assert_eq!(c.pages(), 3);
    }

    #[test]
    fn cursor_stops_on_empty_and_repeated_bookmarks() {
        let mut c = Cursor::new();
        c.advance(Some(String::new()));
        assert_eq!(c.end_reason(), Some(EndReason::EmptyBookmark));
        let mut c = Cursor::new();
        c.advance(Some("a".into()));
        c.advance(Some("b".into()));
        c.advance(Some("a".into()));
        assert_eq!(c.next_request(), None);
        assert_eq!(c.end_reason(), Some(EndReason::RepeatedBookmark));
        let mut c = Cursor::new();
        c.fail();
        assert_eq!(c.next_request(), None);
    }

    #[test]
    fn a_cursor_can_start_at_a_bookmark() {
        let c = Cursor::starting_at(Some("b7".into()));
        assert_eq!(c.next_request(), Some(Some("b7")));
    }

    fn page(items: &[u32], requested_with: Option<&str>, next: Option<&str>) -> Page<u32> {
        let mut p = Page::new(items.to_vec(), next.map(str::to_owned));
        p.requested_with = requested_with.map(str::to_owned);
        p
    }

    #[test]
    fn checkpoints_name_the_page_in_progress_and_the_items_handed_out() {
        let mut b = ItemBuffer::new(&Checkpoint::start());
        assert_eq!(b.checkpoint(), Checkpoint::start());
        b.load(page(&[1, 2, 3], None, Some("p2")));
        assert_eq!(b.next_item(), Some(1));
        assert_eq!(b.checkpoint(), Checkpoint::new(None, 1));
        assert_eq!((b.next_item(), b.next_item()), (Some(2), Some(3)));
        // The page is done: go on from the next one.
        assert_eq!(b.checkpoint(), Checkpoint::new(Some("p2".into()), 0));
        b.load(page(&[4, 5], Some("p2"), None));
        assert_eq!(b.next_item(), Some(4));
        assert_eq!(b.checkpoint(), Checkpoint::new(Some("p2".into()), 1));
    }

    #[test]
    fn a_resumed_buffer_skips_what_was_handed_out() {
        let mut b = ItemBuffer::new(&Checkpoint::new(Some("p2".into()), 1));
        assert_eq!(b.checkpoint(), Checkpoint::new(Some("p2".into()), 1), "before the page arrives");
        b.load(page(&[4, 5, 6], Some("p2"), Some("p3")));
        assert_eq!(b.next_item(), Some(5));
        assert_eq!(b.checkpoint(), Checkpoint::new(Some("p2".into()), 2));
        // Skipping past a page that shrank is harmless.
        let mut b = ItemBuffer::new(&Checkpoint::new(None, 10));
        b.load(page(&[1], None, None));
        assert_eq!(b.next_item(), None);
    }
}
