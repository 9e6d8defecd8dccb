//! `/amplify forget-me`: the person is told what goes and confirms with a button; then everything stored about
//! them goes in the event's transaction ([`crate::store::Store::forget_person`], audited without naming them),
//! and the reply saying so is erased from the outbox once sent.

use super::{EngineError, Turn};
use crate::chat::{Action, Button, Message};

/// Who the audit entry says asked for a forget made in chat.
pub const ACTOR: &str = "self";

/// `/amplify forget-me`: what it does, and the button that does it.
pub async fn ask(turn: &mut Turn<'_>) -> Result<(), EngineError> {
    let message = Message::new("Forget me? Press the button to delete everything Amplifier stores about you.")
        .say("This deletes everything Amplifier stores about you: your name, zone and settings, your answers and drafts with every version, your posts (and the team's shares of them), your reviews and comments, your share confirmations and links, and every message queued for you. Only anonymous counts stay. It cannot be undone.")
        .say("Posts already in the share channel are messages on the platform: delete those there if you want them gone.")
        .buttons(vec![Button::danger("Forget me", Action::ForgetMe)])
        .context("Changed your mind? Ignore this message.");
    turn.reply_message(message);
    Ok(())
}

/// The button was pressed: forget whoever pressed it (the action carries no id, so there is nothing to forge).
pub async fn confirmed(turn: &mut Turn<'_>) -> Result<(), EngineError> {
    let me = turn.person().id;
    let report = turn.store().forget_person(me, ACTOR, turn.now()).await?;
    let mut text = format!(
        "Done: I deleted everything I stored about you (your profile{}{}).",
        if report.summary().is_empty() {
            ""
        } else {
            ", "
        },
        report.summary()
    );
    if !report.config_teams.is_empty() {
        text.push_str(&format!(
            " The config file of {} still names you, so I will know you again (with no history) at my next restart; ask an admin to remove you from it.",
            report.config_teams.join(", ")
        ));
    }
    text.push_str(" Your posts in the share channel stay on the platform: delete them there if you want them gone. If you write to me again, I start from scratch.");
    turn.farewell(text);
    Ok(())
}
