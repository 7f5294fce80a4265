//! An offline emulator of the Pinterest REST API v5 and its OAuth server.
