//! The neutral chat model: inbound events and outbound messages in one canonical markup; nothing here knows Slack or Discord.

pub mod action;
pub mod command;
pub mod event;
pub mod message;

pub use action::Action;
pub use event::{Event, EventKind};
pub use message::{
    Block, Button, ButtonStyle, Destination, Inline, Input, Message, Modal, Outbound,
};
