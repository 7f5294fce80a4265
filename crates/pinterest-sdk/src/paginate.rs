//! Bookmark pagination.
//!
//! Pinterest pages with an opaque `bookmark`: each page carries the bookmark
//! of the next one, and `null` at the end. [`Cursor`] is that rule as a pure
//! state machine; the async [`PageStream`]/[`ItemStream`] and the blocking
//! iterators ([`blocking::Pages`](crate::blocking::Pages),
//! [`blocking::Items`](crate::blocking::Items)) drive it.
//!
//! A cursor stops on a `null` or empty bookmark. It also guards against a
//! server that would keep a walk going forever: a bookmark it has already
//! seen, a run of empty pages that each carry a new bookmark, or more pages
//! than [`PaginationLimits::max_pages`] end the walk with
//! [`Error::Pagination`](crate::Error::Pagination) after the page that
//! tripped the guard, never with a silent end. Repeats are detected with
//! 64-bit keyed hashes of the last [`PaginationLimits::repeat_window`]
//! bookmarks, so the memory stays bounded however long bookmarks are.

use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasher as _;
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

/// Guards against endless pagination; set them client-wide with
/// [`ConfigBuilder::pagination`](crate::config::ConfigBuilder::pagination).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaginationLimits {
    /// Consecutive empty pages that still carry a bookmark before the walk
    /// stops with an error (default 5; at least 1).
    pub max_empty_pages: u32,
    /// Pages after which the walk stops with an error (default: none).
    pub max_pages: Option<u64>,
    /// How many recent bookmarks are remembered to detect a repeat
    /// (default 4096; 8 bytes each).
    pub repeat_window: usize,
}

impl Default for PaginationLimits {
    fn default() -> Self {
        PaginationLimits { max_empty_pages: 5, max_pages: None, repeat_window: 4096 }
    }
}

impl PaginationLimits {
    /// Stops after `n` consecutive empty pages (at least 1).
    pub fn max_empty_pages(mut self, n: u32) -> Self {
        self.max_empty_pages = n.max(1);
        self
    }

    /// Stops after `n` pages (`None`: no limit).
    pub fn max_pages(mut self, n: Option<u64>) -> Self {
        self.max_pages = n;
        self
    }

    /// Remembers the last `n` bookmarks for repeat detection (at least 1).
    pub fn repeat_window(mut self, n: usize) -> Self {
        self.repeat_window = n.max(1);
        self
    }
}

/// Why a walk was stopped with [`Error::Pagination`](crate::Error::Pagination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationProblem {
    /// The server sent a bookmark it had sent before: the walk would loop.
    #[error("the server repeated a bookmark")]
    RepeatedBookmark,
    /// This many pages in a row were empty and still had a next bookmark.
    #[error("{0} pages in a row were empty but still had a next bookmark")]
    EmptyPages(u32),
    /// The walk reached [`PaginationLimits::max_pages`].
    #[error("the walk reached its limit of {0} pages")]
    TooManyPages(u64),
}

/// Why a cursor stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// The last page had a `null` (absent) bookmark: the normal end.
    End,
    /// The last page had an empty-string bookmark.
    EmptyBookmark,
    /// The server sent a bookmark it had sent before; an
    /// [`Error::Pagination`](crate::Error::Pagination) was handed out.
    RepeatedBookmark,
    /// A request failed, or a [`PaginationProblem`] stopped the walk; the
    /// error was handed out.
    Failed,
}

#[derive(Debug, Clone)]
enum State {
    /// The next request: `None` asks for the first page.
    Next(Option<String>),
    /// The walk must stop with this error before anything else is sent.
    Stopping(PaginationProblem),
    Done(EndReason),
}

/// The bookmark state machine.
#[derive(Debug, Clone)]
pub struct Cursor {
    state: State,
    limits: PaginationLimits,
    /// Keyed hashes of recent bookmarks, and their order for eviction.
    seen: HashSet<u64>,
    order: VecDeque<u64>,
    hasher: std::collections::hash_map::RandomState,
    pages: u64,
    empty_run: u32,
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
        Cursor {
            state: State::Next(bookmark),
            limits: PaginationLimits::default(),
            seen: HashSet::new(),
            order: VecDeque::new(),
            hasher: Default::default(),
            pages: 0,
            empty_run: 0,
        }
    }

    /// Uses `limits` instead of the defaults.
    pub fn with_limits(mut self, limits: PaginationLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The problem that stops the walk, once: the state moves to
    /// [`EndReason::Failed`] (or [`EndReason::RepeatedBookmark`]).
    pub fn take_problem(&mut self) -> Option<PaginationProblem> {
        let State::Stopping(problem) = self.state else { return None };
        self.state = State::Done(match problem {
            PaginationProblem::RepeatedBookmark => EndReason::RepeatedBookmark,
            _ => EndReason::Failed,
        });
        Some(problem)
    }

    /// Remembers `bookmark`; false when it was seen before (in the window).
    fn remember(&mut self, bookmark: &str) -> bool {
        let h = self.hasher.hash_one(bookmark);
        if !self.seen.insert(h) {
            return false;
        }
        self.order.push_back(h);
        while self.order.len() > self.limits.repeat_window.max(1) {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// The bookmark to request next: `Some(None)` for the first page,
    /// `Some(Some(b))` afterwards, `None` when finished.
    pub fn next_request(&self) -> Option<Option<&str>> {
        match &self.state {
            State::Next(b) => Some(b.as_deref()),
            State::Stopping(_) | State::Done(_) => None,
        }
    }

    /// Records the bookmark a page came back with, for a page whose item
    /// count is not known (it is not counted as empty).
    pub fn advance(&mut self, bookmark: Option<String>) {
        self.advance_page(bookmark, 1);
    }

    /// Records a page of `items` items that came back with `bookmark`.
    pub fn advance_page(&mut self, bookmark: Option<String>, items: usize) {
        self.pages += 1;
        self.empty_run = if items == 0 { self.empty_run.saturating_add(1) } else { 0 };
        self.state = match bookmark {
            None => State::Done(EndReason::End),
            Some(b) if b.is_empty() => State::Done(EndReason::EmptyBookmark),
            Some(b) if !self.remember(&b) => {
                tracing::warn!(pages = self.pages, "the server repeated a bookmark; stopping pagination");
                State::Stopping(PaginationProblem::RepeatedBookmark)
            }
            Some(_) if self.empty_run >= self.limits.max_empty_pages.max(1) => {
                tracing::warn!(
                    pages = self.pages,
                    empty = self.empty_run,
                    "empty pages keep coming; stopping pagination"
                );
                State::Stopping(PaginationProblem::EmptyPages(self.empty_run))
            }
            Some(_) if self.limits.max_pages.is_some_and(|max| self.pages >= max) => {
                State::Stopping(PaginationProblem::TooManyPages(self.pages))
            }
            Some(b) => State::Next(Some(b)),
        };
    }

    /// True once the walk is over and any error that ended it was handed
    /// out.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Done(_))
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
/// The async streams call this; the blocking iterators call its two halves
/// around their own way of sending.
pub(crate) async fn next_page<O>(client: &Client, op: &mut O, cursor: &mut Cursor) -> Option<Result<Page<O::Item>>>
where
    O: Paginated + Sync,
{
    let bookmark = match start_page(op, cursor)? {
        Ok(bookmark) => bookmark,
        Err(e) => return Some(Err(e)),
    };
    Some(finish_page::<O>(cursor, bookmark, client.execute(&*op).await))
}

/// The first half of [`next_page`]: `None` when the walk is over, an error
/// the cursor held back, or the bookmark now set on `op`.
pub(crate) fn start_page<O: Paginated>(op: &mut O, cursor: &mut Cursor) -> Option<Result<Option<String>>> {
    if let Some(problem) = cursor.take_problem() {
        return Some(Err(crate::Error::Pagination { operation: op.id(), pages: cursor.pages(), problem }));
    }
    let bookmark = cursor.next_request()?.map(str::to_owned);
    op.set_bookmark(bookmark.clone());
    Some(Ok(bookmark))
}

/// The second half of [`next_page`]: the page from the call's `output`,
/// and the cursor moved past it.
pub(crate) fn finish_page<O: Paginated>(
    cursor: &mut Cursor,
    bookmark: Option<String>,
    output: Result<O::Output>,
) -> Result<Page<O::Item>> {
    match output {
        Ok(output) => {
            let mut page = O::into_page(output);
            page.requested_with = bookmark;
            cursor.advance_page(page.bookmark.clone(), page.items.len());
            Ok(page)
        }
        Err(e) => {
            cursor.fail();
            Err(e)
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
    let cursor = Cursor::starting_at(op.bookmark().map(str::to_owned)).with_limits(client.config().pagination());
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
        assert_eq!(c.take_problem(), Some(PaginationProblem::RepeatedBookmark));
        assert_eq!(c.take_problem(), None, "handed out once");
        assert_eq!(c.end_reason(), Some(EndReason::RepeatedBookmark));
        let mut c = Cursor::new();
        c.fail();
        assert_eq!(c.next_request(), None);
    }

    #[test]
    fn a_run_of_empty_pages_stops_the_walk() {
        let mut c = Cursor::new().with_limits(PaginationLimits::default().max_empty_pages(3));
        c.advance_page(Some("a".into()), 0);
        c.advance_page(Some("b".into()), 0);
        c.advance_page(Some("c".into()), 5);
        c.advance_page(Some("d".into()), 0);
        c.advance_page(Some("e".into()), 0);
        assert_eq!(c.next_request(), Some(Some("e")), "a full page resets the run");
        c.advance_page(Some("f".into()), 0);
        assert_eq!(c.next_request(), None);
        assert_eq!(c.take_problem(), Some(PaginationProblem::EmptyPages(3)));
        assert_eq!(c.end_reason(), Some(EndReason::Failed));
        // An empty last page is a normal end.
        let mut c = Cursor::new().with_limits(PaginationLimits::default().max_empty_pages(1));
        c.advance_page(None, 0);
        assert_eq!((c.take_problem(), c.end_reason()), (None, Some(EndReason::End)));
    }

    #[test]
    fn a_page_limit_stops_the_walk() {
        let mut c = Cursor::new().with_limits(PaginationLimits::default().max_pages(Some(2)));
        c.advance_page(Some("a".into()), 1);
        assert_eq!(c.next_request(), Some(Some("a")));
        c.advance_page(Some("b".into()), 1);
        assert_eq!(c.take_problem(), Some(PaginationProblem::TooManyPages(2)));
        // Reaching the limit on the last page is no problem.
        let mut c = Cursor::new().with_limits(PaginationLimits::default().max_pages(Some(1)));
        c.advance_page(None, 1);
        assert_eq!(c.take_problem(), None);
    }

    #[test]
    fn repeat_detection_keeps_a_bounded_window_of_hashes() {
        let mut c = Cursor::new().with_limits(PaginationLimits::default().repeat_window(3));
        let big = |i: u32| format!("{i}-{}", "x".repeat(60_000));
        for i in 0..1000 {
            c.advance_page(Some(big(i)), 1);
            assert!(c.seen.len() <= 3 && c.order.len() <= 3);
        }
        assert_eq!(c.next_request().map(|b| b.map(str::len)), Some(Some(big(999).len())));
        // A repeat within the window is caught; one older than it is not.
        c.advance_page(Some(big(998)), 1);
        assert_eq!(c.take_problem(), Some(PaginationProblem::RepeatedBookmark));
        let mut c = Cursor::new().with_limits(PaginationLimits::default().repeat_window(3));
        for i in 0..5 {
            c.advance_page(Some(big(i)), 1);
        }
        c.advance_page(Some(big(0)), 1);
        assert_eq!(c.take_problem(), None);
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
