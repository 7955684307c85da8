//! One routed page per file.

pub mod account;
pub mod audit;
pub mod image_path;
pub mod images;
pub mod import;
pub mod jobs;
pub mod login;
pub mod not_found;
pub mod status;
pub mod users;
