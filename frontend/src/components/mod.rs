//! Reusable pieces of the interface.

pub mod banner;
pub mod copy;
pub mod delete_dialog;
pub mod dialog;
pub mod feedback;
pub mod flat_table;
pub mod header;
pub mod image_row;
pub mod image_table;
pub mod list_parts;
pub mod pager;
pub mod pull_dialog;
pub mod repo_table;
pub mod time;
