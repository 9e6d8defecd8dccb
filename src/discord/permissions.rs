//! Discord permissions: the bits Amplifier needs, their names as Discord's settings show them, and the bot's
//! effective permissions in a channel computed from the server's roles, the bot member's roles and the channel's
//! overwrites, by Discord's documented algorithm (topics/permissions.mdx). Pure: the REST reads are doctor's.

use serde_json::Value;

pub const MENTION_EVERYONE: u64 = 1 << 17;
pub const ADMINISTRATOR: u64 = 1 << 3;
pub const MANAGE_ROLES: u64 = 1 << 28;
pub const VIEW_CHANNEL: u64 = 1 << 10;
pub const SEND_MESSAGES: u64 = 1 << 11;
pub const EMBED_LINKS: u64 = 1 << 14;
/// Every permission (what an administrator or the server owner has).
pub const ALL: u64 = u64::MAX;

/// What the bot needs in a share channel: see it, post, and put long insights into embeds (threads are never
/// used, so Send Messages in Threads is not asked for).
pub const SHARE_CHANNEL: &[u64] = &[VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS];

/// Everything the bot is invited with (`permissions=` in the invite link, docs/discord.md): the share channel's
/// needs, and Manage Roles for `/amplify join|leave` with an opt-in role.
pub const INVITE: u64 = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | MANAGE_ROLES;

/// A permission's name as Discord's role and channel settings show it.
pub fn name(bit: u64) -> &'static str {
    match bit {
        VIEW_CHANNEL => "View Channel",
        SEND_MESSAGES => "Send Messages",
        EMBED_LINKS => "Embed Links",
        MENTION_EVERYONE => "Mention @everyone, @here, and All Roles",
        MANAGE_ROLES => "Manage Roles",
        ADMINISTRATOR => "Administrator",
        _ => "a permission",
    }
}

/// A role as the server reports it (`GET /guilds/{id}/roles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub permissions: u64,
    pub position: i64,
    pub mentionable: bool,
}

impl Role {
    /// A role object from Discord's JSON (`permissions` is a string of an integer).
    pub fn from_json(v: &Value) -> Option<Role> {
        Some(Role {
            id: v["id"].as_str()?.to_string(),
            name: v["name"].as_str().unwrap_or("?").to_string(),
            permissions: bits(&v["permissions"]),
            position: v["position"].as_i64().unwrap_or(0),
            mentionable: v["mentionable"].as_bool().unwrap_or(false),
        })
    }
}

/// One channel permission overwrite: for a role (`kind` 0) or a member (`kind` 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overwrite {
    pub id: String,
    pub kind: u8,
    pub allow: u64,
    pub deny: u64,
}

impl Overwrite {
    pub fn from_json(v: &Value) -> Option<Overwrite> {
        Some(Overwrite {
            id: v["id"].as_str()?.to_string(),
            kind: u8::try_from(v["type"].as_u64()?).ok()?,
            allow: bits(&v["allow"]),
            deny: bits(&v["deny"]),
        })
    }
}

/// A permission bit set as Discord sends it: a string of an integer (a number is read too).
pub fn bits(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        other => other.as_u64().unwrap_or(0),
    }
}

/// The server-wide permissions of a member holding `member_roles` (the `@everyone` role's id is the server's).
pub fn base(guild: &str, owner: bool, roles: &[Role], member_roles: &[String]) -> u64 {
    if owner {
        return ALL;
    }
    let mut perms = roles
        .iter()
        .find(|r| r.id == guild)
        .map_or(0, |r| r.permissions);
    for role in roles.iter().filter(|r| member_roles.contains(&r.id)) {
        perms |= role.permissions;
    }
    if perms & ADMINISTRATOR != 0 {
        ALL
    } else {
        perms
    }
}

/// The member's permissions in a channel: the base, then the channel's overwrites for `@everyone`, then those of
/// the member's roles (their allows and denies combined), then the member's own; administrators keep everything.
pub fn in_channel(
    guild: &str,
    base: u64,
    member: &str,
    member_roles: &[String],
    overwrites: &[Overwrite],
) -> u64 {
    if base & ADMINISTRATOR != 0 {
        return ALL;
    }
    let mut perms = base;
    if let Some(everyone) = overwrites.iter().find(|o| o.kind == 0 && o.id == guild) {
        perms &= !everyone.deny;
        perms |= everyone.allow;
    }
    let (mut allow, mut deny) = (0, 0);
    for o in overwrites
        .iter()
        .filter(|o| o.kind == 0 && o.id != guild && member_roles.contains(&o.id))
    {
        allow |= o.allow;
        deny |= o.deny;
    }
    perms &= !deny;
    perms |= allow;
    if let Some(own) = overwrites.iter().find(|o| o.kind == 1 && o.id == member) {
        perms &= !own.deny;
        perms |= own.allow;
    }
    perms
}

/// The bits of `needed` that `perms` lacks, in order.
pub fn missing(perms: u64, needed: &[u64]) -> Vec<u64> {
    needed
        .iter()
        .copied()
        .filter(|bit| perms & bit == 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUILD: &str = "1";

    fn role(id: &str, permissions: u64) -> Role {
        Role {
            id: id.into(),
            name: id.into(),
            permissions,
            position: 0,
            mentionable: false,
        }
    }

    fn ow(id: &str, kind: u8, allow: u64, deny: u64) -> Overwrite {
        Overwrite {
            id: id.into(),
            kind,
            allow,
            deny,
        }
    }

    #[test]
    fn the_base_is_everyone_and_the_members_roles() {
        let roles = [
            role(GUILD, VIEW_CHANNEL),
            role("2", SEND_MESSAGES),
            role("3", EMBED_LINKS),
        ];
        assert_eq!(
            base(GUILD, false, &roles, &["2".into()]),
            VIEW_CHANNEL | SEND_MESSAGES
        );
        assert_eq!(base(GUILD, true, &roles, &[]), ALL, "the owner");
        let admin = [role(GUILD, 0), role("9", ADMINISTRATOR)];
        assert_eq!(base(GUILD, false, &admin, &["9".into()]), ALL);
    }

    #[test]
    fn overwrites_apply_everyone_then_roles_then_the_member() {
        let member_roles = vec!["2".to_string(), "3".to_string()];
        let base = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS;
        // @everyone denied Send Messages; one of the member's roles allows it again.
        let overwrites = [
            ow(GUILD, 0, 0, SEND_MESSAGES | EMBED_LINKS),
            ow("2", 0, SEND_MESSAGES, 0),
        ];
        assert_eq!(
            in_channel(GUILD, base, "7", &member_roles, &overwrites),
            VIEW_CHANNEL | SEND_MESSAGES
        );
        // A role's allow wins over another role's deny (combined), and the member's own overwrite wins over both.
        let overwrites = [
            ow("2", 0, 0, VIEW_CHANNEL),
            ow("3", 0, VIEW_CHANNEL, 0),
            ow("7", 1, 0, EMBED_LINKS),
        ];
        assert_eq!(
            in_channel(GUILD, base, "7", &member_roles, &overwrites),
            VIEW_CHANNEL | SEND_MESSAGES
        );
        // Overwrites of roles the member lacks, or of other members, change nothing.
        let overwrites = [ow("4", 0, 0, VIEW_CHANNEL), ow("8", 1, 0, VIEW_CHANNEL)];
        assert_eq!(
            in_channel(GUILD, base, "7", &member_roles, &overwrites),
            base
        );
        // Administrators keep everything whatever the channel says.
        assert_eq!(
            in_channel(
                GUILD,
                ALL,
                "7",
                &member_roles,
                &[ow("7", 1, 0, VIEW_CHANNEL)]
            ),
            ALL
        );
    }

    #[test]
    fn the_invite_asks_for_exactly_what_is_used() {
        assert_eq!(INVITE, 268_454_912);
        assert_eq!(INVITE & (ADMINISTRATOR | MENTION_EVERYONE), 0);
    }

    #[test]
    fn what_is_missing_is_named_as_discord_shows_it() {
        let lacks = missing(VIEW_CHANNEL, SHARE_CHANNEL);
        assert_eq!(lacks, [SEND_MESSAGES, EMBED_LINKS]);
        assert_eq!(name(lacks[1]), "Embed Links");
        assert_eq!(
            bits(&serde_json::json!("19456")),
            VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
        );
    }
}
