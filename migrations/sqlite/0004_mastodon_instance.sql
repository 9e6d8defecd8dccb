-- Amplifier schema 4: the host of a person's Mastodon instance (`/amplify mastodon HOST`), so their share kit
-- can link to that instance's share page; Mastodon has no central host.
ALTER TABLE people ADD COLUMN mastodon_instance TEXT;
