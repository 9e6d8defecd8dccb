mod fit;
mod intent;
mod length;
mod post_url;
