//! Typed Rust client for the Pinterest REST API v5.
//!
//! - Every operation of Pinterest's OpenAPI description, generated, one cargo
//!   feature per API tag (see the crate README for the list).
//! - One sans-IO core ([`Operation`]) under an async [`Client`] and a
//!   [`blocking::Client`].
//! - OAuth 2.0 ([`oauth`]) with refreshing token sources ([`auth`]).
//! - Retries ([`retry`]), bookmark pagination ([`paginate`]) and typed errors
//!   ([`Error`], [`ApiError`]).
//! - Client-side rate budgets ([`ratelimit`]), and many accounts over many
//!   workers ([`fleet`]): one lazy client per account, token families and
//!   budgets shared through Redis (feature `redis`).
//!
//! ```no_run
//! # async fn demo() -> pinterest_sdk::Result<()> {
//! use pinterest_sdk::{Client, Config};
//! let client = Client::builder().config(Config::from_env()?).build()?;
//! let me = client.user_account().get().send().await?;
//! println!("hello {:?}", me.username);
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

#[macro_use]
mod macros;

pub mod auth;
pub mod blocking;
mod client;
pub mod config;
#[cfg(feature = "conversion_events")]
pub mod conversions;
pub mod error;
pub mod fleet;
#[doc(hidden)]
pub mod internal;
#[cfg(feature = "media")]
pub mod media;
pub mod oauth;
pub mod operation;
pub mod paginate;
pub mod ratelimit;
mod raw;
pub mod registry;
#[cfg(feature = "ad_accounts")]
pub mod reports;
pub mod response;
pub mod retry;
pub mod secret;
pub mod transport;
pub mod types;
mod wire;

mod generated;

pub use client::{AppCredentials, Client, ClientBuilder};
pub use config::{ApiBase, Config, Timeouts};
pub use error::{
    ApiError, BuildError, DecodeError, DownloadError, Error, RateLimit, Result, TransportError, TransportErrorKind,
};
pub use generated::{models, ops};
pub use operation::{AuthScheme, CallOptions, Operation, Paginated};
pub use raw::RawRequest;
pub use response::{Response, ResponseMeta};

/// The date crate the models use, re-exported so that versions match.
pub use chrono;

/// The crate README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
