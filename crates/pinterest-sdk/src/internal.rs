//! Helpers that the project's own CLI and emulator share with the SDK.
//!
//! They are not part of the supported API and may change in any release;
//! they are public only because those crates live in other packages.

pub use crate::auth::store::{default_dir, write_private};

/// Makes ring the process-wide rustls provider unless one is installed. The
/// transports call it; call it before building another rustls client in a
/// program that also uses this SDK.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another thread is fine: a provider is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
