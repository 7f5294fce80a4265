pub mod models {}
pub mod ops {}
pub mod registry {}
